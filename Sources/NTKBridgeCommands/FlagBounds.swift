import ArgumentParser
import InfiniteWidth

/// Bounds on whole-number flags. Their values are parsed with `parsing: .unconditional`, so that
/// `--depth -1` reaches the check (and is refused with "must be ≥ 1") instead of being taken
/// for a flag named `-1`.
enum FlagBounds {
    /// Refuses `value < minimum` (and `value > maximum`), naming the flag.
    static func require(_ value: Int, atLeast minimum: Int, atMost maximum: Int = .max, _ flag: String,
                        why: String = "") throws {
        guard value >= minimum else { throw ValidationError("\(flag) must be ≥ \(minimum), got \(value)") }
        guard value <= maximum else {
            throw ValidationError("\(flag) must be ≤ \(maximum)\(why.isEmpty ? "" : " (\(why))"), got \(value)")
        }
    }

    static func require(_ value: Int?, atLeast minimum: Int, atMost maximum: Int = .max, _ flag: String, why: String = "") throws {
        if let value { try require(value, atLeast: minimum, atMost: maximum, flag, why: why) }
    }

    /// The largest depth any command accepts (`Architecture.maximumDepth`).
    static let depthLimitReason = "the documented maximum depth; see Docs/reliability.md"
}

/// A seed flag: a whole number in 0…2⁶⁴−1. `--seed -1` is refused with "must be ≥ 0".
func parseSeed(_ text: String) throws -> UInt64 {
    if let value = UInt64(text) { return value }
    if let negative = Int(text), negative < 0 { throw ValidationError("must be ≥ 0, got \(text)") }
    throw ValidationError("must be a whole number in 0…\(UInt64.max), got '\(text)'")
}

/// The seeds s, s+1, …, s+k−1 of a sweep, wrapping past 2⁶⁴−1 to 0 (so that `--seed 2⁶⁴−1
/// --seeds 2` runs seeds 2⁶⁴−1 and 0 instead of overflowing).
func seedList(first: UInt64, count: Int) -> [UInt64] {
    (0..<UInt64(max(count, 0))).map { first &+ $0 }
}
