import LinearAlgebra

/// The products of one affine layer on a batch (rows are points), each one GEMM on the layer's
/// weights addressed in place in the flat buffer. `parameters` points at the start of the buffer
/// in which the layer's `offset` is counted (the network's parameters, a direction in parameter
/// space, or a gradient).
extension AffineLayer {
    func weightView(_ parameters: UnsafePointer<Double>) -> MatrixView {
        MatrixView(base: parameters + offset, rows: fanOut, columns: fanIn)
    }

    /// a·H·Wᵀ + β·1bᵀ for inputs H (n × fanIn): the pre-activations Z (n × fanOut).
    func apply(_ input: Matrix, parameters: UnsafePointer<Double>) -> Matrix {
        precondition(input.columns == fanIn, "a layer with fan-in \(fanIn) got \(input.columns) inputs")
        let bias = parameters + biases.lowerBound
        return Matrix.filled(rows: input.rows, columns: fanOut) { z in
            let (width, scale) = (fanOut, biasMultiplier)
            for i in 0..<z.rows {
                let row = z.base + i * width
                for j in 0..<width { row[j] = scale * bias[j] }
            }
            input.withView { gemm($0, weightView(parameters), transposeB: true, into: z, alpha: weightMultiplier, beta: 1) }
        }
    }

    /// Z ← Z + a·H·Wᵀ (no bias): the product with the weights alone.
    func addWeightProduct(_ input: Matrix, parameters: UnsafePointer<Double>, into output: inout Matrix) {
        input.withView { h in
            output.withMutableView { z in
                gemm(h, weightView(parameters), transposeB: true, into: z, alpha: weightMultiplier, beta: 1)
            }
        }
    }

    /// a·D·W for output-side gradients D (n × fanOut): the gradient with respect to the inputs.
    func pullBack(_ delta: Matrix, parameters: UnsafePointer<Double>) -> Matrix {
        precondition(delta.columns == fanOut, "a layer with fan-out \(fanOut) got \(delta.columns) gradients")
        return Matrix.filled(rows: delta.rows, columns: fanIn) { g in
            delta.withView { gemm($0, weightView(parameters), into: g, alpha: weightMultiplier, beta: 0) }
        }
    }

    /// G ← G + a·D·W: `pullBack` accumulated into an existing gradient.
    func addPullBack(_ delta: Matrix, parameters: UnsafePointer<Double>, into inputGradient: inout Matrix) {
        delta.withView { d in
            inputGradient.withMutableView { g in
                gemm(d, weightView(parameters), into: g, alpha: weightMultiplier, beta: 1)
            }
        }
    }

    /// ∂W += s·a·Dᵀ·H and (if `includeBias`) ∂b += s·β·Σ_points D, written at this layer's
    /// offset in `gradient`: s times the gradient of ⟨D, Z⟩ with respect to the layer's
    /// parameters (s = −λ writes a gradient step straight into a parameter buffer).
    func addGradient(_ delta: Matrix, input: Matrix, into gradient: UnsafeMutablePointer<Double>,
                     includeBias: Bool = true, scale: Double = 1) {
        precondition(delta.rows == input.rows && delta.columns == fanOut && input.columns == fanIn,
                     "layer gradient shapes do not agree")
        let weightGradient = MutableMatrixView(base: gradient + offset, rows: fanOut, columns: fanIn)
        delta.withView { d in
            input.withView { h in
                gemm(d, transposeA: true, h, into: weightGradient, alpha: scale * weightMultiplier, beta: 1)
            }
            guard includeBias else { return }
            let (biasGradient, width, scale) = (gradient + biases.lowerBound, fanOut, scale * biasMultiplier)
            for i in 0..<d.rows {
                let row = d.base + i * width
                for j in 0..<width { biasGradient[j] += scale * row[j] }
            }
        }
    }
}
