import InfiniteWidth
import LinearAlgebra

/// φ, φ′ and φ″ applied to whole matrices of pre-activations. The formulas are those of
/// `Activation` (InfiniteWidth), written once there; this type only runs them over buffers, with
/// the piecewise-linear ABReLU family (φ′(0) = a for ABReLU(a, b)) and identity looped inline.
struct ElementwiseActivation: Sendable {
    let activation: Activation

    /// Z ← φ(Z), in place.
    func apply(to z: inout Matrix) {
        z.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!, count = buffer.count
            if activation == .identity { return }
            if let (a, b) = activation.abReLUSlopes {
                for i in 0..<count { p[i] = p[i] > 0 ? b * p[i] : a * p[i] }
                return
            }
            for i in 0..<count { p[i] = activation.value(p[i]) }
        }
    }

    /// (φ(Z), φ′(Z)) in one pass.
    func valuesAndSlopes(_ z: Matrix) -> (values: Matrix, slopes: Matrix) {
        var (h, s) = (z, z)
        h.withUnsafeMutableBufferPointer { hBuffer in
            s.withUnsafeMutableBufferPointer { sBuffer in
                fillValuesAndSlopes(hBuffer.baseAddress!, sBuffer.baseAddress!, count: hBuffer.count)
            }
        }
        return (h, s)
    }

    /// Overwrites the pre-activations in `h` by φ and those in `s` by φ′.
    private func fillValuesAndSlopes(_ h: UnsafeMutablePointer<Double>, _ s: UnsafeMutablePointer<Double>, count: Int) {
        if activation == .identity {
            for i in 0..<count { s[i] = 1 }
        } else if let (a, b) = activation.abReLUSlopes {
            for i in 0..<count {
                s[i] = h[i] > 0 ? b : a
                h[i] *= s[i]
            }
        } else {
            for i in 0..<count {
                let x = h[i]
                (h[i], s[i]) = (activation.value(x), activation.derivative(x))
            }
        }
    }

    /// True when φ″ is not zero almost everywhere: Hessian-vector products then include the
    /// curvature term.
    var hasCurvature: Bool { !activation.isPiecewiseLinear }

    /// φ″(Z) (zero for the piecewise-linear activations).
    func curvatures(_ z: Matrix) -> Matrix {
        var c = z
        c.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!, count = buffer.count
            if activation.isPiecewiseLinear {
                for i in 0..<count { p[i] = 0 }
            } else {
                for i in 0..<count { p[i] = activation.secondDerivative(p[i]) }
            }
        }
        return c
    }
}
