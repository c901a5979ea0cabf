import Foundation
import Hummingbird
import Support

/// The outermost layer of every request (inside CORS): it checks the bearer token, turns every
/// error into a JSON answer `{"error": "..."}` with its status, and counts the answer in the
/// metrics. Nothing a handler throws reaches Hummingbird's own error page.
struct AnswerMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?
    let maxBodyMegabytes: Int
    let metrics: ServerMetrics
    /// Paths any client may read without the token: the page, the API description, health.
    static var openPaths: Set<String> { ["/", "/openapi.yaml", "/healthz"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response: Response
        do {
            if let token, !Self.openPaths.contains(request.uri.path), !Self.authorized(request.headers[.authorization], token: token) {
                throw APIError(.unauthorized, "this server needs `Authorization: Bearer <token>` (the token given to caption serve --token)",
                               headers: [.wwwAuthenticate: "Bearer"])
            }
            response = try await next(request, context)
        } catch {
            response = answer(for: error, request: request).response
        }
        metrics.answered(route: context.endpointPath ?? "unmatched", status: Int(response.status.code),
                         after: ContinuousClock.now - started)
        return response
    }

    /// The JSON error for anything a request can throw.
    private func answer(for error: any Error, request: Request) -> APIError {
        switch error {
        case let error as APIError:
            return error
        // Any HTTPResponseError, not just HTTPError: the body's `collect(upTo:)` throws NIOTooManyBytesError (was a 500).
        case let error as any HTTPResponseError where error.status == .contentTooLarge:
            return APIError(.contentTooLarge, "the body is over this server's limit of \(maxBodyMegabytes) MB (caption serve --max-body)")
        case let error as HTTPError where error.status == .notFound:
            return APIError(.notFound, "no route \(request.method) \(request.uri.path): see /openapi.yaml for the routes")
        case let error as HTTPError:
            return APIError(error.status, error.body ?? error.status.reasonPhrase)
        case is CancellationError:
            return APIError(.serviceUnavailable, "the request was cancelled")
        default:
            // Never expected: every handler maps its failures. Logged so that it gets fixed.
            FileHandle.standardError.write(Data("caption serve: error: \(OneLine.escaped("\(error)"))\n".utf8))
            return APIError(.internalServerError, "internal error")
        }
    }

    /// Whether `header` is `Bearer <token>`, compared in constant time: both sides are hashed,
    /// so neither the token's length nor where a guess goes wrong shows in the timing.
    static func authorized(_ header: String?, token: String) -> Bool {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return false }
        let given = SHA256.hash(Data(header.dropFirst(7).utf8)), expected = SHA256.hash(Data(token.utf8))
        return zip(given, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
