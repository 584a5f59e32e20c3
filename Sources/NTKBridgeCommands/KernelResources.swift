import Foundation

/// Sizes of memory and disk for `kernel`: parsing `--memory-limit`, reading what the machine has,
/// and wording amounts for people.
enum ByteSize {
    /// Parses "512MiB", "2GiB", "1.5GB", "800M", "4096": KiB/MiB/GiB/TiB and the bare K/M/G/T are
    /// powers of 1024, KB/MB/GB/TB powers of 1000, no unit (or B) bytes.
    static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let number = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(number.count).trimmingCharacters(in: .whitespaces).lowercased()
        guard let value = Double(number), value.isFinite, value > 0 else { return nil }
        let scales: [String: Double] = [
            "": 1, "b": 1,
            "k": 1024, "kib": 1024, "kb": 1e3,
            "m": 1048576, "mib": 1048576, "mb": 1e6,
            "g": 1073741824, "gib": 1073741824, "gb": 1e9,
            "t": 1099511627776, "tib": 1099511627776, "tb": 1e12,
        ]
        guard let scale = scales[unit] else { return nil }
        let bytes = value * scale
        guard bytes >= 1, bytes < 9e18 else { return nil }
        return Int(bytes)
    }

    /// "1.2 GiB (1288490188 bytes)" style wording.
    static func describe(_ bytes: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f %@", value, units[unit])
    }

    /// A value for a size flag, rounded up to whole MiB: "79MiB".
    static func flagValue(_ bytes: Int) -> String { "\((bytes + (1 << 20) - 1) >> 20)MiB" }

    /// The memory this process can still take: the smaller of MemAvailable and the cgroup's
    /// remaining allowance (nil if neither can be read).
    static func availableMemory() -> Int? {
        var candidates: [Int] = []
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kib = Int(line.split(separator: " ").dropFirst().first ?? "") {
            candidates.append(kib * 1024)
        }
        if let limit = (try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8))
            .flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }),
           let used = (try? String(contentsOfFile: "/sys/fs/cgroup/memory.current", encoding: .utf8))
            .flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
            candidates.append(max(0, limit - used))
        }
        return candidates.min()
    }

    /// Free bytes for an unprivileged writer in the file system holding `path` (or its nearest
    /// existing ancestor).
    static func freeDisk(near path: String) -> Int? {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        while !FileManager.default.fileExists(atPath: url.path) && url.path != "/" { url.deleteLastPathComponent() }
        var info = statvfs()
        guard statvfs(url.path, &info) == 0 else { return nil }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }
}
