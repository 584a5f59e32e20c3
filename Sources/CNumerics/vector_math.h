// Internal: AVX2 vector math used by the dual maps.
//
// glibc's libmvec is not used: clang passes __m256d arguments of an external function in memory
// unless the whole file is compiled for AVX, which a package cannot require without unsafe
// flags. The one transcendental function the maps need, atan2, is written here, in an AVX2
// and an AVX-512 form that perform the same operations lane for lane (bit-identical results).
#ifndef NTKBRIDGE_VECTOR_MATH_H
#define NTKBRIDGE_VECTOR_MATH_H

#if defined(__x86_64__)
#define NTKB_HAVE_AVX2_PATH 1
#include <immintrin.h>
#define NTKB_AVX2 __attribute__((target("avx2,fma")))
#define NTKB_AVX512 __attribute__((target("avx512f,avx2,fma")))

/// atan2(y, x) for four lanes, to a few ulp.
///
/// With m = min(|x|, |y|), M = max(|x|, |y|), t = m/M ∈ [0, 1] is reduced with the centers
/// c_k = tan(kπ/12), k = 0…3: atan t = kπ/12 + atan u, u = (t − c_k)/(1 + t·c_k) =
/// (m − c_k·M)/(M + c_k·m) (one division), |u| ≤ tan(π/24) ≈ 0.1317, where the odd series of
/// atan through u¹⁷ is exact to below 1e-17 relative. Small angles keep full relative accuracy
/// (k = 0, u = m/M), which the ABReLU recursion relies on.
NTKB_AVX2 static inline __m256d ntkb_atan2_avx2(__m256d y, __m256d x) {
    const __m256d sign_mask = _mm256_set1_pd(-0.0), zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
    const __m256d ax = _mm256_andnot_pd(sign_mask, x), ay = _mm256_andnot_pd(sign_mask, y);
    const __m256d swapped = _mm256_cmp_pd(ay, ax, _CMP_GT_OQ);
    const __m256d small = _mm256_min_pd(ax, ay), large = _mm256_max_pd(ax, ay);
    const __m256d nonzero = _mm256_cmp_pd(large, zero, _CMP_GT_OQ);

    // k = number of interval boundaries tan((2k − 1)π/24) below t = small/large.
    const __m256d above1 = _mm256_cmp_pd(small, _mm256_mul_pd(large, _mm256_set1_pd(0.13165249758739585347)), _CMP_GT_OQ);
    const __m256d above2 = _mm256_cmp_pd(small, _mm256_mul_pd(large, _mm256_set1_pd(0.41421356237309504880)), _CMP_GT_OQ);
    const __m256d above3 = _mm256_cmp_pd(small, _mm256_mul_pd(large, _mm256_set1_pd(0.76732698797895998412)), _CMP_GT_OQ);
    __m256d center = _mm256_blendv_pd(zero, _mm256_set1_pd(0.26794919243112270647), above1);
    center = _mm256_blendv_pd(center, _mm256_set1_pd(0.57735026918962576451), above2);
    center = _mm256_blendv_pd(center, one, above3);
    __m256d base = _mm256_blendv_pd(zero, _mm256_set1_pd(0.26179938779914943654), above1);
    base = _mm256_blendv_pd(base, _mm256_set1_pd(0.52359877559829887308), above2);
    base = _mm256_blendv_pd(base, _mm256_set1_pd(0.78539816339744830962), above3);

    const __m256d u = _mm256_and_pd(_mm256_div_pd(_mm256_fnmadd_pd(center, large, small),
                                                  _mm256_fmadd_pd(center, small, large)), nonzero);   // 0/0 → 0
    const __m256d z = _mm256_mul_pd(u, u);
    __m256d p = _mm256_set1_pd(1.0 / 17.0);
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(-1.0 / 15.0));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(1.0 / 13.0));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(-1.0 / 11.0));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(1.0 / 9.0));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(-1.0 / 7.0));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(1.0 / 5.0));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(-1.0 / 3.0));
    __m256d angle = _mm256_add_pd(base, _mm256_fmadd_pd(_mm256_mul_pd(u, z), p, u));   // atan t ∈ [0, π/4]

    angle = _mm256_blendv_pd(angle, _mm256_sub_pd(_mm256_set1_pd(1.57079632679489661923), angle), swapped);
    const __m256d negative_x = _mm256_cmp_pd(x, zero, _CMP_LT_OQ);
    angle = _mm256_blendv_pd(angle, _mm256_sub_pd(_mm256_set1_pd(3.14159265358979323846), angle), negative_x);
    return _mm256_or_pd(angle, _mm256_and_pd(y, sign_mask));   // the sign of y
}
/// The angle θ ∈ [0, π] of a pair from s = r·sin θ ≥ 0, σ = r·cos θ and r > 0, by the half angle:
/// t = s/(r + |σ|) = tan(φ/2) ∈ [0, 1] with φ = θ for σ ≥ 0 and φ = π − θ for σ < 0. atan t is
/// reduced with the centers c_k = tan(kπ/12), k = 0…3, as in `ntkb_atan2_avx2` (one division,
/// |u| ≤ tan(π/24), the odd series through u¹⁷), so φ = 2·atan t keeps full relative accuracy at
/// small angles and θ = π − φ full absolute accuracy near π. Fewer operations than atan2: no
/// min/max, swap or sign handling (a few ulp, like atan2).
NTKB_AVX2 static inline __m256d ntkb_pair_angle_avx2(__m256d s, __m256d sigma, __m256d r) {
    const __m256d sign_mask = _mm256_set1_pd(-0.0), zero = _mm256_setzero_pd();
    const __m256d large = _mm256_add_pd(r, _mm256_andnot_pd(sign_mask, sigma));
    const __m256d above1 = _mm256_cmp_pd(s, _mm256_mul_pd(large, _mm256_set1_pd(0.13165249758739585347)), _CMP_GT_OQ);
    const __m256d above2 = _mm256_cmp_pd(s, _mm256_mul_pd(large, _mm256_set1_pd(0.41421356237309504880)), _CMP_GT_OQ);
    const __m256d above3 = _mm256_cmp_pd(s, _mm256_mul_pd(large, _mm256_set1_pd(0.76732698797895998412)), _CMP_GT_OQ);
    __m256d center = _mm256_blendv_pd(zero, _mm256_set1_pd(0.26794919243112270647), above1);
    center = _mm256_blendv_pd(center, _mm256_set1_pd(0.57735026918962576451), above2);
    center = _mm256_blendv_pd(center, _mm256_set1_pd(1.0), above3);
    __m256d base = _mm256_blendv_pd(zero, _mm256_set1_pd(0.52359877559829887308), above1);   // 2·kπ/12
    base = _mm256_blendv_pd(base, _mm256_set1_pd(1.04719755119659774615), above2);
    base = _mm256_blendv_pd(base, _mm256_set1_pd(1.57079632679489661923), above3);
    const __m256d nonzero = _mm256_cmp_pd(large, zero, _CMP_GT_OQ);
    const __m256d u = _mm256_and_pd(_mm256_div_pd(_mm256_fnmadd_pd(center, large, s), _mm256_fmadd_pd(center, s, large)),
                                    nonzero);   // 0/0 → 0
    const __m256d z = _mm256_mul_pd(u, u);
    __m256d p = _mm256_set1_pd(2.0 / 17.0);
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(-2.0 / 15.0));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(2.0 / 13.0));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(-2.0 / 11.0));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(2.0 / 9.0));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(-2.0 / 7.0));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(2.0 / 5.0));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(-2.0 / 3.0));
    const __m256d phi = _mm256_add_pd(base, _mm256_fmadd_pd(_mm256_mul_pd(u, z), p, _mm256_add_pd(u, u)));
    const __m256d obtuse = _mm256_cmp_pd(sigma, zero, _CMP_LT_OQ);
    return _mm256_blendv_pd(phi, _mm256_sub_pd(_mm256_set1_pd(3.14159265358979323846), phi), obtuse);
}

/// atan2(y, x) for eight lanes: `ntkb_atan2_avx2` operation for operation (comparisons into
/// mask registers, blends as masked moves), so each lane's result is the same bits.
NTKB_AVX512 static inline __m512d ntkb_atan2_avx512(__m512d y, __m512d x) {
    const __m512d zero = _mm512_setzero_pd();
    const __m512d ax = _mm512_abs_pd(x), ay = _mm512_abs_pd(y);
    const __mmask8 swapped = _mm512_cmp_pd_mask(ay, ax, _CMP_GT_OQ);
    const __m512d small = _mm512_min_pd(ax, ay), large = _mm512_max_pd(ax, ay);
    const __mmask8 nonzero = _mm512_cmp_pd_mask(large, zero, _CMP_GT_OQ);

    const __mmask8 above1 = _mm512_cmp_pd_mask(small, _mm512_mul_pd(large, _mm512_set1_pd(0.13165249758739585347)), _CMP_GT_OQ);
    const __mmask8 above2 = _mm512_cmp_pd_mask(small, _mm512_mul_pd(large, _mm512_set1_pd(0.41421356237309504880)), _CMP_GT_OQ);
    const __mmask8 above3 = _mm512_cmp_pd_mask(small, _mm512_mul_pd(large, _mm512_set1_pd(0.76732698797895998412)), _CMP_GT_OQ);
    __m512d center = _mm512_maskz_mov_pd(above1, _mm512_set1_pd(0.26794919243112270647));
    center = _mm512_mask_mov_pd(center, above2, _mm512_set1_pd(0.57735026918962576451));
    center = _mm512_mask_mov_pd(center, above3, _mm512_set1_pd(1.0));
    __m512d base = _mm512_maskz_mov_pd(above1, _mm512_set1_pd(0.26179938779914943654));
    base = _mm512_mask_mov_pd(base, above2, _mm512_set1_pd(0.52359877559829887308));
    base = _mm512_mask_mov_pd(base, above3, _mm512_set1_pd(0.78539816339744830962));

    const __m512d u = _mm512_maskz_div_pd(nonzero, _mm512_fnmadd_pd(center, large, small),
                                          _mm512_fmadd_pd(center, small, large));   // 0/0 → 0
    const __m512d z = _mm512_mul_pd(u, u);
    __m512d p = _mm512_set1_pd(1.0 / 17.0);
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(-1.0 / 15.0));
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(1.0 / 13.0));
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(-1.0 / 11.0));
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(1.0 / 9.0));
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(-1.0 / 7.0));
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(1.0 / 5.0));
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(-1.0 / 3.0));
    __m512d angle = _mm512_add_pd(base, _mm512_fmadd_pd(_mm512_mul_pd(u, z), p, u));

    angle = _mm512_mask_sub_pd(angle, swapped, _mm512_set1_pd(1.57079632679489661923), angle);
    const __mmask8 negative_x = _mm512_cmp_pd_mask(x, zero, _CMP_LT_OQ);
    angle = _mm512_mask_sub_pd(angle, negative_x, _mm512_set1_pd(3.14159265358979323846), angle);
    const __m512i sign = _mm512_and_si512(_mm512_castpd_si512(y), _mm512_set1_epi64((long long)0x8000000000000000ULL));
    return _mm512_castsi512_pd(_mm512_or_si512(_mm512_castpd_si512(angle), sign));   // the sign of y
}
/// tan(φ/2 − atan c) = (s − c·large)/(large + c·s), the half angle t = s/large = tan(φ/2) reduced
/// around the center c (one division); 0 in the lanes outside `nonzero` (large = 0: 0/0).
NTKB_AVX512 static inline __m512d ntkb_reduced_half_angle_avx512(__m512d s, __m512d large, __m512d center,
                                                                 __mmask8 nonzero) {
    return _mm512_maskz_div_pd(nonzero, _mm512_fnmadd_pd(center, large, s), _mm512_fmadd_pd(center, s, large));
}
/// ((c₀·z + c₁)·z + …)·z + c_{n−1}, one multiply-add per step (inlined: the loop unrolls).
NTKB_AVX512 static inline __attribute__((always_inline)) __m512d ntkb_horner_avx512(__m512d z, const double *c, int n) {
    __m512d p = _mm512_set1_pd(c[0]);
    for (int i = 1; i < n; i++) p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(c[i]));
    return p;
}
/// θ = φ where σ ≥ 0, π − φ where σ < 0 (φ measured from the nearer of the directions ±1).
NTKB_AVX512 static inline __m512d ntkb_reflect_obtuse_avx512(__m512d phi, __m512d sigma) {
    const __mmask8 obtuse = _mm512_cmp_pd_mask(sigma, _mm512_setzero_pd(), _CMP_LT_OQ);
    return _mm512_mask_sub_pd(phi, obtuse, _mm512_set1_pd(3.14159265358979323846), phi);
}
/// `ntkb_pair_angle_avx2` on eight lanes, operation for operation (bit-identical results).
NTKB_AVX512 static inline __m512d ntkb_pair_angle_avx512(__m512d s, __m512d sigma, __m512d r) {
    const __m512d zero = _mm512_setzero_pd();
    const __m512d large = _mm512_add_pd(r, _mm512_abs_pd(sigma));
    const __mmask8 above1 = _mm512_cmp_pd_mask(s, _mm512_mul_pd(large, _mm512_set1_pd(0.13165249758739585347)), _CMP_GT_OQ);
    const __mmask8 above2 = _mm512_cmp_pd_mask(s, _mm512_mul_pd(large, _mm512_set1_pd(0.41421356237309504880)), _CMP_GT_OQ);
    const __mmask8 above3 = _mm512_cmp_pd_mask(s, _mm512_mul_pd(large, _mm512_set1_pd(0.76732698797895998412)), _CMP_GT_OQ);
    __m512d center = _mm512_maskz_mov_pd(above1, _mm512_set1_pd(0.26794919243112270647));
    center = _mm512_mask_mov_pd(center, above2, _mm512_set1_pd(0.57735026918962576451));
    center = _mm512_mask_mov_pd(center, above3, _mm512_set1_pd(1.0));
    __m512d base = _mm512_maskz_mov_pd(above1, _mm512_set1_pd(0.52359877559829887308));
    base = _mm512_mask_mov_pd(base, above2, _mm512_set1_pd(1.04719755119659774615));
    base = _mm512_mask_mov_pd(base, above3, _mm512_set1_pd(1.57079632679489661923));
    const __mmask8 nonzero = _mm512_cmp_pd_mask(large, zero, _CMP_GT_OQ);
    const __m512d u = ntkb_reduced_half_angle_avx512(s, large, center, nonzero);
    const __m512d z = _mm512_mul_pd(u, u);
    static const double series[] = {2.0 / 17, -2.0 / 15, 2.0 / 13, -2.0 / 11, 2.0 / 9, -2.0 / 7, 2.0 / 5, -2.0 / 3};
    const __m512d p = ntkb_horner_avx512(z, series, 8);
    const __m512d phi = _mm512_add_pd(base, _mm512_fmadd_pd(_mm512_mul_pd(u, z), p, _mm512_add_pd(u, u)));
    return ntkb_reflect_obtuse_avx512(phi, sigma);
}

/// The angle θ ∈ [0, π] of a pair, as `ntkb_pair_angle_avx512` (the half angle t = s/large =
/// tan(φ/2), large = r + |σ|), with the reduction chosen by arithmetic instead of comparisons and
/// blends: t is estimated from a 14-bit reciprocal of `large`, k = round(7t) ∈ 0…7 (the low bits
/// of 7t + 1.5·2⁵²), and the center c_k = k/7 and 2·atan c_k are permuted from registers. One
/// division gives u = (s − c_k·large)/(large + c_k·s) = tan(φ/2 − atan c_k), |u| ≤ 1/14 (+ the
/// estimate's 7·2⁻¹⁴ slack), where 2·atan u = u·(2 − 2u²/3 + … + 2u¹²/13) is exact to below 1e-17
/// relative; φ = 2·atan c_k + u·(…). k = 0 (c = 0) keeps full relative accuracy at small angles.
/// Lanes with large = 0 give 0. About a third fewer operations than the compare-and-blend form,
/// to a few ulp as well; the reciprocal estimate is implementation-specific, so an interval choice
/// (not the accuracy) may differ between CPU models, and this form has no AVX2 twin.
NTKB_AVX512 static inline __m512d ntkb_pair_angle_permuted_avx512(__m512d s, __m512d large, __m512d sigma) {
    const __m512d zero = _mm512_setzero_pd();
    const __mmask8 nonzero = _mm512_cmp_pd_mask(large, zero, _CMP_GT_OQ);
    const __m512d estimate = _mm512_mul_pd(s, _mm512_rcp14_pd(large));
    const __m512i k = _mm512_castpd_si512(_mm512_fmadd_pd(estimate, _mm512_set1_pd(7.0),
                                                          _mm512_set1_pd(6755399441055744.0)));   // 1.5·2⁵²
    const __m512d centers = _mm512_setr_pd(0.0, 1.0 / 7, 2.0 / 7, 3.0 / 7, 4.0 / 7, 5.0 / 7, 6.0 / 7, 1.0);
    // 2·atan of each (rounded) center, correctly rounded.
    const __m512d bases = _mm512_setr_pd(0.0, 0.28379410920832782, 0.55659931801022267, 0.80978357257016675,
                                         1.0382922284930458, 1.240498971965643, 1.4172525442553405,
                                         1.5707963267948966);
    const __m512d center = _mm512_maskz_permutexvar_pd(nonzero, k, centers);
    const __m512d base = _mm512_maskz_permutexvar_pd(nonzero, k, bases);
    const __m512d u = ntkb_reduced_half_angle_avx512(s, large, center, nonzero);
    static const double series[] = {2.0 / 13, -2.0 / 11, 2.0 / 9, -2.0 / 7, 2.0 / 5, -2.0 / 3, 2.0};
    const __m512d phi = _mm512_fmadd_pd(u, ntkb_horner_avx512(_mm512_mul_pd(u, u), series, 7), base);
    return ntkb_reflect_obtuse_avx512(phi, sigma);
}
#else
#define NTKB_HAVE_AVX2_PATH 0
#endif

#endif
