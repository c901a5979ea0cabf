/// Text made safe for HTML pages: the one escaper every page uses.
public enum HTML {
    /// Safe inside elements and in single- or double-quoted attribute values: `& < > " '`
    /// become entities, so no file name, caption or sentence can open a tag or close an
    /// attribute.
    public static func escape(_ text: String) -> String {
        Escaping.replacing(text) { scalar in
            switch scalar {
            case "&": "&amp;"
            case "<": "&lt;"
            case ">": "&gt;"
            case "\"": "&quot;"
            case "'": "&#39;"
            default: nil
            }
        }
    }

    /// JSON embedded in a `<script>` element: `<` becomes `\u003c`, so no string inside can
    /// close the element early (`</script>`) or open a comment.
    public static func scriptJSON(_ json: String) -> String {
        json.replacingOccurrences(of: "<", with: "\\u003c")
    }

    /// A page template with `{{NAME}}` slots filled in one pass, so a value that itself holds
    /// `{{…}}` is never expanded again. Values are inserted as given: escape them first.
    public static func fill(_ template: String, _ values: [String: String]) -> String {
        var out = ""
        var rest = template[...]
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                rest = rest[open.lowerBound...]
                break
            }
            let name = String(rest[open.upperBound..<close.lowerBound])
            if let value = values[name] {
                out += value
            } else {
                out += rest[open.lowerBound..<close.upperBound]
            }
            rest = rest[close.upperBound...]
        }
        return out + rest
    }
}
