import CZip
import Foundation

/// A zip archive opened read-only with libzip. Entries are read one at a time on the calling
/// thread (a libzip handle must not be shared between threads).
public final class ZipArchive {
    /// The archive's path, as given.
    public let path: String
    /// Every entry name, in the archive's order (folders end with "/").
    public let entryNames: [String]
    private let handle: OpaquePointer
    private let indexOfName: [String: UInt64]

    /// Opens the archive and checks its central directory for consistency.
    public init(path: String) throws(DatasetError) {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw .missingArchive(archive: path) }
        var code: Int32 = 0
        guard let handle = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code) else {
            throw .unreadableArchive(archive: path, reason: ZipArchive.message(code: code))
        }
        let count = zip_get_num_entries(handle, 0)
        var names: [String] = []
        var index: [String: UInt64] = [:]
        for i in 0..<UInt64(max(count, 0)) {
            guard let name = zip_get_name(handle, i, 0) else { continue }
            let text = String(cString: name)
            names.append(text)
            index[text] = i
        }
        self.handle = handle
        entryNames = names
        indexOfName = index
    }

    deinit { zip_discard(handle) }

    /// Whether the archive holds an entry of this name.
    public func contains(_ entry: String) -> Bool { indexOfName[entry] != nil }

    /// The uncompressed bytes of an entry, CRC-checked by libzip.
    public func contents(of entry: String) throws(DatasetError) -> [UInt8] {
        guard let index = indexOfName[entry] else { throw .missingEntry(archive: path, entry: entry) }
        var stat = zip_stat_t()
        zip_stat_init(&stat)
        guard zip_stat_index(handle, index, 0, &stat) == 0, stat.valid & UInt64(ZIP_STAT_SIZE) != 0 else {
            throw .unreadableEntry(archive: path, entry: entry, reason: archiveMessage())
        }
        guard let file = zip_fopen_index(handle, index, 0) else {
            throw .unreadableEntry(archive: path, entry: entry, reason: archiveMessage())
        }
        defer { zip_fclose(file) }
        var bytes = [UInt8](repeating: 0, count: Int(stat.size))
        var filled = 0
        // Read to the end (one read past the size), so that libzip compares the CRC.
        var probe: UInt8 = 0
        while true {
            let read = bytes.withUnsafeMutableBytes { buffer -> Int64 in
                filled < buffer.count
                    ? zip_fread(file, buffer.baseAddress! + filled, UInt64(buffer.count - filled))
                    : zip_fread(file, &probe, 1)
            }
            if read < 0 {
                throw .unreadableEntry(archive: path, entry: entry, reason: String(cString: zip_error_strerror(zip_file_get_error(file))))
            }
            if read == 0 { break }
            guard filled < bytes.count else {
                throw .unreadableEntry(archive: path, entry: entry, reason: "longer than its recorded size \(bytes.count)")
            }
            filled += Int(read)
        }
        guard filled == bytes.count else {
            throw .unreadableEntry(archive: path, entry: entry, reason: "\(filled) of its \(bytes.count) bytes could be read")
        }
        return bytes
    }

    private func archiveMessage() -> String { String(cString: zip_error_strerror(zip_get_error(handle))) }

    private static func message(code: Int32) -> String {
        var error = zip_error_t()
        zip_error_init_with_code(&error, code)
        defer { zip_error_fini(&error) }
        return String(cString: zip_error_strerror(&error))
    }
}
