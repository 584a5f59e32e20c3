#ifndef NTKBRIDGE_CNUMERICS_H
#define NTKBRIDGE_CNUMERICS_H

// Hot elementwise loops of NTKBridge, in C so that they can use AVX2/FMA (chosen at run time)
// and glibc's vector math library. Every function has a portable scalar path that computes the
// same formula; tests compare the two.

#include <stddef.h>

/// The path of the shared library that serves `symbol` at run time, or NULL.
const char *ntkb_library_serving(const char *symbol);

/// Nonzero when the AVX2+FMA paths are in use on this CPU.
int ntkb_uses_avx2(void);

/// Nonzero when the AVX-512 paths are in use on this CPU. They compute, lane for lane, the same
/// operations as the AVX2 paths (eight lanes instead of four, mask registers instead of blend
/// masks), so their results are bit-identical; on cores that split a 512-bit operation in two
/// they still issue half the instructions, which is what bounds these loops.
int ntkb_uses_avx512(void);

/// glibc only: blocks up to `mmap_threshold` bytes come from the heap, and freed memory is
/// returned to the system only beyond `trim_threshold` bytes (see AllocatorTuning.swift).
void ntkb_keep_freed_memory(size_t mmap_threshold, size_t trim_threshold);

/// Asks the kernel to back the whole 2 MiB pages inside [p, p + bytes) with transparent huge
/// pages (madvise MADV_HUGEPAGE; Linux only, a no-op elsewhere or where refused). Call before
/// the memory is first touched: one fault then maps 2 MiB instead of 4 KiB, which on the
/// project's virtual machines makes first touch of a large output several times cheaper.
void ntkb_advise_huge_pages(void *p, size_t bytes);

/// The opposite of ntkb_advise_huge_pages (MADV_NOHUGEPAGE): 4 KiB pages even where the system
/// backs memory with huge pages by default, for buffers the caller fills only in part.
void ntkb_advise_small_pages(void *p, size_t bytes);

/// Maps (and zeroes) in one call per run of pages, instead of one page fault per 4 KiB page, the
/// pages of the row-major n × n array at `base` that hold entries (i, j), j ≥ i, of rows
/// first_row ≤ i < end_row (madvise MADV_POPULATE_WRITE, Linux 5.14). Returns 1 if done, 0 where
/// the system does not offer it (the pages are then mapped on first touch, as usual).
int ntkb_populate_upper_triangle(double *base, size_t n, size_t first_row, size_t end_row);

/// A second, write-only descriptor of the existing file `path` opened with O_DIRECT, or −1
/// (with errno) where the file system or platform does not offer it.
int ntkb_open_direct(const char *path);

/// Writes the `count` bytes at `bytes` at file offset `offset`: when `direct_fd` ≥ 0 and the
/// memory address and the offset are congruent modulo 4096, the whole 4 KiB pages in between go
/// through `direct_fd` (O_DIRECT: from memory to the device, no copy into the page cache, no CPU
/// time) and the unaligned head and tail through `fd`; otherwise everything through `fd`.
/// Returns 0 or the errno of the failure.
int ntkb_write_range(int fd, int direct_fd, const void *bytes, size_t count, long long offset);

/// Forces the portable scalar paths (for tests that compare them with the vector paths).
void ntkb_force_scalar(int force);

/// Limits the vector paths (for tests and benchmarks): 0 the widest the CPU has, 1 at most AVX2,
/// 2 scalar only (the same as ntkb_force_scalar(1)).
void ntkb_limit_vector_width(int limit);

// Dual-activation maps of one layer on a row segment of n pairs (x_i, x_j).
//
// Inputs per pair: sigma[j] = Σ(x_i, x_j); per point: qi = Σ(x_i, x_i), qj[j] = Σ(x_j, x_j), and
// their square roots root_qi, root_qj[j] (computed once per point, not once per pair).
// Outputs: sigma_hat[j] = E[φ(u)φ(v)], sigma_dot[j] = E[φ'(u)φ'(v)] with
// (u, v) ~ N(0, [[qi, Σ], [Σ, qj]]).

/// ABReLU(a, b) = a·min(x, 0) + b·max(x, 0) (ReLU: a = 0, b = 1).
///
/// The pair's geometry is carried as det[j] = qi·qj − Σ² ≥ 0, computed without cancellation,
/// so that θ = atan2(√det, Σ) (vector paths: from the half angle, `ntkb_pair_angle_*` in
/// vector_math.h) is accurate to round-off even for (nearly) parallel or antipodal
/// pairs. With m = (a² + b²)/2 and c = (a − b)²/(2π):
///     Σ̇ = m − c·θ,    Σ̂ = c·√det + Σ·Σ̇.
/// If next_det is not NULL it receives the next layer's det for the hidden step
/// Σ' = w·Σ̂ + v (w = σ_w², v = σ_b²):
///     det' = w²·g·(m·r + Σ̂) + w·v·(m·(√qi − √qj)² + 2g),   g = m·r − Σ̂ ≥ 0,  r = √(qi·qj),
/// with g = m·(r − Σ) − c·r·(sin θ − θ cos θ) evaluated stably (series for small θ).
void ntkb_abrelu_dual(size_t n, double a, double b, double weight_var, double bias_var,
                      double root_qi, const double *root_qj, const double *sigma, const double *det,
                      double *sigma_hat, double *sigma_dot, double *next_det);

/// One hidden layer of the NTK-parameterized recursion for ABReLU, in place: the dual map above
/// (next_det receives det'), then Σ ← σ_w²·Σ̂ + σ_b² and Θ ← (σ_w²·Σ̂ + σ_b²) + (σ_w²·Σ̇)·Θ, each
/// product and sum rounded on its own (bit-identical to the map followed by that step), chunk
/// by chunk while Σ̂ and Σ̇ are in cache.
void ntkb_abrelu_hidden_layer(size_t n, double a, double b, double weight_var, double bias_var,
                              double root_qi, const double *root_qj, double *sigma, const double *det,
                              double *theta, double *next_det);

/// Pieces of [0, π] in the tables of `ntkb_angular_readout`, and the polynomials' degree.
#define NTKB_ANGULAR_PIECES 8
#define NTKB_ANGULAR_DEGREE 13

/// The readout of a bias-free ABReLU network in NTK parameterization from the first layer
/// (AngularReadout.swift, Docs/kernels.md "Bias-free networks"): with r = √q_i·√q_j and
/// θ = atan2(√det, Σ) of the first layer, 𝒦 = r·P(θ) + readout_bias_var and Θ_body = r·B(θ),
/// where P and B are polynomials on NTKB_ANGULAR_PIECES equal pieces of [0, π]: on piece p, in
/// x ∈ [−1, 1] across the piece, P = Σ_k table[k·NTKB_ANGULAR_PIECES + p]·x^k,
/// k = 0…NTKB_ANGULAR_DEGREE (Horner, fused multiply-adds). Writes 𝒦 to `nngp` and `head`,
/// Θ = 𝒦 + Θ_body to `ntk` and Θ_body to `body` (any may be NULL; none is read back, so they may
/// share a scratch buffer) for n pairs from root_qj[0], sigma[0], det[0] on. Returns 0 if some Θ
/// is not finite, else 1.
int ntkb_angular_readout(size_t n, const double *nngp_table, const double *body_table, double readout_bias_var,
                         double root_qi, const double *root_qj, const double *sigma, const double *det,
                         double *nngp, double *ntk, double *head, double *body);


/// The first layer of a row segment in NTK parameterization: Σ¹[k] = scale·inner[k] + shift
/// (the inner products x_i·x_j), Θ¹[k] = Σ¹[k], and if det is not NULL det[k] = q1·q2[k] − Σ¹[k]²,
/// each product and difference rounded on its own. The k where that difference is not at least
/// recompute_below·q1·q2[k] (cancellation: the caller recomputes det there from the inputs) are
/// listed in `recompute` (room for n), and their count returned.
size_t ntkb_first_layer(size_t n, double scale, double shift, double q1, const double *q2, const double *inner,
                        double recompute_below, double *sigma, double *theta, double *det, size_t *recompute);

/// The readout of a row segment in NTK parameterization, written in place: with rw = σ_w_out²,
/// rb = σ_b_out², nngp[k] = rw·Σ̂[k] + rb and ntk[k] = nngp[k] + (rw·Σ̇[k])·Θ[k], each product and
/// sum rounded on its own (the same bits on every path). Returns 1 if every value written is
/// finite, else 0.
int ntkb_ntk_readout(size_t n, double readout_weight_var, double readout_bias_var, const double *hat,
                     const double *dot, const double *theta, double *nngp, double *ntk);

/// erf:  Σ̂ = (2/π)·atan2(2Σ, √D),  Σ̇ = (4/π)/√D,  D = (1 + 2qi)(1 + 2qj) − 4Σ²
/// (D evaluated as 1 + 2(qi + qj) + 4(r − Σ)(r + Σ), r = √(qi·qj)).
void ntkb_erf_dual(size_t n, double qi, double root_qi, const double *qj, const double *root_qj,
                   const double *sigma, double *sigma_hat, double *sigma_dot);

/// GELU φ(x) = x·Φ(x) (closed form of Tsuchida et al. 2020), with
/// δ² = (1 + qi)(1 + qj) − Σ², A = atan2(Σ, δ):
///     Σ̂ = Σ/4 + [(Σ² + qi·qj·δ²)/((1 + qi)(1 + qj)·δ) + Σ·A]/(2π)
///     Σ̇ = 1/4 + A/(2π) + Σ/(2π·δ)·[1/δ² + (1 − qi·qj)/((1 + qi)(1 + qj)) + 1]
void ntkb_gelu_dual(size_t n, double qi, double root_qi, const double *qj, const double *root_qj,
                    const double *sigma, double *sigma_hat, double *sigma_dot);

/// sin (cosine = 0) or cos (cosine = 1): with m = (qi + qj)/2,
///     sin:  Σ̂ = e^{−m}·sinh Σ,  Σ̇ = e^{−m}·cosh Σ      cos:  Σ̂ = e^{−m}·cosh Σ,  Σ̇ = e^{−m}·sinh Σ.
void ntkb_trig_dual(size_t n, int cosine, double qi, const double *qj, const double *sigma,
                    double *sigma_hat, double *sigma_dot);

/// exp:  Σ̂ = Σ̇ = e^{(qi + qj)/2 + Σ}.
void ntkb_exp_dual(size_t n, double qi, const double *qj, const double *sigma, double *sigma_hat, double *sigma_dot);

/// The Gaussian e^{−x²}: with D = (1 + 2qi)(1 + 2qj) − 4Σ² (evaluated as for erf),
///     Σ̂ = D^{−1/2},  Σ̇ = 4Σ·D^{−3/2}.
void ntkb_gaussian_dual(size_t n, double qi, double root_qi, const double *qj, const double *root_qj,
                        const double *sigma, double *sigma_hat, double *sigma_dot);

/// Maps that depend on the angle only, Σ̂ = c0 + c1·(1 − 2θ/π), Σ̇ = 0: sign (c0 = 0, c1 = 1)
/// and the step 1{x > 0} (c0 = c1 = 1/4). θ = atan2(√det, Σ) with det carried as for ABReLU;
/// next_det (if not NULL) receives det' = (q' − Σ')(q' + Σ') for Σ' = w·Σ̂ + v, q' = w(c0 + c1) + v:
///     q' − Σ' = w·c1·2θ/π,   q' + Σ' = 2v + w·(2c0 + c1·(2 − 2θ/π)).
void ntkb_angular_dual(size_t n, double c0, double c1, double weight_var, double bias_var,
                       double root_qi, const double *root_qj, const double *sigma, const double *det,
                       double *sigma_hat, double *sigma_dot, double *next_det);

/// The rectified monomial max(0, x)ⁿ, n = degree ≥ 1 (the arc-cosine kernel of Cho & Saul 2009):
/// with r = √(qi·qj), ρ = Σ/r, θ = arccos ρ,
///     Σ̂ = rⁿ/(2π)·Jₙ(θ),   Σ̇ = n²·r^{n−1}/(2π)·J_{n−1}(θ),   Jₙ = Pₙ(ρ)·(π − θ) + Rₙ(ρ)·sin θ,
/// Pₙ, Rₙ polynomials (coefficients lowest first: p_hat, r_hat of degree n; p_dot, r_dot of
/// degree n − 1) built by P₀ = 1, R₀ = 0, P_{n+1} = (1 − ρ²)Pₙ′ + (2n+1)ρPₙ,
/// R_{n+1} = Pₙ + (1 − ρ²)Rₙ′ + 2nρRₙ.
void ntkb_arccos_dual(size_t n, size_t degree, const double *p_hat, const double *r_hat,
                      const double *p_dot, const double *r_dot, double root_qi, const double *root_qj,
                      const double *sigma, double *sigma_hat, double *sigma_dot);

/// One truncated Hermite (Mehler) series for n pairs (x_i, x_j), over the degrees
/// k = first + step·t, t = 0…terms−1 (step 1, or 2 for an odd or even φ): with the row point's
/// coefficients ci[t] (contiguous) and the column points' cj[t·stride + j] (one row of `stride`
/// points per term),
///     out[j] = Σ_t ci[t]·cj[t·stride + j]·ρ[j]^{first + step·t}     (first ∈ {0, 1}).
void ntkb_hermite_sum(size_t n, size_t terms, size_t first, size_t step, const double *rho, const double *ci,
                      const double *cj, size_t stride, double *out);

/// ρ[j] = Σ[j]/(root_qi·root_qj[j]) clamped to [−1, 1] (0 when a variance is 0); returns the
/// largest |ρ[j]| not above `limit` (0 if none).
double ntkb_correlations(size_t n, double root_qi, const double *root_qj, const double *sigma, double limit, double *rho);

// Convolutional kernel engine (convolution_sums.c).

/// out[k] = scale·Σ_s sources[s][k] + shift (+ addend[k] if addend is not NULL), k < n: the
/// filter taps of a convolution summed over runs of pairs. `out` may not alias a source.
void ntkb_sum_runs(size_t n, const double *const *sources, size_t count, double scale, double shift,
                   const double *addend, double *out);

/// det[k] = (r − Σ_k)(r + Σ_k) with r = √qi·√qj[k]: q_i·q_j − Σ² without squaring the roots again.
void ntkb_pair_determinant(size_t n, double root_qi, const double *root_qj, const double *sigma, double *det);

/// The activation's update of a run: sigma[k] = hat[k], theta[k] *= dot[k].
void ntkb_activation_update(size_t n, const double *hat, const double *dot, double *sigma, double *theta);

// Fused tile passes of the convolutional kernel engine (convolution_tile.c).

/// The box convolution of one offset class, state ← scale·Σ_taps state[shifted] + shift
/// (+ addend), as vertical run sums into `scratch`, then horizontal ones (ntkb_sum_runs order).
/// `*_source[position·taps + t]` is the position tap t reads, or −1 for padding.
void ntkb_box_convolve(size_t vertical_positions, size_t vertical_taps, const long *vertical_source,
                       size_t horizontal_positions, size_t horizontal_taps, const long *horizontal_source,
                       size_t pairs, double scale, double shift, const double *addend, double *state,
                       double *scratch);

/// One convolution layer of a tile's Σ and Θ (an offset class, geometry as in
/// ntkb_box_convolve) in one pass, out of place: sigma_out = scale·Σ_taps sigma + shift,
/// theta_out = scale·Σ_taps theta + sigma_out, or theta_out = sigma_out when theta is NULL (Θ
/// is zero before the first layer). Bit-identical to ntkb_box_convolve on copies (same sums,
/// same order, fused multiply-adds in every lane); on AVX-512 3-tap rows slide a window in
/// registers instead of passing through `scratch`, which holds max(8·horizontal_positions,
/// vertical_positions·horizontal_positions·pairs) values.
void ntkb_box_convolve_pair(size_t vertical_positions, size_t vertical_taps, const long *vertical_source,
                            size_t horizontal_positions, size_t horizontal_taps, const long *horizontal_source,
                            size_t pairs, double scale, double shift, const double *sigma, const double *theta,
                            double *sigma_out, double *theta_out, double *scratch);

/// The input layer's products of a tile: sigma[s·pairs + k] = Σ_m row[p·C + m]·columns[q·column_stride
/// + k·C + m] / C (p = first_pixel[s], q = second_pixel[s]; C = 1: the bare product), each product
/// and sum rounded on its own, channels in order.
void ntkb_conv_input_products(size_t sites, size_t pairs, size_t channels, const long *first_pixel,
                              const long *second_pixel, const double *row, const double *columns,
                              size_t column_stride, double *sigma);

/// A tile's readout sums: sum_sigma[k] += sigma[s·pairs + k], sum_theta[k] += theta[s·pairs + k]
/// for s = 0, 1, … in order (each sum's additions in site order, whatever the vector path).
void ntkb_conv_add_sites(size_t sites, size_t pairs, const double *sigma, const double *theta, double *sum_sigma,
                         double *sum_theta);

/// The ABReLU(a, b) activation of every site of a tile (site s: pixels first_pixel[s] of the row
/// point, second_pixel[s] of the columns): det = (r − Σ)(r + Σ) with r = √qi·√qj, θ = atan2(√det, Σ)
/// (vector paths: θ = 2·atan(√det/(r + Σ)) for Σ ≥ 0, π − 2·atan(√det/(r − Σ)) for Σ < 0; on
/// AVX-512 every pair, tails under a mask, with the reduction of `ntkb_pair_angle_permuted_avx512`),
/// Σ̇ = m − c·θ, Σ̂ = c·√det + Σ·Σ̇ (m = (a² + b²)/2, c = (a − b)²/2π); then Σ ← Σ̂, Θ ← Σ̇·Θ.
/// √qi of pixel p is root_row[p·row_stride], the run √qj of pixel q starts at
/// root_columns + q·column_stride. If diagonal ≥ 0, that pair at same-pixel sites takes the
/// exact maps exact_hat[p], exact_dot[p]. Layout: sigma[s·pairs + k].
void ntkb_conv_abrelu_activate(size_t sites, size_t pairs, double a, double b, const long *first_pixel,
                               const long *second_pixel, const double *root_row, size_t row_stride,
                               const double *root_columns, size_t column_stride, long diagonal,
                               const double *exact_hat, const double *exact_dot, double *sigma, double *theta);

// Numeric text (the CSV reader's byte scanner, text_numbers.c).
//
// Lines end with "\n", "\r\n" or "\r". Blank lines and lines whose first non-blank byte is '#'
// are skipped. Values are separated by a comma (with optional blanks around it) or by blanks
// (spaces, tabs); a '#' where a value would start ends the line. A value is a decimal number
// [+-]digits[.digits][(e|E)[+-]digits], converted with correct rounding (an exact fast path, else
// glibc's strtod in the C locale), so every shortest round-trip decimal reads back bit for bit.
// The text must be followed by one readable zero byte (text[length] == 0).

enum {
    NTKB_TEXT_OK = 0,
    NTKB_TEXT_NOT_A_NUMBER = 1,   // the token at offset (length bytes) is not a number
    NTKB_TEXT_NON_FINITE = 2,     // NaN, infinity, or a decimal beyond the float64 range
    NTKB_TEXT_BAD_SEPARATOR = 3,  // a number is followed by the byte at offset instead of a separator
    NTKB_TEXT_RAGGED = 4,         // the line at offset holds `column` values, not the expected count
    NTKB_TEXT_TOO_MANY_ROWS = 5,  // more data lines than the caller counted
};

typedef struct {
    int code;
    size_t offset;        // the byte the problem is at
    size_t token_offset;  // the start of the offending token
    size_t length;        // the token's length
    size_t column;        // 1-based value index (RAGGED: the number of values found)
} ntkb_text_error;

/// The first line start at or after `position` (0 and `length` are line starts).
size_t ntkb_text_line_boundary(const unsigned char *text, size_t length, size_t position);
/// The offset of the first byte in [begin, end) that is not part of valid UTF-8, or SIZE_MAX.
size_t ntkb_utf8_invalid_offset(const unsigned char *text, size_t begin, size_t end);
/// The number of data lines (neither blank nor comments) in [begin, end), which starts a line.
size_t ntkb_text_count_data_lines(const unsigned char *text, size_t begin, size_t end);
/// The number of values on the first data line (0 if none); SIZE_MAX with *error set if malformed.
size_t ntkb_text_first_row_width(const unsigned char *text, size_t length, ntkb_text_error *error);
/// Parses the data lines of [begin, end) into out (row-major, `columns` values each, at most
/// `rows` rows); returns the number of rows written; error->code says whether all went well.
size_t ntkb_text_parse_rows(const unsigned char *text, size_t begin, size_t end, size_t columns,
                            double *out, size_t rows, ntkb_text_error *error);
/// Converts the decimal [begin, end) (followed by a byte that is not part of a number) into
/// *value; returns NTKB_TEXT_OK, NTKB_TEXT_NON_FINITE or another error code.
int ntkb_text_parse_number(const unsigned char *begin, const unsigned char *end, double *value);
/// The 1-based line number of the byte at offset (which is not a '\n').
size_t ntkb_text_line_number(const unsigned char *text, size_t offset);

// OpenBLAS's worker threads (blas_threads.c). After each threaded call an idle OpenBLAS worker
// spins for 2^exponent TSC cycles before it sleeps (OpenBLAS's default, 28, is ≈ 0.1 s, taking a
// core from our own parallel loops). At load time the window is set to 2^20 cycles (≈ 0.4 ms),
// unless OPENBLAS_THREAD_TIMEOUT is set. Symbols are resolved at run time: with a BLAS other
// than a pthreads OpenBLAS, these do nothing.

/// The spin exponent applied at load time.
#define NTKB_BLAS_WORKER_SPIN_EXPONENT 20
/// Sets the spin window to 2^exponent cycles (4…30) and stops the workers, which the next
/// threaded call starts again with it; 1 if applied, 0 if the BLAS has no such pool. No BLAS
/// call may be running on any thread meanwhile (stopping joins the workers), and no other thread
/// may read the environment (the variable is set for a moment, then restored).
int ntkb_blas_set_worker_spin(int exponent);
/// The exponent last applied by this process, or 0 if none was.
int ntkb_blas_worker_spin(void);
/// 1 while OpenBLAS's worker threads exist, 0 after they were stopped (until the next threaded
/// call), -1 if the BLAS has no such pool.
int ntkb_blas_workers_running(void);

#endif
