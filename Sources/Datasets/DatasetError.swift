/// The `Datasets` module reads real data sets into few-shot task sets: Omniglot's zip archives
/// of 1-bit PNG drawings, decoded with libzip and libpng.

/// A data set that cannot be read or a setting it cannot satisfy. Archive errors name the
/// archive and, where one is at fault, the entry inside it; setting errors name the parameter.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    /// The archive file does not exist.
    case missingArchive(archive: String)
    /// The archive exists but is not a readable zip archive.
    case unreadableArchive(archive: String, reason: String)
    /// An entry the data set needs is absent from the archive.
    case missingEntry(archive: String, entry: String)
    /// An entry could not be extracted (bad compressed data, CRC mismatch, …).
    case unreadableEntry(archive: String, entry: String, reason: String)
    /// An entry was extracted but is not what the data set promises (not a PNG, wrong size, …).
    case invalidEntry(archive: String, entry: String, reason: String)
    /// A setting the data cannot satisfy, naming the parameter (`imageSize`, `ways`, …).
    case invalidSetting(parameter: String, message: String)

    public var description: String {
        switch self {
        case let .missingArchive(archive): return "\(archive): no such archive"
        case let .unreadableArchive(archive, reason): return "\(archive): not a readable zip archive (\(reason))"
        case let .missingEntry(archive, entry): return "\(archive): has no entry \(entry)"
        case let .unreadableEntry(archive, entry, reason): return "\(archive): entry \(entry) cannot be extracted (\(reason))"
        case let .invalidEntry(archive, entry, reason): return "\(archive): entry \(entry) \(reason)"
        case let .invalidSetting(parameter, message): return "\(parameter) \(message)"
        }
    }
}
