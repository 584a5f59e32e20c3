import ArgumentParser
import Datasets
import FewShot
import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import Paradigms
import Reports

/// The closed sets of values that flags take. Each is `ExpressibleByArgument & CaseIterable`, so
/// ArgumentParser refuses any other value (listing the allowed ones) and `--help` prints them;
/// the raw values are the command-line spellings.

/// `--parameterization`.
enum ParameterizationName: String, ExpressibleByArgument, CaseIterable {
    case ntk, standard
}

/// `--inner` of `predict`: how the inner loop (and the test-time adaptation) fits a head.
enum InnerSolverName: String, ExpressibleByArgument, CaseIterable {
    case continuous, discrete, ridge, exact
}

/// `--inner` of `closeness`: a solver whose length is λτ (the swept quantity).
enum SweptSolverName: String, ExpressibleByArgument, CaseIterable {
    case continuous, discrete
}

/// The library's own closed sets, spelt on the command line by their raw values.
extension Convolution.Padding: ExpressibleByArgument {}
extension Convolution.Readout: ExpressibleByArgument {}
extension MTLSettings.TrainingData: ExpressibleByArgument {}
extension MTLSettings.NewHead: ExpressibleByArgument {}
extension FiniteMethod: ExpressibleByArgument {}
extension GBMLMethod: ExpressibleByArgument {}
extension SupportMatching: ExpressibleByArgument {}
extension MatrixFileFormat: ExpressibleByArgument {}

/// `--family` of the sweeps (`closeness`, `convergence`, `cost`): a task set drawn per seed.
enum SyntheticFamilyName: String, ExpressibleByArgument, CaseIterable {
    case sinusoid, teacher, linearRep = "linear-rep", classification
}

/// `--family` of `tasks`: the drawn families, and Omniglot.
enum TaskFamilyName: String, ExpressibleByArgument, CaseIterable {
    case sinusoid, teacher, linearRep = "linear-rep", classification, omniglot

    /// The drawn family, or nil for Omniglot.
    var synthetic: SyntheticFamilyName? { SyntheticFamilyName(rawValue: rawValue) }
}

/// `--method` of `predict`: an infinite-width predictor.
enum PredictorMethodName: String, ExpressibleByArgument, CaseIterable {
    case mtl, anil, maml

    /// The GBML method, or nil for MTL.
    var gbml: GBMLMethod? { GBMLMethod(rawValue: rawValue) }
}

/// An element of `kernel --kernels`.
enum KernelName: String, ExpressibleByArgument, CaseIterable {
    case nngp, ntk, head, body
}

/// A comma-separated list of values of a closed set (`--methods anil,maml`, `--kernels ntk,nngp`):
/// blanks around an element and its case are ignored, and `--help` lists the allowed elements.
struct ValueList<Element: ExpressibleByArgument & CaseIterable & RawRepresentable & Equatable>: ExpressibleByArgument
where Element.RawValue == String {
    var elements: [Element]

    init(_ elements: [Element]) { self.elements = elements }

    init?(argument: String) {
        var elements: [Element] = []
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            let word = part.trimmingCharacters(in: .whitespaces)
            guard let element = Element(rawValue: word) ?? Element(rawValue: word.lowercased()) else { return nil }
            elements.append(element)
        }
        self.elements = elements
    }

    var text: String { elements.map(\.rawValue).joined(separator: ",") }
    var defaultValueDescription: String { text }
    static var allValueStrings: [String] { Element.allCases.map(\.rawValue) }
}

/// `--quadrature`: trapezoid, or gauss-hermite:<points> with 1–1000 points.
struct QuadratureName: ExpressibleByArgument, Equatable {
    var text: String
    var rule: QuadratureRule

    static let trapezoid = QuadratureName(text: "trapezoid", rule: .trapezoid)

    private init(text: String, rule: QuadratureRule) { (self.text, self.rule) = (text, rule) }

    init?(argument: String) {
        if argument == "trapezoid" { self = .trapezoid; return }
        let prefix = "gauss-hermite:"
        guard argument.hasPrefix(prefix), let points = Int(argument.dropFirst(prefix.count)), points >= 1, points <= 1000 else {
            return nil
        }
        self.init(text: argument, rule: .gaussHermite(points: points))
    }

    static func == (a: QuadratureName, b: QuadratureName) -> Bool { a.text == b.text }
    var defaultValueDescription: String { text }
    static var allValueStrings: [String] { ["trapezoid", "gauss-hermite:<points>"] }
}
