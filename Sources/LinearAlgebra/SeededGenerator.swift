import Foundation

/// A small, fast, seedable random number generator (xoshiro256**, seeded through SplitMix64),
/// so that task families and network initializations are reproducible from their seed alone,
/// on every platform and Swift version.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)
    /// A second standard normal from the last polar-method draw.
    private var spareNormal: Double?

    public init(seed: UInt64) {
        var splitMix = seed
        func next() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (next(), next(), next(), next())
        spareNormal = nil
    }

    /// An independent stream derived from this seed and a label (for example one stream per
    /// task, or per layer), so that adding draws to one stream never shifts another.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03 &+ 0x8CB9_2BA7_2F3D_8DD7))
    }

    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    /// Uniform on [0, 1) with 53 random bits.
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform on [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * uniform()
    }

    /// A standard normal draw (Marsaglia's polar method).
    public mutating func normal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        while true {
            let u = 2 * uniform() - 1, v = 2 * uniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let factor = (-2 * log(s) / s).squareRoot()
                spareNormal = v * factor
                return u * factor
            }
        }
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

extension Matrix {
    /// A matrix of i.i.d. N(0, σ²) entries, drawn row after row.
    public static func randomNormal(rows: Int, columns: Int, standardDeviation: Double = 1,
                                    using generator: inout SeededGenerator) -> Matrix {
        var m = Matrix(rows: rows, columns: columns)
        for k in 0..<(rows * columns) { m.elements[k] = standardDeviation * generator.normal() }
        return m
    }
}
