import Foundation

extension Matrix {
    /// Reads a two-dimensional .npy array (see `NPYHeader`: versions 1.0–3.0, float64 or float32
    /// in either byte order, C or Fortran order). The file's length must match the shape exactly,
    /// and every value must be finite. Little-endian float64 in C order is read by one system
    /// call straight into the matrix storage.
    public init(npyFile path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw InputFileBytes.openError(path: path, errno: errno) }
        defer { close(descriptor) }
        let size = try InputFileBytes.regularFileSize(descriptor, path: path)
        var remaining = size
        try self.init(npyNamed: path, byteCount: size) { target, count in
            guard count <= remaining else {
                throw InputFileError.malformedNPY(file: path, reason: "truncated: the file ends early")
            }
            try InputFileBytes.readFully(descriptor, into: target, count: count, path: path)
            remaining -= count
        }
    }

    /// Reads .npy bytes from `readExactly(target, count)`, which delivers the next `count` bytes
    /// of a stream of `byteCount` bytes in all (a file, or a member of an .npz archive); `name`
    /// identifies the stream in errors.
    public init(npyNamed name: String, byteCount: Int,
                readExactly: (UnsafeMutableRawPointer, Int) throws -> Void) throws {
        func failure(_ reason: String) -> InputFileError { .malformedNPY(file: name, reason: reason) }
        // The fixed prefix, then the dictionary.
        var prefix = [UInt8](repeating: 0, count: min(byteCount, 12))
        let prefixCount = min(byteCount, 10)
        try prefix.withUnsafeMutableBytes { try readExactly($0.baseAddress!, prefixCount) }
        prefix.removeLast(prefix.count - prefixCount)
        if prefixCount >= 8, prefix[6] != 1, byteCount >= 12 {   // versions 2 and 3: a 4-byte length
            var more: [UInt8] = [0, 0]
            try more.withUnsafeMutableBytes { try readExactly($0.baseAddress!, 2) }
            prefix += more
        }
        let lengths: (dictionary: Int, offset: Int)
        do { lengths = try NPYHeader.prefixLengths(prefix) } catch { throw failure(error.description) }
        guard lengths.offset + lengths.dictionary <= byteCount else {
            throw failure("truncated: the header needs \(lengths.offset + lengths.dictionary) bytes, there are \(byteCount)")
        }
        var headerBytes = prefix + [UInt8](repeating: 0, count: lengths.dictionary)
        try headerBytes.withUnsafeMutableBytes { try readExactly($0.baseAddress! + lengths.offset, lengths.dictionary) }
        let header: NPYHeader
        do { header = try NPYHeader(headerBytes) } catch { throw failure(error.description) }
        guard header.shape.count == 2 else {
            throw failure("the array has \(header.shape.count) dimensions \(header.shape); a matrix (points × coordinates) "
                          + "has 2 (reshape with x.reshape(len(x), -1))")
        }
        let (rows, columns) = (header.shape[0], header.shape[1])
        let expected = header.dataOffset + header.dataByteCount
        guard byteCount == expected else {
            throw failure(byteCount < expected
                ? "truncated: the shape (\(rows), \(columns)) needs \(expected) bytes, the file has \(byteCount)"
                : "the file has \(byteCount - expected) bytes after the data of shape (\(rows), \(columns))")
        }
        guard rows > 0, columns > 0 else { throw InputFileError.noData(file: name) }
        let count = rows * columns
        var elements = try [Double](unsafeUninitializedCapacity: count) { storage, initialized in
            try Matrix.readNPYData(header, into: storage.baseAddress!, count: count, readExactly: readExactly)
            initialized = count
        }
        if header.fortranOrder {
            elements = Matrix(rows: columns, columns: rows, elements: elements).transposed().elements
        }
        if let k = elements.firstIndex(where: { !$0.isFinite }) {
            throw failure("the value at row \(k / columns + 1), column \(k % columns + 1) (entry (\(k / columns), "
                          + "\(k % columns)) counting from 0) is \(elements[k]); values must be finite "
                          + "(NaN and infinities are refused)")
        }
        self.init(rows: rows, columns: columns, elements: elements)
    }

    /// Reads `count` elements of the header's type into `target` as float64, in file order.
    private static func readNPYData(_ header: NPYHeader, into target: UnsafeMutablePointer<Double>, count: Int,
                                    readExactly: (UnsafeMutableRawPointer, Int) throws -> Void) throws {
        switch header.elementType {
        case .float64LittleEndian, .float64BigEndian:
            try readExactly(UnsafeMutableRawPointer(target), count * 8)
            if header.elementType == .float64BigEndian {
                for k in 0..<count { target[k] = Double(bitPattern: UInt64(bigEndian: target[k].bitPattern)) }
            } else {
                #if !_endian(little)
                for k in 0..<count { target[k] = Double(bitPattern: UInt64(littleEndian: target[k].bitPattern)) }
                #endif
            }
        case .float32LittleEndian, .float32BigEndian:
            // Read into the upper half of the storage, widen from the front (each float64 written
            // lies at or before the float32s still to be read).
            let raw = UnsafeMutableRawPointer(target)
            try readExactly(raw + count * 4, count * 4)
            let big = header.elementType == .float32BigEndian
            for k in 0..<count {
                let bits = raw.load(fromByteOffset: count * 4 + k * 4, as: UInt32.self)
                target[k] = Double(Float(bitPattern: big ? UInt32(bigEndian: bits) : UInt32(littleEndian: bits)))
            }
        }
    }

    /// Reads a matrix file by content: a .npy file (by its magic string, or a `.npy` name)
    /// as in `init(npyFile:)`, anything else as numeric text (`init(csvFile:)`).
    public init(matrixFile path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw InputFileBytes.openError(path: path, errno: errno) }
        var magic = [UInt8](repeating: 0, count: 6)
        let got = magic.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, 6) }
        close(descriptor)
        if path.lowercased().hasSuffix(".npy") || (got == 6 && magic == NPYHeader.magic) {
            try self.init(npyFile: path)
        } else {
            try self.init(csvFile: path)
        }
    }
}
