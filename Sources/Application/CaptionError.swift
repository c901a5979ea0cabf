import Support

/// Why a command could not do what it was asked, as the one line a person reads:
/// `caption: error: <subject>: <reason>`. The library throws these; only the CLI prints them
/// (once, at the top), and a server turns them into JSON answers.
public struct CaptionError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of mistake this is, which picks the exit status.
    public enum Kind: Sendable, Equatable {
        /// The input could not be used: a missing or corrupt file, a model that does not fit
        /// (exit 1).
        case input
        /// The command was called wrongly: an option out of range, a folder that does not exist
        /// (exit 2).
        case usage
    }

    public var kind: Kind
    /// The file, option or line the problem is about; nil when none fits.
    public var subject: String?
    public var reason: String

    public init(_ kind: Kind, _ subject: String?, _ reason: String) {
        self.kind = kind
        self.subject = subject
        self.reason = reason
    }

    public static func input(_ subject: String?, _ reason: String) -> CaptionError { CaptionError(.input, subject, reason) }
    public static func usage(_ subject: String?, _ reason: String) -> CaptionError { CaptionError(.usage, subject, reason) }

    /// `<subject>: <reason>` on one line, whatever characters the file name holds.
    public var description: String {
        OneLine.escaped(subject.map { "\($0): \(reason)" } ?? reason)
    }

    /// `error` as a `CaptionError` about `subject`: other errors' descriptions become the reason.
    public static func wrapping(_ error: any Error, subject: String?, kind: Kind = .input) -> CaptionError {
        if let error = error as? CaptionError { return error }
        return CaptionError(kind, subject, "\(error)")
    }
}
