/// The convolutional part of an `Architecture` (absent for a fully connected network):
///
///     depth × (Conv Kh×Kw, stride 1, padding, σ_w, σ_b, NTK parameterization → φ)
///         → Flatten | GlobalAvgPool → Dense(1, σ_w,out, σ_b,out)
///
/// the network of Neural Tangents' `stax.Conv(c, (Kh, Kw), padding=…, parameterization='ntk')`,
/// `stax.Flatten()` / `stax.GlobalAvgPool()`, `stax.Dense(1)`. Each input row is one image
/// flattened row-major in H×W×C order (NHWC): entry (y, x, c) sits at column (y·W + x)·C + c.
public struct Convolution: Sendable, Equatable, CustomStringConvertible {
    /// How a filter sees the pixels beyond the border.
    public enum Padding: String, Sendable, Equatable, CaseIterable {
        /// Zeros beyond the border; the output has the input's size (`'SAME'`).
        case same
        /// The image wraps around (periodic convolution, `'CIRCULAR'`).
        case circular
    }

    /// How the last hidden layer's H×W×channels activations reach the dense readout.
    public enum Readout: String, Sendable, Equatable, CaseIterable {
        /// Every pixel's channels feed the readout (fan-in H·W·channels): the kernel averages the
        /// same-pixel covariances over the H·W pixels.
        case flatten
        /// Channels averaged over the pixels first (fan-in channels): the kernel averages the
        /// covariances over all (H·W)² pixel pairs.
        case globalAveragePool = "gap"
    }

    /// Kh, Kw: the filter's height and width (odd, so that the filter has a centre).
    public let filterHeight: Int
    public let filterWidth: Int
    /// H, W, C of every input image.
    public let imageHeight: Int
    public let imageWidth: Int
    public let channels: Int
    public let padding: Padding
    public let readout: Readout

    public init(filterHeight: Int, filterWidth: Int, imageHeight: Int, imageWidth: Int, channels: Int,
                padding: Padding = .same, readout: Readout = .flatten) throws {
        guard filterHeight >= 1, filterWidth >= 1, filterHeight % 2 == 1, filterWidth % 2 == 1 else {
            throw ConvolutionError.invalidFilter(height: filterHeight, width: filterWidth)
        }
        guard imageHeight >= 1, imageWidth >= 1, channels >= 1 else {
            throw ConvolutionError.invalidImage(height: imageHeight, width: imageWidth, channels: channels)
        }
        self.filterHeight = filterHeight
        self.filterWidth = filterWidth
        self.imageHeight = imageHeight
        self.imageWidth = imageWidth
        self.channels = channels
        self.padding = padding
        self.readout = readout
    }

    /// H·W, the number of pixels.
    public var pixels: Int { imageHeight * imageWidth }
    /// H·W·C, the length of an input row.
    public var inputDimension: Int { pixels * channels }
    /// Kh·Kw, the filter's number of taps.
    public var filterSize: Int { filterHeight * filterWidth }

    public var description: String {
        "conv \(filterHeight)x\(filterWidth), image \(imageHeight)x\(imageWidth)x\(channels), "
            + "padding \(padding.rawValue), readout \(readout.rawValue)"
    }

    /// Refuses inputs whose rows are not images of this shape.
    public func validate(inputDimension d: Int, set: String) throws {
        guard d == inputDimension else {
            throw ConvolutionError.inputDimensionMismatch(set: set, columns: d, imageHeight: imageHeight,
                                                          imageWidth: imageWidth, channels: channels)
        }
    }
}

/// A convolution that cannot be built or applied, naming the parameter to fix.
public enum ConvolutionError: Error, CustomStringConvertible, Equatable {
    case invalidFilter(height: Int, width: Int)
    case invalidImage(height: Int, width: Int, channels: Int)
    case inputDimensionMismatch(set: String, columns: Int, imageHeight: Int, imageWidth: Int, channels: Int)
    case unsupportedParameterization(String)

    public var description: String {
        switch self {
        case let .invalidFilter(h, w):
            return "the filter must be K×K with odd K ≥ 1 (odd height and width), got \(h)x\(w)"
        case let .invalidImage(h, w, c):
            return "the image shape H×W×C must have H, W, C ≥ 1, got \(h)x\(w)x\(c)"
        case let .inputDimensionMismatch(set, columns, h, w, c):
            return "\(set) rows have \(columns) values but an image of shape \(h)x\(w)x\(c) has "
                + "\(h * w * c) (H·W·C, row-major NHWC)"
        case let .unsupportedParameterization(name):
            return "convolutional networks are implemented in NTK parameterization only, got \(name)"
        }
    }
}
