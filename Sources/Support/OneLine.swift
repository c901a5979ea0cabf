/// Text that stays on one line: every error message and every file name printed in one.
///
/// Names come from users and files and may hold a newline or another control character; those
/// are escaped (`\n`, `\u{7}`), so `caption: error: <file>: <reason>` is always one line for
/// people and for scripts that read stderr line by line. (A tensor named "a\nb" made a two-line
/// error; found by Fuzz/FuzzSafeTensors.)
public enum OneLine {
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        return Escaping.replacing(text) { scalar in
            switch scalar {
            case "\n": "\\n"
            case "\r": "\\r"
            case "\t": "\\t"
            case _ where isControl(scalar): "\\u{\(String(scalar.value, radix: 16))}"
            default: nil
            }
        }
    }

    /// C0 and C1 controls plus the Unicode line and paragraph separators.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}"
    }
}
