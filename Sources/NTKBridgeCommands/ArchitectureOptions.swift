import ArgumentParser
import Foundation
import InfiniteWidth

/// The flags that describe a network, shared by every command that builds one.
struct ArchitectureOptions: ParsableArguments {
    @Option(name: .customLong("activation"), help: ArgumentHelp("Activation (required, except by predict --kernel-dir): \(Activation.acceptedNames).", valueName: "act"))
    var givenActivation: String?

    /// The activation's name. Optional only for `predict --kernel-dir`; `architecture(depth:)` requires it.
    var activation: String { givenActivation ?? "" }

    @Option(name: .customLong("w-std"), parsing: .unconditional, help: ArgumentHelp("σ_w of the hidden layers.", valueName: "s"))
    var weightStd: Double = 2.0.squareRoot()

    @Option(name: .customLong("b-std"), parsing: .unconditional, help: ArgumentHelp("σ_b of the hidden layers.", valueName: "s"))
    var biasStd: Double = 0

    @Option(name: .customLong("out-w-std"), parsing: .unconditional, help: ArgumentHelp("σ_w of the readout (default: --w-std).", valueName: "s"))
    var readoutWeightStd: Double?

    @Option(name: .customLong("out-b-std"), parsing: .unconditional, help: ArgumentHelp("σ_b of the readout (default: --b-std).", valueName: "s"))
    var readoutBiasStd: Double?

    @Option(help: ArgumentHelp("ntk (Neural Tangents' default) or standard.", valueName: "name"))
    var parameterization: ParameterizationName = .ntk

    @Option(parsing: .unconditional, help: ArgumentHelp("Hidden width h of a finite network; also required by --parameterization standard, "
                               + "whose NTK grows with h.", valueName: "h"))
    var width: Int?

    @Option(help: ArgumentHelp("A convolutional network with KxK filters (odd K; absent: fully connected). "
                               + "Needs --image.", valueName: "KxK"))
    var conv: String?

    @Option(help: ArgumentHelp("The input image shape: each input row is one image flattened row-major in H×W×C "
                               + "order (NHWC), H·W·C values. Only with --conv.", valueName: "HxWxC"))
    var image: String?

    @Option(help: ArgumentHelp("Convolution padding: same (zeros beyond the border, the default) or circular. Only with --conv.",
                               valueName: "padding"))
    var padding: Convolution.Padding?

    @Option(help: ArgumentHelp("Readout of a convolutional network: flatten (the default) or gap (global average pooling). "
                               + "Only with --conv.", valueName: "readout"))
    var readout: Convolution.Readout?

    func validate() throws {
        try FlagBounds.require(width, atLeast: 1, "--width")
    }

    /// The architecture at `depth`, or a ValidationError naming the flag.
    func architecture(depth: Int) throws -> Architecture {
        guard givenActivation != nil else { throw ValidationError("--activation is required: \(Activation.acceptedNames)") }
        let convolution = try parsedConvolution()
        do {
            return try Architecture(depth: depth, activation: Activation(parsing: activation), weightStd: weightStd,
                                    biasStd: biasStd, readoutWeightStd: readoutWeightStd, readoutBiasStd: readoutBiasStd,
                                    parameterization: parsedParameterization(), convolution: convolution)
        } catch let error as ArchitectureError {
            throw ValidationError(error.commandLineDescription)
        } catch let error as ActivationError {
            throw ValidationError("--activation '\(activation)': \(error)")
        } catch is ConvolutionError {
            throw ValidationError("--conv: convolutional networks are implemented in NTK parameterization only; "
                                  + "drop --parameterization \(parameterization.rawValue)")
        }
    }

    /// The convolution of `--conv`, `--image`, `--padding`, `--readout`, or nil (fully connected).
    /// `--image` without `--conv` is refused rather than ignored: a fully connected network reads
    /// rows as flat vectors, so an image shape there would silently mean nothing.
    func parsedConvolution() throws -> Convolution? {
        guard let conv else {
            for (flag, value) in [("--image", image), ("--padding", padding?.rawValue), ("--readout", readout?.rawValue)] where value != nil {
                throw ValidationError("\(flag) describes a convolutional network and needs --conv KxK "
                                      + "(omit \(flag) for a fully connected network)")
            }
            return nil
        }
        let filter = conv.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard filter.count == 2, let kh = filter[0], let kw = filter[1], kh >= 1, kw >= 1, kh % 2 == 1, kw % 2 == 1 else {
            throw ValidationError("--conv must be KxK with odd K ≥ 1 (for example 3x3), got '\(conv)'")
        }
        guard let image else {
            throw ValidationError("--conv needs --image HxWxC, the shape of each input image (rows flattened row-major, NHWC)")
        }
        let shape = image.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard shape.count == 3, let h = shape[0], let w = shape[1], let c = shape[2], h >= 1, w >= 1, c >= 1 else {
            throw ValidationError("--image must be HxWxC with H, W, C ≥ 1 (for example 28x28x1), got '\(image)'")
        }
        do {
            return try Convolution(filterHeight: kh, filterWidth: kw, imageHeight: h, imageWidth: w, channels: c,
                                   padding: padding ?? .same, readout: readout ?? .flatten)
        } catch let error as ConvolutionError {
            throw ValidationError("--conv/--image: \(error.description)")
        }
    }

    /// Refuses input rows that are not --image images (for a convolutional network).
    func checkInputDimension(_ columns: Int, of source: String) throws {
        guard let convolution = try parsedConvolution(), columns != convolution.inputDimension else { return }
        throw CommandFailure("--image \(image!) expects rows of H·W·C = \(convolution.inputDimension) values, but \(source) "
                             + "has \(columns) per row")
    }

    /// The convolution flags, for matching a resumed run ("-" for a fully connected network).
    var convolutionConfiguration: String {
        "conv=\(conv ?? "-") image=\(image ?? "-") padding=\(padding?.rawValue ?? "-") readout=\(readout?.rawValue ?? "-")"
    }

    private func parsedParameterization() throws -> Parameterization {
        switch parameterization {
        case .ntk:
            return .ntk
        case .standard:
            guard let width else {
                throw ValidationError("--parameterization standard needs --width h: the standard-parameterization NTK "
                                      + "grows with the hidden width (Θ^{l+1} = h·Σ̂^l + 1 + σ_w²·Σ̇^l·Θ^l)")
            }
            return .standard(hiddenWidth: width)
        }
    }

    /// The width of a finite network: `--width h`, required.
    func finiteWidth() throws -> Int {
        guard let width else { throw ValidationError("--width h is required: the width of every hidden layer") }
        guard width >= 1 else { throw ValidationError("--width must be at least 1, got \(width)") }
        return width
    }

    /// Warns on stderr that `--width` does nothing in an infinite-width `command` under NTK
    /// parameterization (only the standard parameterization's kernels depend on h).
    func warnWidthIgnored(by command: String) {
        guard let width, parameterization == .ntk else { return }
        CommandWarning.print(command, "--width \(width) is ignored: in NTK parameterization the infinite-width kernels "
                                 + "do not depend on the hidden width (it matters with --parameterization standard)")
    }
}

/// The quadrature of the kernel integrals, for the commands that compute infinite-width kernels.
struct QuadratureOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Quadrature for activations without closed-form kernels: trapezoid (~1e-15) or "
                               + "gauss-hermite:<points> (1–1000 points).", valueName: "rule"))
    var quadrature: QuadratureName = .trapezoid

    var rule: QuadratureRule { quadrature.rule }
}

/// Parses a comma-separated list of positive integers (`--depths 1,2,4,8`).
func parsePositiveIntegers(_ text: String, flag: String) throws -> [Int] {
    let values = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    var result: [Int] = []
    for value in values {
        guard let n = Int(value), n >= 1 else {
            throw ValidationError("\(flag): '\(value)' is not a positive integer (expected a list like 1,2,4,8)")
        }
        result.append(n)
    }
    return result
}
