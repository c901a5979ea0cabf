/// JSON string literals written by hand, for output whose bytes must be exactly predictable:
/// safetensors headers (matching the reference writer) and the CLI's line-oriented JSON.
public enum JSONText {
    /// A JSON string literal escaped as serde_json does: quote, backslash and control characters
    /// only; everything else, including non-ASCII, stays as raw UTF-8.
    public static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case "\u{00}" ... "\u{1F}":
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
