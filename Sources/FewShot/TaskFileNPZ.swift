import CZip
import Foundation
import LinearAlgebra

/// The binary task-file form: an `.npz` archive (a zip of .npy arrays, as `numpy.savez` writes,
/// stored uncompressed) that `numpy.load` reads directly. The tasks of each set (`train`,
/// `test`) and part (`support`, `query`) are concatenated row-wise into one array, with an
/// int64 offsets array giving each task's rows, so an archive has 13 members however many tasks:
///
///     <set>_<part>_x        float64 (R, d)   the tasks' inputs, task after task
///     <set>_<part>_y        float64 (R, k)   their labels (same rows)
///     <set>_<part>_offsets  int64   (N+1,)   task i owns rows offsets[i] ..< offsets[i+1]
///     test_query_labelled   int64   (T,)     1 if test task i has query labels, 0 if not
///                                            (its rows of test_query_y are then zeros)
///
/// Offsets start at 0, increase strictly and end at R; the support and query offsets of a set
/// count the same tasks. Members carry numpy's ".npy" suffix; other members are refused.
extension TaskSet {
    /// The 13 member names (without ".npy").
    static let npzMembers: [String] = ["train", "test"].flatMap { set in
        ["support", "query"].flatMap { part in ["x", "y", "offsets"].map { "\(set)_\(part)_\($0)" } }
    } + ["test_query_labelled"]

    /// Reads an .npz task file: each member with one bulk read, then each task's rows copied out.
    public init(npzFile path: String) throws(TaskFileError) {
        let archive = try NPZArchive(readingFrom: path)
        func tasks(_ set: String) throws(TaskFileError) -> [FewShotTask] {
            let support = try archive.part(set + "_support")
            let query = try archive.part(set + "_query")
            guard support.offsets.count == query.offsets.count else {
                throw archive.failure("\(set)_query_offsets.npy", "has \(query.offsets.count) entries, but "
                                      + "\(set)_support_offsets.npy has \(support.offsets.count) (both are tasks + 1)")
            }
            let taskCount = support.offsets.count - 1
            var labelled = [Int64](repeating: 1, count: taskCount)
            if set == "test" {
                labelled = try archive.integers("test_query_labelled", count: taskCount)
                if let k = labelled.firstIndex(where: { $0 != 0 && $0 != 1 }) {
                    throw archive.failure("test_query_labelled.npy", "entry \(k) is \(labelled[k]); expected 0 or 1")
                }
            }
            return (0..<taskCount).map { i in
                FewShotTask(supportInputs: support.x.rows(support.range(i)), supportLabels: support.y.rows(support.range(i)),
                            queryInputs: query.x.rows(query.range(i)),
                            queryLabels: labelled[i] == 1 ? query.y.rows(query.range(i)) : nil)
            }
        }
        let train = try tasks("train"), test = try tasks("test")
        do {
            try self.init(train: train, test: test)
        } catch {
            throw archive.failure(error.path, error.message)
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
        func add(_ name: String, _ type: NPYHeader.ElementType, _ shape: [Int], _ data: [UnsafeRawBufferPointer]) -> Bool {
            let header = NPYHeader.encoded(type: type, shape: shape)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: header.count + data.reduce(0) { $0 + $1.count },
                                                                alignment: 64)
            buffers.append(buffer)
            header.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: header.count) }
            var at = header.count
            for piece in data where piece.count > 0 {
                (buffer.baseAddress! + at).copyMemory(from: piece.baseAddress!, byteCount: piece.count)
                at += piece.count
            }
            guard let source = zip_source_buffer(archive, buffer.baseAddress, zip_uint64_t(buffer.count), 0) else { return false }
            let index = zip_file_add(archive, name + ".npy", source, ZIP_FL_OVERWRITE)
            guard index >= 0 else { zip_source_free(source); return false }
            return zip_set_file_compression(archive, zip_uint64_t(index), ZIP_CM_STORE, 0) == 0
        }
        func addConcatenated(_ name: String, _ matrices: [Matrix], columns: Int) -> Bool {
            var elements: [Double] = []
            elements.reserveCapacity(matrices.reduce(0) { $0 + $1.elements.count })
            for m in matrices { elements += m.elements }
            return elements.withUnsafeBytes { add(name, .float64LittleEndian, [elements.count / columns, columns], [$0]) }
        }
        func addIntegers(_ name: String, _ values: [Int64]) -> Bool {
            let littleEndian = values.map(\.littleEndian)
            return littleEndian.withUnsafeBytes { add(name, .int64LittleEndian, [values.count], [$0]) }
        }
        func offsets(_ matrices: [Matrix]) -> [Int64] {
            matrices.reduce(into: [Int64(0)]) { $0.append($0.last! + Int64($1.rows)) }
        }
        var ok = true
        for (set, tasks) in [("train", train), ("test", test)] {
            let supportX = tasks.map(\.supportInputs), queryX = tasks.map(\.queryInputs)
            let queryY = tasks.map { $0.queryLabels ?? Matrix(rows: $0.queryCount, columns: labelWidth) }
            ok = ok && addConcatenated(set + "_support_x", supportX, columns: inputDimension)
                && addConcatenated(set + "_support_y", tasks.map(\.supportLabels), columns: labelWidth)
                && addIntegers(set + "_support_offsets", offsets(supportX))
                && addConcatenated(set + "_query_x", queryX, columns: inputDimension)
                && addConcatenated(set + "_query_y", queryY, columns: labelWidth)
                && addIntegers(set + "_query_offsets", offsets(queryX))
        }
        ok = ok && addIntegers("test_query_labelled", test.map { $0.queryLabels == nil ? 0 : 1 })
        guard ok else {
            let message = String(cString: zip_strerror(archive))
            zip_discard(archive)
            throw failure("cannot be written: \(message)")
        }
        guard zip_close(archive) == 0 else {
            let message = String(cString: zip_strerror(archive))
            zip_discard(archive)
            throw failure("cannot be written: \(message)")
        }
    }
}

/// One set's part of an .npz task file: the concatenated x and y and the task offsets.
struct NPZTaskPart {
    let x: Matrix, y: Matrix, offsets: [Int]
    func range(_ task: Int) -> Range<Int> { offsets[task]..<offsets[task + 1] }
}

/// An .npz task file opened for reading; members are found by name and read whole.
final class NPZArchive {
    let path: String
    private let archive: OpaquePointer

    init(readingFrom path: String) throws(TaskFileError) {
        self.path = path
        var code: Int32 = 0
        guard let archive = zip_open(path, ZIP_RDONLY, &code) else {
            var error = zip_error_t()
            zip_error_init_with_code(&error, code)
            defer { zip_error_fini(&error) }
            throw TaskFileError(file: path, line: nil, path: "",
                                message: "cannot be read as an .npz archive: \(String(cString: zip_error_strerror(&error)))")
        }
        self.archive = archive   // from here on, deinit discards it (also when init throws)
        for index in 0..<max(0, zip_get_num_entries(archive, 0)) {
            guard let cName = zip_get_name(archive, zip_uint64_t(index), 0) else {
                throw TaskFileError(file: path, line: nil, path: "", message: "member \(index) cannot be read")
            }
            let member = String(cString: cName)
            guard member.hasSuffix(".npy"), TaskSet.npzMembers.contains(String(member.dropLast(4))) else {
                throw TaskFileError(file: path, line: nil, path: member, message: "is not a task-file array (expected "
                                    + TaskSet.npzMembers.map { $0 + ".npy" }.joined(separator: ", ") + ")")
            }
        }
    }

    deinit { zip_discard(archive) }

    func failure(_ member: String, _ message: String) -> TaskFileError {
        TaskFileError(file: path, line: nil, path: member, message: message)
    }

    /// Calls `body` with the member's size and a function reading its next bytes.
    private func withMember<T>(_ name: String,
                               _ body: (Int, (UnsafeMutableRawPointer, Int) throws -> Void) throws -> T) throws(TaskFileError) -> T {
        let member = name + ".npy"
        var status = zip_stat_t()
        let index = zip_name_locate(archive, member, 0)
        guard index >= 0, zip_stat_index(archive, zip_uint64_t(index), 0, &status) == 0 else {
            throw failure(member, "is missing")
        }
        guard let file = zip_fopen_index(archive, zip_uint64_t(index), 0) else {
            throw failure(member, "cannot be opened: \(String(cString: zip_strerror(archive)))")
        }
        defer { zip_fclose(file) }
        do {
            return try body(Int(status.size)) { target, count in
                var done = 0
                while done < count {
                    let got = zip_fread(file, target + done, zip_uint64_t(count - done))
                    guard got > 0 else { throw InputFileError.malformedNPY(file: member, reason: "truncated") }
                    done += Int(got)
                }
            }
        } catch let error as TaskFileError {
            throw error
        } catch {
            throw failure("", "\(error)")
        }
    }

    /// A float64 (or float32) matrix member, read straight into the matrix storage.
    func matrix(_ name: String) throws(TaskFileError) -> Matrix {
        try withMember(name) { size, read in try Matrix(npyNamed: name + ".npy", byteCount: size, allowingNoRows: true, readExactly: read) }
    }

    /// A one-dimensional int64 member of `count` entries.
    func integers(_ name: String, count expected: Int? = nil) throws(TaskFileError) -> [Int64] {
        let member = name + ".npy"
        let bytes = try withMember(name) { size, read in
            try [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                try read(buffer.baseAddress!, size)
                initialized = size
            }
        }
        let header: NPYHeader
        do { header = try NPYHeader(bytes) } catch { throw failure(member, "\(error)") }
        guard header.elementType == .int64LittleEndian || header.elementType == .int64BigEndian,
              header.shape.count == 1 else {
            throw failure(member, "has dtype '\(header.elementType.rawValue)' and shape \(header.shape); "
                          + "expected a one-dimensional int64 array ('<i8', shape (n,))")
        }
        guard bytes.count == header.dataOffset + header.dataByteCount else {
            throw failure(member, "has \(bytes.count) bytes, but its shape \(header.shape) needs "
                          + "\(header.dataOffset + header.dataByteCount)")
        }
        if let expected, header.shape[0] != expected {
            throw failure(member, "has \(header.shape[0]) entries, expected \(expected) (one per task)")
        }
        let big = header.elementType == .int64BigEndian
        return (0..<header.shape[0]).map { k in
            let raw = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: header.dataOffset + 8 * k, as: Int64.self) }
            return big ? Int64(bigEndian: raw) : Int64(littleEndian: raw)
        }
    }

    /// `<name>_x`, `<name>_y` and `<name>_offsets`, checked against each other.
    func part(_ name: String) throws(TaskFileError) -> NPZTaskPart {
        let x = try matrix(name + "_x"), y = try matrix(name + "_y")
        let offsets = try integers(name + "_offsets").map { Int($0) }
        let member = name + "_offsets.npy"
        guard offsets.first == 0 else { throw failure(member, "must start with 0 (it has \(offsets.count) entries)") }
        if let k = offsets.indices.dropFirst().first(where: { offsets[$0] <= offsets[$0 - 1] }) {
            throw failure(member, "entry \(k) is \(offsets[k]), not above entry \(k - 1) (\(offsets[k - 1])); "
                          + "offsets increase strictly (every task has points)")
        }
        guard offsets.last == x.rows else {
            throw failure(member, "ends at \(offsets.last!), but \(name)_x.npy has \(x.rows) rows")
        }
        guard y.rows == x.rows else {
            throw failure(name + "_y.npy", "has \(y.rows) rows, but \(name)_x.npy has \(x.rows)")
        }
        return NPZTaskPart(x: x, y: y, offsets: offsets)
    }
}

extension Matrix {
    /// The rows in `range`, copied.
    func rows(_ range: Range<Int>) -> Matrix {
        let count = range.count * columns
        let elements = withUnsafeBufferPointer { storage in
            [Double](unsafeUninitializedCapacity: count) { target, initialized in
                target.baseAddress!.update(from: storage.baseAddress! + range.lowerBound * columns, count: count)
                initialized = count
            }
        }
        return Matrix(rows: range.count, columns: columns, elements: elements)
    }
}
