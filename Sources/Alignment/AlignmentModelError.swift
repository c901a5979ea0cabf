/// Why a parameter dictionary can't be used as an `AlignmentModel`.
public enum AlignmentModelError: Error, Equatable, CustomStringConvertible {
    case missingParameter(String)
    case unexpectedParameter(String)
    case wrongShape(String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .missingParameter(let name):
            return "alignment parameter '\(name)' is missing"
        case .unexpectedParameter(let name):
            return "'\(name)' is not an alignment model parameter"
        case .wrongShape(let name, let expected, let found):
            return "alignment parameter '\(name)' has shape \(found), expected \(expected)"
        }
    }
}
