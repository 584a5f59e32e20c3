import Foundation
import InfiniteWidth
import LinearAlgebra

/// Kernels computed elsewhere — by Neural Tangents for an architecture the toolkit lacks, for
/// example — read from a folder for the predictors (theory.md §1, §2).
///
/// The folder holds n × n matrices over every point of a task file in its stacked order, each
/// as `<name>.csv` (no header) or `<name>.npy` (float64): either `nngp` and `ntk` (Neural
/// Tangents' two kernels; in NTK parameterization the NNGP kernel is the head kernel K, and the
/// body kernel is Θ − K), or `head` and `body` (Θ = K + Θ_body), or any three of the four.
/// Each matrix must be finite and symmetric to 1e-6 of its largest entry (a kernel computed in
/// float64 is symmetric far better than that); it is then symmetrized, (A + Aᵀ)/2, which leaves
/// an exactly symmetric matrix unchanged. When ntk, head and body are all given they must agree,
/// Θ = K + Θ_body to 1e-10 of max|Θ|.
public enum KernelDirectory {
    /// The kernel names read, in the order of `NetworkKernels`.
    public static let names = ["nngp", "ntk", "head", "body"]

    /// Reads the kernels in `directory` over `pointCount` points; `layout` describes the points'
    /// order for error messages.
    public static func read(_ directory: String, pointCount: Int, layout: String) throws -> NetworkKernels {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isFolder), isFolder.boolValue else {
            throw KernelImportError.notAFolder(directory)
        }
        var found: [String: Matrix] = [:]
        for name in names {
            let candidates = ["csv", "npy"].map { "\(directory)/\(name).\($0)" }.filter { FileManager.default.fileExists(atPath: $0) }
            guard candidates.count <= 1 else { throw KernelImportError.ambiguous(directory: directory, kernel: name) }
            guard let path = candidates.first else { continue }
            let matrix = path.hasSuffix(".csv") ? try Matrix(csvFile: path) : try Matrix(npyFile: path)
            found[name] = try validated(matrix, file: path, pointCount: pointCount, layout: layout)
        }
        guard let head = found["head"] ?? found["nngp"], found["ntk"] != nil || found["body"] != nil else {
            throw KernelImportError.missing(directory: directory, present: names.filter { found[$0] != nil })
        }
        let ntk = found["ntk"] ?? head + found["body"]!
        let body = found["body"] ?? ntk - head
        if found["ntk"] != nil, found["head"] != nil, found["body"] != nil {
            let scale = ntk.maxAbs, gap = (ntk - head - body).maxAbs
            guard gap <= 1e-10 * scale else {
                throw KernelImportError.inconsistent(directory: directory, largestGap: gap, largestEntry: scale)
            }
        }
        return NetworkKernels(depth: 0, nngp: found["nngp"] ?? head, ntk: ntk, head: head, body: body)
    }

    /// `matrix` checked for shape, finiteness and symmetry, then symmetrized.
    static func validated(_ matrix: Matrix, file: String, pointCount: Int, layout: String) throws -> Matrix {
        guard matrix.rows == pointCount, matrix.columns == pointCount else {
            throw KernelImportError.shape(file: file, rows: matrix.rows, columns: matrix.columns, expected: pointCount, layout: layout)
        }
        let n = pointCount
        for i in 0..<n {
            for j in 0..<n where !matrix[i, j].isFinite {
                throw KernelImportError.nonFinite(file: file, row: i, column: j, value: matrix[i, j])
            }
        }
        let tolerance = 1e-6 * matrix.maxAbs
        var symmetric = matrix
        for i in 0..<n {
            for j in (i + 1)..<n {
                let a = matrix[i, j], b = matrix[j, i]
                guard abs(a - b) <= tolerance else {
                    throw KernelImportError.asymmetric(file: file, row: i, column: j, value: a, transposed: b)
                }
                symmetric[i, j] = 0.5 * (a + b)
                symmetric[j, i] = symmetric[i, j]
            }
        }
        return symmetric
    }
}

/// Imported kernels that cannot be used, naming the file and what was expected.
public enum KernelImportError: Error, CustomStringConvertible, Equatable {
    case notAFolder(String)
    case ambiguous(directory: String, kernel: String)
    case missing(directory: String, present: [String])
    case shape(file: String, rows: Int, columns: Int, expected: Int, layout: String)
    case nonFinite(file: String, row: Int, column: Int, value: Double)
    case asymmetric(file: String, row: Int, column: Int, value: Double, transposed: Double)
    case inconsistent(directory: String, largestGap: Double, largestEntry: Double)

    public var description: String {
        switch self {
        case let .notAFolder(path):
            return "\(path) is not a folder of kernels (expected nngp and ntk, or head and body, as .csv or .npy)"
        case let .ambiguous(directory, kernel):
            return "\(directory) holds both \(kernel).csv and \(kernel).npy: keep one"
        case let .missing(directory, present):
            return "\(directory) holds " + (present.isEmpty ? "no kernel" : present.joined(separator: " and ") + " only")
                + ": give nngp and ntk (Neural Tangents' kernels, NTK parameterization), or head and body, "
                + "each as <name>.csv or <name>.npy"
        case let .shape(file, rows, columns, expected, layout):
            return "\(file) is \(rows) × \(columns), expected \(expected) × \(expected): one row and column per point of "
                + "the task file, in the order \(layout)"
        case let .nonFinite(file, row, column, value):
            return "\(file): entry (\(row), \(column)) (0-based) is \(value); a kernel must be finite"
        case let .asymmetric(file, row, column, value, transposed):
            return "\(file): entry (\(row), \(column)) is \(value) but (\(column), \(row)) is \(transposed) (0-based): "
                + "a kernel over one set of points must be symmetric (to 1e-6 of its largest entry); "
                + "compute it in float64 (JAX: jax.config.update('jax_enable_x64', True))"
        case let .inconsistent(directory, gap, scale):
            return "\(directory): ntk differs from head + body by up to \(gap) (largest ntk entry \(scale)): "
                + "the three must satisfy Θ = K + Θ_body; give two of them"
        }
    }
}
