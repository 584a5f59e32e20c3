import CZip
import Foundation
import LinearAlgebra

/// The binary task-file form: an `.npz` archive (a zip of .npy arrays, as `numpy.savez` writes,
/// stored uncompressed) that `numpy.load` reads directly. One float64 array per matrix:
///
///     train_000_support_x   train_000_support_y   train_000_query_x   train_000_query_y
///     train_001_support_x   …
///     test_000_support_x    test_000_support_y    test_000_query_x   [test_000_query_y]
///
/// Names are `<set>_<index>_<part>_<x|y>`; the index is zero-padded to at least three digits
/// (more when there are more tasks), read as a number, and must run 0, 1, … without gaps. A test
/// task's query_y may be absent. The archive members carry numpy's ".npy" suffix; other
/// members are refused.
extension TaskSet {
    /// Reads an .npz task file.
    public init(npzFile path: String) throws(TaskFileError) {
        func failure(_ member: String, _ message: String) -> TaskFileError {
            TaskFileError(file: path, line: nil, path: member, message: message)
        }
        var code: Int32 = 0
        guard let archive = zip_open(path, ZIP_RDONLY, &code) else {
            var error = zip_error_t()
            zip_error_init_with_code(&error, code)
            defer { zip_error_fini(&error) }
            throw failure("", "cannot be read as an .npz archive: \(String(cString: zip_error_strerror(&error)))")
        }
        defer { zip_discard(archive) }
        var matrices: [String: [Int: [String: Matrix]]] = ["train": [:], "test": [:]]
        for index in 0..<max(0, zip_get_num_entries(archive, 0)) {
            var status = zip_stat_t()
            guard zip_stat_index(archive, zip_uint64_t(index), 0, &status) == 0, let cName = status.name else {
                throw failure("", "member \(index) cannot be read: \(String(cString: zip_strerror(archive)))")
            }
            let member = String(cString: cName)
            let name = member.hasSuffix(".npy") ? String(member.dropLast(4)) : member
            let parts = name.split(separator: "_")
            guard parts.count == 4, let set = matrices[String(parts[0])], let task = Int(parts[1]), task >= 0,
                  ["support", "query"].contains(parts[2]), ["x", "y"].contains(parts[3]) else {
                throw failure(member, "is not a task-file array (expected names like train_000_support_x.npy)")
            }
            _ = set
            guard let file = zip_fopen_index(archive, zip_uint64_t(index), 0) else {
                throw failure(member, "cannot be opened: \(String(cString: zip_strerror(archive)))")
            }
            defer { zip_fclose(file) }
            let matrix: Matrix
            do {
                matrix = try Matrix(npyNamed: "\(path): \(member)", byteCount: Int(status.size)) { target, count in
                    var done = 0
                    while done < count {
                        let got = zip_fread(file, target + done, zip_uint64_t(count - done))
                        guard got > 0 else { throw InputFileError.malformedNPY(file: "\(path): \(member)", reason: "truncated") }
                        done += Int(got)
                    }
                }
            } catch {
                throw TaskFileError(file: path, line: nil, path: "", message: "\(error)".replacingOccurrences(of: "\(path): ", with: ""))
            }
            matrices[String(parts[0])]![task, default: [:]]["\(parts[2])_\(parts[3])"] = matrix
        }
        func tasks(_ set: String, requireQueryLabels: Bool) throws(TaskFileError) -> [FewShotTask] {
            let byIndex = matrices[set]!
            var result: [FewShotTask] = []
            for index in 0..<byIndex.count {
                let prefix = "\(set)_\(String(format: "%03d", index))_"
                guard let parts = byIndex[index] else {
                    throw failure("\(prefix)*", "is missing: the \(set) tasks are numbered 0…\(byIndex.count - 1) without gaps")
                }
                func part(_ key: String) throws(TaskFileError) -> Matrix {
                    guard let m = parts[key] else { throw failure(prefix + key, "is missing") }
                    return m
                }
                let queryLabels = parts["query_y"]
                if requireQueryLabels && queryLabels == nil {
                    throw failure(prefix + "query_y", "is missing (a training task needs query labels)")
                }
                result.append(FewShotTask(supportInputs: try part("support_x"), supportLabels: try part("support_y"),
                                          queryInputs: try part("query_x"), queryLabels: queryLabels))
            }
            return result
        }
        let train = try tasks("train", requireQueryLabels: true)
        let test = try tasks("test", requireQueryLabels: false)
        do {
            try self.init(train: train, test: test)
        } catch {
            throw failure(error.path, error.message)
        }
    }

    /// Writes the task set as an .npz archive (see above), atomically: libzip writes a temporary
    /// file beside `path` and renames it into place when the archive is complete.
    public func writeNPZ(to path: String) throws(TaskFileError) {
        func failure(_ message: String) -> TaskFileError { TaskFileError(file: path, line: nil, path: "", message: message) }
        var code: Int32 = 0
        guard let archive = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &code) else {
            var error = zip_error_t()
            zip_error_init_with_code(&error, code)
            defer { zip_error_fini(&error) }
            throw failure("cannot be written: \(String(cString: zip_error_strerror(&error)))")
        }
        // The members' bytes must live until zip_close has written them.
        var buffers: [UnsafeMutableRawBufferPointer] = []
        defer { buffers.forEach { $0.deallocate() } }
        let digits = max(3, String(max(train.count, test.count) - 1).count)
        func add(_ name: String, _ m: Matrix) -> Bool {
            let header = NPYHeader.encoded(rows: m.rows, columns: m.columns)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: header.count + m.elements.count * 8, alignment: 64)
            buffers.append(buffer)
            header.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: header.count) }
            m.withUnsafeBufferPointer { (buffer.baseAddress! + header.count).copyMemory(from: $0.baseAddress!, byteCount: $0.count * 8) }
            guard let source = zip_source_buffer(archive, buffer.baseAddress, zip_uint64_t(buffer.count), 0) else { return false }
            let index = zip_file_add(archive, name + ".npy", source, ZIP_FL_OVERWRITE)
            guard index >= 0 else { zip_source_free(source); return false }
            return zip_set_file_compression(archive, zip_uint64_t(index), ZIP_CM_STORE, 0) == 0
        }
        for (set, tasks) in [("train", train), ("test", test)] {
            for (i, t) in tasks.enumerated() {
                let index = String(i)
                let prefix = "\(set)_\(String(repeating: "0", count: max(0, digits - index.count)))\(index)_"
                var ok = add(prefix + "support_x", t.supportInputs) && add(prefix + "support_y", t.supportLabels)
                    && add(prefix + "query_x", t.queryInputs)
                if ok, let y = t.queryLabels { ok = add(prefix + "query_y", y) }
                guard ok else {
                    let message = String(cString: zip_strerror(archive))
                    zip_discard(archive)
                    throw failure("cannot be written: \(message)")
                }
            }
        }
        guard zip_close(archive) == 0 else {
            let message = String(cString: zip_strerror(archive))
            zip_discard(archive)
            throw failure("cannot be written: \(message)")
        }
    }
}
