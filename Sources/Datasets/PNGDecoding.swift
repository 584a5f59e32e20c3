import CPNG

/// An 8-bit grayscale image, rows top to bottom, pixels left to right.
public struct GrayscaleImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// width × height intensities in row-major order, 0 black … 255 white.
    public let pixels: [UInt8]
}

/// PNG decoding with libpng's simplified API (png_image): any PNG is converted to 8-bit
/// grayscale, so a 1-bit image's clear bit reads 0 and its set bit 255.
public enum PNGDecoding {
    /// Decodes PNG bytes; a failure returns libpng's message.
    public static func grayscale(_ bytes: [UInt8]) -> Result<GrayscaleImage, PNGDecodingFailure> {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        let begun = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard begun != 0 else { return .failure(PNGDecodingFailure(message: message(of: image))) }
        image.format = UInt32(PNG_FORMAT_GRAY)
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0, width * height <= 1 << 26 else {
            return .failure(PNGDecodingFailure(message: "implausible size \(width)×\(height)"))
        }
        var pixels = [UInt8](repeating: 0, count: width * height)
        let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, Int32(width), nil) }
        guard finished != 0 else { return .failure(PNGDecodingFailure(message: message(of: image))) }
        return .success(GrayscaleImage(width: width, height: height, pixels: pixels))
    }

    private static func message(of image: png_image) -> String {
        var text = image.message
        let message = withUnsafeBytes(of: &text) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return message.isEmpty ? "not a PNG image" : message
    }
}

/// libpng's reason for refusing an image.
public struct PNGDecodingFailure: Error, Equatable {
    public let message: String
}
