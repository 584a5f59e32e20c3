/// A refusal caused by the data or the files rather than by the flags' syntax: printed as
/// `Error: <message>` without the usage text that ArgumentParser adds to a `ValidationError`.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ message: String) { description = message }
}
