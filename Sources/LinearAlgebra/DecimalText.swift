import CNumerics
import Foundation

/// Shortest round-trip decimal text of float64 values: exactly the characters of
/// `Double.description` (so reading them back with a correctly rounded parser gives the same bits),
/// copied into byte buffers (texts of up to 15 bytes never touch the heap).
public enum DecimalText {
    /// Bytes one value can take ("-2.2250738585072014e-308" is 24).
    public static let maximumLength = 32

    /// Writes the text of `x` at `target` (room for `maximumLength` bytes); returns its length.
    @inline(__always)
    public static func write(_ x: Double, to target: UnsafeMutablePointer<UInt8>) -> Int {
        var text = x.description
        return text.withUTF8 { utf8 in
            target.update(from: utf8.baseAddress!, count: utf8.count)
            return utf8.count
        }
    }

    /// The rows `rows` of the row-major matrix at `base` (`columns` wide) as CSV lines (values
    /// separated by `separator`, each line ended by "\n"), appended to `output`.
    public static func appendCSVLines(_ base: UnsafePointer<Double>, rows: Range<Int>, columns: Int,
                                      separator: UInt8 = UInt8(ascii: ","), to output: inout [UInt8]) {
        let capacity = rows.count * columns * (maximumLength + 1) + rows.count
        let extra = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            var p = buffer.baseAddress!
            for i in rows {
                let row = base + i * columns
                for j in 0..<columns {
                    if j > 0 { p.pointee = separator; p += 1 }
                    p += write(row[j], to: p)
                }
                p.pointee = UInt8(ascii: "\n")
                p += 1
            }
            initialized = p - buffer.baseAddress!
        }
        output.append(contentsOf: extra)
    }
}

/// Writing whole buffers to a file descriptor.
public enum FileDescriptorOutput {
    /// Writes all `count` bytes at `bytes` to `descriptor` (in pieces of at most 1 GiB, retrying
    /// after signals).
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawPointer, count: Int) throws {
        var done = 0
        while done < count {
            let written = Foundation.write(descriptor, bytes + done, min(count - done, 1 << 30))
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw FileOutputError(reason: String(cString: strerror(errno))) }
            done += written
        }
    }
}

/// A failed write, with the system's reason (the caller names the file).
public struct FileOutputError: Error, CustomStringConvertible {
    public let reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Correctly rounded decimal to float64 conversion of byte ranges (the CSV reader's parser).
public enum DecimalParser {
    /// The finite value of the decimal [start, start + count), or nil if it is not a decimal
    /// number or not finite. The byte after the range must not continue the number.
    @inline(__always)
    public static func finiteValue(_ start: UnsafePointer<UInt8>, count: Int) -> Double? {
        var value = 0.0
        return ntkb_text_parse_number(start, start + count, &value) == NTKB_TEXT_OK ? value : nil
    }
}
