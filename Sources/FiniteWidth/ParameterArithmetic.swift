import CBLAS
import LinearAlgebra

/// In-place updates of parameter-shaped vectors and matrices, each one BLAS `daxpy` (no
/// per-entry allocation): the gradient steps θ ← θ − η·g and the recursions of the trainers.
enum ParameterArithmetic {
    /// y[offset..<offset + x.count] ← y[…] + a·x.
    static func addScaled(_ x: [Double], _ a: Double, to y: inout [Double], at offset: Int = 0) {
        precondition(offset >= 0 && offset + x.count <= y.count, "a vector update out of range")
        guard !x.isEmpty else { return }
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                cblas_daxpy(Int32(x.count), a, px.baseAddress!, 1, py.baseAddress! + offset, 1)
            }
        }
    }

    /// y ← y + a·x for buffers of `count` entries.
    static func addScaled(_ x: UnsafePointer<Double>, _ a: Double, to y: UnsafeMutablePointer<Double>, count: Int) {
        cblas_daxpy(Int32(count), a, x, 1, y, 1)
    }

    /// The network's parameters moved in place by a·direction.
    static func move<Network: BodyFeatureMap>(_ network: inout Network, _ a: Double, along direction: [Double]) {
        addScaled(direction, a, to: &network.parameters)
    }

    /// x·a + y as a new vector (y unchanged).
    static func sum(_ y: [Double], _ a: Double, _ x: [Double]) -> [Double] {
        var result = y
        addScaled(x, a, to: &result)
        return result
    }

    /// Y ← Y + a·X for matrices of one shape.
    static func addScaled(_ x: Matrix, _ a: Double, to y: inout Matrix) {
        precondition(x.rows == y.rows && x.columns == y.columns, "a matrix update of different shapes")
        guard !x.isEmpty else { return }
        let count = x.rows * x.columns
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                cblas_daxpy(Int32(count), a, px.baseAddress!, 1, py.baseAddress!, 1)
            }
        }
    }

    /// A network whose parameters are those of `network` moved by a·direction.
    static func moved<Network: BodyFeatureMap>(_ network: Network, _ a: Double, along direction: [Double]) -> Network {
        var result = network
        result.parameters = sum(network.parameters, a, direction)
        return result
    }
}
