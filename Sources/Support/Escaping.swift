/// The loop every escaper shares (JSON strings, HTML text, one-line messages): each Unicode
/// scalar that `replacement` maps is replaced by its text, the others are kept as they are.
enum Escaping {
    static func replacing(_ text: String, _ replacement: (Unicode.Scalar) -> String?) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if let replaced = replacement(scalar) {
                out += replaced
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
