import Foundation

/// An output that would overwrite an input or another output of the same run.
public enum PathCollisionError: Error, CustomStringConvertible, Equatable {
    /// `output` (given as `outputRole`) is the same file as the input `inputRole`.
    case outputIsInput(outputRole: String, output: String, inputRole: String, input: String)
    /// An input lies inside an output folder that is replaced as a whole.
    case inputInsideOutputFolder(inputRole: String, input: String, folderRole: String, folder: String)
    /// Two outputs are the same file.
    case outputsCollide(firstRole: String, first: String, secondRole: String, second: String)

    public var description: String {
        switch self {
        case let .outputIsInput(outputRole, output, inputRole, input):
            let same = output == input ? "" : " (\(output) and \(input) are the same file)"
            return "\(outputRole) \(output) would overwrite the input \(inputRole) \(input)\(same); choose another output path"
        case let .inputInsideOutputFolder(inputRole, input, folderRole, folder):
            return "the input \(inputRole) \(input) lies inside the output folder \(folderRole) \(folder), which is replaced "
                + "as a whole; move the input out of it or choose another output folder"
        case let .outputsCollide(firstRole, first, secondRole, second):
            let same = first == second ? "" : " (\(first) and \(second) are the same file)"
            return "\(firstRole) \(first) and \(secondRole) \(second) name the same file\(same); give each output its own path"
        }
    }
}

/// Detects outputs that resolve to an input or to another output: paths are compared after
/// resolving symbolic links, `.` and `..` (the nearest existing folder is resolved for a file not
/// yet written), and existing files also by device and inode (hard links).
public enum OutputPaths {
    /// A path given for a role (a flag, a parameter name).
    public typealias Named = (role: String, path: String)

    public static func checkDistinct(inputs: [Named], outputs: [Named]) throws(PathCollisionError) {
        let inputIDs = inputs.map { ($0, FileIdentity($0.path)) }
        var seen: [(Named, FileIdentity)] = []
        for output in outputs {
            let id = FileIdentity(output.path)
            if let (input, _) = inputIDs.first(where: { $0.1 == id }) {
                throw .outputIsInput(outputRole: output.role, output: output.path, inputRole: input.role, input: input.path)
            }
            if let (other, _) = seen.first(where: { $0.1 == id }) {
                throw .outputsCollide(firstRole: other.role, first: other.path, secondRole: output.role, second: output.path)
            }
            seen.append((output, id))
        }
    }

    /// Refuses an input that is, or lies inside, the output folder `folder`.
    public static func checkOutside(inputs: [Named], folder: Named) throws(PathCollisionError) {
        let root = FileIdentity(folder.path).resolved
        for input in inputs {
            let path = FileIdentity(input.path).resolved
            if path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/") {
                throw .inputInsideOutputFolder(inputRole: input.role, input: input.path, folderRole: folder.role, folder: folder.path)
            }
        }
    }
}

/// What a path refers to: its resolved absolute path, and (device, inode) if it exists.
struct FileIdentity: Equatable {
    let resolved: String
    let inode: [UInt64]?

    init(_ path: String) {
        var info = stat()
        inode = stat(path, &info) == 0 ? [UInt64(info.st_dev), UInt64(info.st_ino)] : nil
        resolved = FileIdentity.resolve(path)
    }

    static func == (a: FileIdentity, b: FileIdentity) -> Bool {
        if let x = a.inode, let y = b.inode { return x == y }
        return a.resolved == b.resolved
    }

    /// realpath of the path, or of its nearest existing ancestor followed by the rest.
    private static func resolve(_ path: String) -> String {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        var rest: [String] = []
        while url.path != "/" {
            if let real = realpath(url.path, nil) {
                defer { free(real) }
                return ([String(cString: real)] + rest.reversed()).joined(separator: "/")
            }
            rest.append(url.lastPathComponent)
            url.deleteLastPathComponent()
        }
        return "/" + rest.reversed().joined(separator: "/")
    }
}
