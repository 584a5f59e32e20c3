import LinearAlgebra

/// Entrywise loops over whole buffers (no per-entry bounds or overflow checks).
enum Entrywise {
    /// a ← a ⊙ b.
    static func multiply(_ a: inout Matrix, by b: Matrix) {
        precondition(a.rows == b.rows && a.columns == b.columns, "Hadamard product of different shapes")
        let count = a.rows * a.columns
        b.withUnsafeBufferPointer { pb in
            a.withUnsafeMutableBufferPointer { pa in
                for i in 0..<count { pa[i] *= pb[i] }
            }
        }
    }

    /// a ← a + b ⊙ c.
    static func addProduct(_ a: inout Matrix, _ b: Matrix, _ c: Matrix) {
        precondition(a.elements.count == b.elements.count && b.elements.count == c.elements.count,
                     "entrywise product of different shapes")
        let count = a.rows * a.columns
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeBufferPointer { pc in
                a.withUnsafeMutableBufferPointer { pa in
                    for i in 0..<count { pa[i] += pb[i] * pc[i] }
                }
            }
        }
    }

    /// a ← a + b ⊙ c ⊙ d.
    static func addProduct(_ a: inout Matrix, _ b: Matrix, _ c: Matrix, _ d: Matrix) {
        precondition(a.elements.count == b.elements.count && b.elements.count == c.elements.count
                     && c.elements.count == d.elements.count, "entrywise product of different shapes")
        let count = a.rows * a.columns
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeBufferPointer { pc in
                d.withUnsafeBufferPointer { pd in
                    a.withUnsafeMutableBufferPointer { pa in
                        for i in 0..<count { pa[i] += pb[i] * pc[i] * pd[i] }
                    }
                }
            }
        }
    }

    /// a ← a + s (every entry).
    static func add(_ s: Double, to a: inout Matrix) {
        guard s != 0 else { return }
        let count = a.rows * a.columns
        a.withUnsafeMutableBufferPointer { pa in
            for i in 0..<count { pa[i] += s }
        }
    }

    /// ½‖a‖²_F.
    static func halfSquaredNorm(_ a: Matrix) -> Double {
        a.withUnsafeBufferPointer { pa in
            var sum = 0.0
            for x in pa { sum += x * x }
            return 0.5 * sum
        }
    }
}
