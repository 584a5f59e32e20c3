import InfiniteWidth
import LinearAlgebra
import RealModule

/// φ, φ' and φ'' applied to whole matrices of pre-activations. The switch on the activation
/// happens once per call; each case runs its own loop over the buffers, so the per-entry work
/// is the formula alone. The formulas are those of `Activation` (φ'(0) = a for ABReLU(a, b)).
struct ElementwiseActivation: Sendable {
    let activation: Activation

    /// Z ← φ(Z), in place.
    func apply(to z: inout Matrix) {
        z.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!, count = buffer.count
            switch activation {
            case .identity: break
            case .relu, .leakyReLU, .abReLU:
                let (a, b) = activation.abReLUSlopes!
                for i in 0..<count { p[i] = p[i] > 0 ? b * p[i] : a * p[i] }
            case .erf: for i in 0..<count { p[i] = Double.erf(p[i]) }
            case .gelu: for i in 0..<count { p[i] = p[i] * normalCDF(p[i]) }
            case .tanh: for i in 0..<count { p[i] = Double.tanh(p[i]) }
            case .softplus: for i in 0..<count { p[i] = softplus(p[i]) }
            case .sin: for i in 0..<count { p[i] = Double.sin(p[i]) }
            case let .custom(f): for i in 0..<count { p[i] = f.function(p[i]) }
            }
        }
    }

    /// (φ(Z), φ'(Z)) in one pass.
    func valuesAndSlopes(_ z: Matrix) -> (values: Matrix, slopes: Matrix) {
        var (h, s) = (z, z)
        h.withUnsafeMutableBufferPointer { hBuffer in
            s.withUnsafeMutableBufferPointer { sBuffer in
                fillValuesAndSlopes(hBuffer.baseAddress!, sBuffer.baseAddress!, count: hBuffer.count)
            }
        }
        return (h, s)
    }

    /// Overwrites the pre-activations in `h` by φ and those in `s` by φ'.
    private func fillValuesAndSlopes(_ h: UnsafeMutablePointer<Double>, _ s: UnsafeMutablePointer<Double>, count: Int) {
        switch activation {
        case .identity:
            for i in 0..<count { s[i] = 1 }
        case .relu, .leakyReLU, .abReLU:
            let (a, b) = activation.abReLUSlopes!
            for i in 0..<count {
                let positive = h[i] > 0
                s[i] = positive ? b : a
                h[i] *= s[i]
            }
        case .erf:
            let c = 2 / Double.pi.squareRoot()
            for i in 0..<count {
                let x = h[i]
                (h[i], s[i]) = (Double.erf(x), c * Double.exp(-x * x))
            }
        case .gelu:
            for i in 0..<count {
                let x = h[i], cdf = normalCDF(x)
                (h[i], s[i]) = (x * cdf, cdf + x * normalDensity(x))
            }
        case .tanh:
            for i in 0..<count {
                let t = Double.tanh(h[i])
                (h[i], s[i]) = (t, 1 - t * t)
            }
        case .softplus:
            for i in 0..<count {
                let x = h[i]
                (h[i], s[i]) = (softplus(x), logistic(x))
            }
        case .sin:
            for i in 0..<count {
                let x = h[i]
                (h[i], s[i]) = (Double.sin(x), Double.cos(x))
            }
        case let .custom(f):
            for i in 0..<count {
                let x = h[i]
                (h[i], s[i]) = (f.function(x), f.derivative(x))
            }
        }
    }

    /// True when φ'' = 0 almost everywhere (identity and the ABReLU family): Hessian-vector
    /// products then skip the curvature term.
    var hasCurvature: Bool { !activation.isPositivelyHomogeneous }

    /// φ''(Z) (zero for the piecewise-linear activations).
    func curvatures(_ z: Matrix) -> Matrix {
        var c = z
        c.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!, count = buffer.count
            switch activation {
            case .identity, .relu, .leakyReLU, .abReLU:
                for i in 0..<count { p[i] = 0 }
            case .erf:
                let c = -4 / Double.pi.squareRoot()
                for i in 0..<count { p[i] = c * p[i] * Double.exp(-p[i] * p[i]) }
            case .gelu:
                for i in 0..<count { p[i] = normalDensity(p[i]) * (2 - p[i] * p[i]) }
            case .tanh:
                for i in 0..<count {
                    let t = Double.tanh(p[i])
                    p[i] = -2 * t * (1 - t * t)
                }
            case .softplus:
                for i in 0..<count {
                    let s = logistic(p[i])
                    p[i] = s * (1 - s)
                }
            case .sin:
                for i in 0..<count { p[i] = -Double.sin(p[i]) }
            case let .custom(f):
                for i in 0..<count { p[i] = f.secondDerivative(p[i]) }
            }
        }
        return c
    }
}

/// Φ(x) = ½·erfc(−x/√2).
@inline(__always) private func normalCDF(_ x: Double) -> Double {
    0.5 * Double.erfc(-x * 0.707_106_781_186_547_524_4)
}

/// ϕ(x) = e^{−x²/2}/√(2π).
@inline(__always) private func normalDensity(_ x: Double) -> Double {
    Double.exp(-0.5 * x * x) * 0.398_942_280_401_432_677_9
}

/// log(1 + eˣ) without overflow.
@inline(__always) private func softplus(_ x: Double) -> Double {
    max(x, 0) + Double.log(onePlus: Double.exp(-abs(x)))
}

/// 1/(1 + e^{−x}) without overflow.
@inline(__always) private func logistic(_ x: Double) -> Double {
    x >= 0 ? 1 / (1 + Double.exp(-x)) : Double.exp(x) / (1 + Double.exp(x))
}
