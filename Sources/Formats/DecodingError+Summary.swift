/// One-line descriptions of JSON decoding failures, for `WeightsError` messages.
///
/// `DecodingError`'s own description is a multi-line dump; users need the JSON path and the
/// reason, e.g. `at 'conv1.weight' 'shape' [1]: Parsed JSON number <1.5> does not fit in Int.`
extension DecodingError {
    public var summary: String {
        switch self {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "at \(Self.path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "at \(Self.path(context.codingPath)): missing '\(key.stringValue)'"
        @unknown default:
            return "\(self)"
        }
    }

    /// True when the failure is about the document as a whole (not JSON, or not an object).
    public var isAtTopLevel: Bool {
        switch self {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return context.codingPath.isEmpty
        default:
            return false
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        if codingPath.isEmpty { return "top level" }
        return codingPath.map { key in key.intValue.map { "[\($0)]" } ?? "'\(key.stringValue)'" }
            .joined(separator: " ")
    }
}
