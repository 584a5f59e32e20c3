import Foundation

/// The bytes of an input file, read in one system call into memory the parsers scan directly,
/// followed by one zero byte (not counted) so that C parsers can stop at the end.
///
/// Opening refuses, naming the file, what is not a readable regular file: a folder ("is a
/// directory"), a device or pipe ("is not a regular file", e.g. /dev/null), a missing or
/// unreadable path.
public struct InputFileBytes {
    public let path: String
    /// The file's bytes plus a terminating zero.
    public let storage: [UInt8]
    public var count: Int { storage.count - 1 }

    public init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw InputFileBytes.openError(path: path, errno: errno) }
        defer { close(descriptor) }
        let size = try InputFileBytes.regularFileSize(descriptor, path: path)
        storage = try [UInt8](unsafeUninitializedCapacity: size + 1) { buffer, initialized in
            try InputFileBytes.readFully(descriptor, into: UnsafeMutableRawPointer(buffer.baseAddress!), count: size, path: path)
            buffer[size] = 0
            initialized = size + 1
        }
    }

    /// The size of the regular file open at `descriptor`, or the refusal naming what it is.
    public static func regularFileSize(_ descriptor: Int32, path: String) throws -> Int {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw InputFileError.unreadable(file: path, reason: String(cString: strerror(errno)))
        }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: throw InputFileError.isDirectory(file: path)
        case S_IFREG: return Int(status.st_size)
        default: throw InputFileError.notRegularFile(file: path)
        }
    }

    /// Reads exactly `count` bytes (in pieces of at most 1 GiB, as Linux requires).
    public static func readFully(_ descriptor: Int32, into target: UnsafeMutableRawPointer, count: Int, path: String) throws {
        var done = 0
        while done < count {
            let got = read(descriptor, target + done, min(count - done, 1 << 30))
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else {
                throw InputFileError.unreadable(file: path, reason: got == 0 ? "the file ended early (was it being written?)"
                                                : String(cString: strerror(errno)))
            }
            done += got
        }
    }

    static func openError(path: String, errno code: Int32) -> InputFileError {
        switch code {
        case ENOENT: return .unreadable(file: path, reason: "no such file")
        case EACCES: return .unreadable(file: path, reason: "permission denied")
        case EISDIR: return .isDirectory(file: path)
        default: return .unreadable(file: path, reason: String(cString: strerror(code)))
        }
    }

    /// True when the file starts with the .npy magic string "\u{93}NUMPY".
    public var looksLikeNPY: Bool {
        count >= 6 && storage[0] == 0x93 && storage[1...5].elementsEqual("NUMPY".utf8)
    }

    /// True when the file starts with a zip archive's local header ("PK\u{3}\u{4}", e.g. .npz).
    public var looksLikeZip: Bool {
        count >= 4 && storage[0] == 0x50 && storage[1] == 0x4B && storage[2] == 3 && storage[3] == 4
    }
}
