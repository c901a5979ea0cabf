import Foundation

/// A JSON value, written by hand so that output is one line, field order is fixed and bytes are
/// predictable: what `caption --json`, the batch results, `score --json` and the safetensors
/// headers print. Every value renders to valid JSON: a non-finite number becomes `null`.
///
///     JSON.object([("image", .string(path)), ("score", .number(s))]).text
///     // {"image":"a.jpg","score":-1.2345}
public indirect enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    /// A float written with `decimals` digits after the point (`%.4f` by default); NaN and ±∞,
    /// which JSON cannot hold, are written as `null`.
    case number(Float, decimals: Int = 4)
    /// The same for a double, such as a metric computed in double precision.
    case double(Double, decimals: Int = 2)
    /// A number written with the shortest `%g` form of `significant` digits, for long vectors.
    case compact(Float, significant: Int = 6)
    case string(String)
    case array([JSON])
    /// Fields in the order given.
    case object([(String, JSON)])

    /// The one-line JSON text.
    public var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .number(let value, let decimals):
            out += value.isFinite ? String(format: "%.\(decimals)f", value) : "null"
        case .double(let value, let decimals):
            out += value.isFinite ? String(format: "%.\(decimals)f", value) : "null"
        case .compact(let value, let significant):
            out += value.isFinite ? String(format: "%.\(significant)g", value) : "null"
        case .string(let value): out += Self.quoted(value)
        case .array(let values):
            out += "["
            for (index, value) in values.enumerated() {
                if index > 0 { out += "," }
                value.write(to: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (index, (key, value)) in fields.enumerated() {
                if index > 0 { out += "," }
                out += Self.quoted(key) + ":"
                value.write(to: &out)
            }
            out += "}"
        }
    }

    /// A number, or `null` when absent.
    public static func number(_ value: Float?, decimals: Int = 4) -> JSON {
        value.map { .number($0, decimals: decimals) } ?? .null
    }

    /// A JSON string literal escaped as serde_json does: quote, backslash and control characters
    /// only; everything else, including non-ASCII, stays as raw UTF-8.
    public static func quoted(_ text: String) -> String {
        "\"" + Escaping.replacing(text) { scalar in
            switch scalar {
            case "\"": "\\\""
            case "\\": "\\\\"
            case "\n": "\\n"
            case "\r": "\\r"
            case "\t": "\\t"
            case "\u{08}": "\\b"
            case "\u{0C}": "\\f"
            case "\u{00}" ... "\u{1F}":
                "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: nil
            }
        } + "\""
    }

    public static func == (a: JSON, b: JSON) -> Bool { a.text == b.text }
}
