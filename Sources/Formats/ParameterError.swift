/// Why a set of named tensors (a weight file's parameters) does not fit a model: what
/// `CaptionModel(config:parameters:)` and `AlignmentModel(config:parameters:)` throw.
public enum ParameterError: Error, Equatable, CustomStringConvertible, Sendable {
    case missingParameter(String)
    case unexpectedParameter(String)
    case wrongShape(String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .missingParameter(let name): "parameter '\(name)' is missing"
        case .unexpectedParameter(let name): "'\(name)' is not a parameter of this model"
        case .wrongShape(let name, let expected, let found): "parameter '\(name)' has shape \(found), expected \(expected)"
        }
    }
}
