import Application
import Foundation
import Hummingbird
import ImageDecoding
import Support

/// A request the server answers with an error: a status and one sentence for the client,
/// always sent as `{"error": "..."}` (`ErrorAnswerMiddleware`). Every failure a request can
/// meet maps to one of these, so no error reaches the client as an empty 500.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    /// Extra headers: `Retry-After` on 503, `WWW-Authenticate` on 401.
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status.code) \(message)" }

    /// A bad option or field: 400.
    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }

    /// Why a photo could not be read, with its status: not an image or a format this build cannot
    /// read is 415; over the pixel limit, corrupt or truncated is 422; an empty body is 400.
    static func photo(_ error: ImageDecodingError) -> APIError {
        switch error {
        case .emptyFile: return APIError(.badRequest, "the photo is empty: send the image file's bytes")
        case .unknownFormat:
            return APIError(.unsupportedMediaType, "the uploaded file is \(error.description)")
        case .unsupportedFormat: return APIError(.unsupportedMediaType, error.description)
        case .tooLarge(let width, let height, let limit):
            return APIError(.unprocessableContent, "image is \(width)x\(height) pixels, more than this server's limit of \(limit) pixels")
        case .corrupt, .unreadable: return APIError(.unprocessableContent, error.description)
        }
    }

    /// A library error: usage mistakes (an option out of range) are the client's, 400; input
    /// problems are the photo's, 422.
    static func caption(_ error: CaptionError) -> APIError {
        APIError(error.kind == .usage ? .badRequest : .unprocessableContent, error.description)
    }

    /// The answer: `{"error": message}` with the status and headers.
    var response: Response {
        var fields = headers
        fields[.contentType] = "application/json"
        fields[.cacheControl] = "no-store"
        let body = JSON.object([("error", .string(message))]).text + "\n"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
