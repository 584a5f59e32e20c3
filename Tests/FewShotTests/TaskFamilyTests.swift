import FewShot
import Foundation
import LinearAlgebra
import XCTest

final class TaskFamilyTests: XCTestCase {
    private let families: [TaskFamily] = [
        .sinusoid(outputs: 2, inputScale: 1),
        .teacher(dimension: 5, outputs: 1, features: 32),
        .linearRepresentation(dimension: 6, rank: 2, outputs: 1, noise: 0),
    ]

    /// Reproducible from (family, sizes, seed) alone; another seed gives other tasks; task i
    /// does not depend on how many tasks are drawn.
    func testTasksAreReproducibleFromTheSeed() throws {
        for family in families {
            let a = try family.tasks(trainTasks: 4, testTasks: 2, support: 3, query: 5, seed: 11)
            XCTAssertEqual(a, try family.tasks(trainTasks: 4, testTasks: 2, support: 3, query: 5, seed: 11))
            XCTAssertNotEqual(a, try family.tasks(trainTasks: 4, testTasks: 2, support: 3, query: 5, seed: 12))
            let more = try family.tasks(trainTasks: 7, testTasks: 3, support: 3, query: 5, seed: 11)
            XCTAssertEqual(Array(more.train.prefix(4)), a.train)
            XCTAssertEqual(Array(more.test.prefix(2)), a.test)
            XCTAssertTrue(a.test.allSatisfy { $0.queryLabels != nil }, "test tasks keep labels for scoring")
        }
    }

    /// Sinusoid inputs lie on the unit circle at (x, 1)/‖(x, 1)‖, x ∈ [−5, 5], and each output
    /// column is A·sin(x − φ) with A ∈ [0.1, 5]: recover x and fit (A, φ) exactly from two points.
    func testSinusoidTasks() throws {
        let tasks = try TaskFamily.sinusoid(outputs: 2, inputScale: 1).tasks(trainTasks: 3, testTasks: 0, support: 4, query: 6, seed: 3)
        for task in tasks.train {
            let x = Matrix.stackingRows([task.supportInputs, task.queryInputs])
            let y = Matrix.stackingRows([task.supportLabels, task.queryLabels!])
            let raw = (0..<x.rows).map { x[$0, 0] / x[$0, 1] }
            for i in 0..<x.rows {
                XCTAssertEqual(x[i, 0] * x[i, 0] + x[i, 1] * x[i, 1], 1, accuracy: 1e-15)
                XCTAssertTrue(x[i, 1] > 0 && abs(raw[i]) <= 5)
            }
            for column in 0..<2 {
                // y = a·sin x − b·cos x with a = A cos φ, b = A sin φ: solve from two points, check the rest.
                let (s0, c0, s1, c1) = (sin(raw[0]), cos(raw[0]), sin(raw[1]), cos(raw[1]))
                let det = -s0 * c1 + c0 * s1
                let a = (-y[0, column] * c1 + c0 * y[1, column]) / det
                let b = (s0 * y[1, column] - s1 * y[0, column]) / det
                let amplitude = (a * a + b * b).squareRoot()
                XCTAssertTrue(amplitude >= 0.1 && amplitude <= 5)
                for i in 2..<x.rows {
                    XCTAssertEqual(y[i, column], a * sin(raw[i]) - b * cos(raw[i]), accuracy: 1e-12 * amplitude)
                }
            }
        }
    }

    /// Teacher inputs are uniform on the unit sphere; linear-rep labels of all tasks share one
    /// r-dimensional representation: the per-task least-squares coefficients span rank r.
    func testTeacherAndLinearRepresentationStructure() throws {
        let teacher = try TaskFamily.teacher(dimension: 5, outputs: 2, features: 32).tasks(trainTasks: 2, testTasks: 1, support: 4, query: 4, seed: 5)
        for task in teacher.train + teacher.test {
            for i in 0..<task.supportInputs.rows {
                XCTAssertEqual((0..<5).reduce(0) { $0 + task.supportInputs[i, $1] * task.supportInputs[i, $1] }, 1, accuracy: 1e-14)
            }
        }
        let (d, r) = (6, 2)
        let tasks = try TaskFamily.linearRepresentation(dimension: d, rank: r, outputs: 1, noise: 0)
            .tasks(trainTasks: 5, testTasks: 0, support: 10, query: 10, seed: 6)
        var coefficients: [[Double]] = []
        for task in tasks.train {
            let x = Matrix.stackingRows([task.supportInputs, task.queryInputs])
            let y = Matrix.stackingRows([task.supportLabels, task.queryLabels!])
            let w = try CholeskyFactorization(Matrix.product(x, x, transposeA: true), name: "XᵀX").solve(Matrix.product(x, y, transposeA: true))
            coefficients.append((0..<d).map { w[$0, 0] })
        }
        let spectrum = try SymmetricEigendecomposition(Matrix.gram(Matrix(rowArrays: coefficients)), name: "W Wᵀ")
        let large = spectrum.eigenvalues.filter { $0 > 1e-10 * spectrum.largestEigenvalue }
        XCTAssertEqual(large.count, r, "coefficients of \(tasks.train.count) tasks span rank \(r)")
    }

    /// C-way tasks from a labelled CSV: one-hot targets over C classes, support and query
    /// disjoint, test classes never used in training.
    func testClassificationTasks() throws {
        var lines = ["# x1,x2,label"]
        var g = SeededGenerator(seed: 7)
        for c in 0..<10 { for _ in 0..<6 { lines.append("\(g.normal()),\(g.normal()),class\(c)") } }
        let data = try LabelledData(csvText: lines.joined(separator: "\n"), source: "data.csv")
        XCTAssertEqual(data.classes.count, 10)
        let tasks = try TaskFamily.classification(data, ways: 3, testClassFraction: 0.4)
            .tasks(trainTasks: 5, testTasks: 3, support: 2, query: 3, seed: 8)
        func classesOf(_ task: FewShotTask) -> Set<[Double]> {
            Set(Matrix.stackingRows([task.supportInputs, task.queryInputs]).rowArrays.map { row in
                let index = data.inputs.rowArrays.firstIndex(of: row)!
                return [Double(data.classOfRow[index])]
            })
        }
        var trainClasses = Set<[Double]>(), testClasses = Set<[Double]>()
        for (k, task) in (tasks.train + tasks.test).enumerated() {
            XCTAssertEqual(task.supportInputs.rows, 6)
            XCTAssertEqual(task.queryInputs.rows, 9)
            XCTAssertEqual(task.supportLabels.columns, 3)
            for y in [task.supportLabels, task.queryLabels!] {
                XCTAssertTrue(y.rowArrays.allSatisfy { $0.reduce(0, +) == 1 && $0.allSatisfy { $0 == 0 || $0 == 1 } })
            }
            XCTAssertTrue(Set(task.supportInputs.rowArrays).isDisjoint(with: Set(task.queryInputs.rowArrays)))
            if k < 5 { trainClasses.formUnion(classesOf(task)) } else { testClasses.formUnion(classesOf(task)) }
        }
        XCTAssertTrue(trainClasses.isDisjoint(with: testClasses))
        XCTAssertThrowsError(try TaskFamily.classification(data, ways: 6, testClassFraction: 0.4)
            .tasks(trainTasks: 1, testTasks: 1, support: 2, query: 3, seed: 8)) { error in
            XCTAssertTrue("\(error)".contains("data.csv"), "\(error)")
        }
        XCTAssertThrowsError(try LabelledData(csvText: "1,2,a\n3,x,b\n", source: "bad.csv")) { error in
            XCTAssertTrue("\(error)".contains("bad.csv:2"), "\(error)")
        }
    }

    func testSizesAreValidated() {
        XCTAssertThrowsError(try TaskFamily.teacher(dimension: 3, outputs: 1, features: 8).tasks(trainTasks: 0, testTasks: 1, support: 2, query: 2, seed: 1)) {
            XCTAssertEqual($0 as? TaskFamilyError, .invalid(parameter: .trainTasks, message: "must be at least 1"))
            XCTAssertTrue("\($0)".contains("the number of training tasks N"), "\($0)")
        }
        XCTAssertThrowsError(try TaskFamily.teacher(dimension: 0, outputs: 1, features: 8).tasks(trainTasks: 1, testTasks: 1, support: 2, query: 2, seed: 1)) {
            XCTAssertTrue("\($0)".contains("the input dimension d must be at least 1"), "\($0)")
            XCTAssertFalse("\($0)".contains("--"), "a library error names parameters, not flags")
        }
    }
}
