/// An error that knows the response it stands for. `ErrorMiddleware` turns it into
/// `{"error":{"code":"...","message":"..."}}` with its status and headers, so an
/// application can keep its own error type and still answer like the server does.
public protocol HTTPResponseError: Error {
    var status: HTTPStatus { get }
    var code: String { get }
    var message: String { get }
    var headers: HTTPHeaders { get }
}

extension HTTPResponseError {
    public var headers: HTTPHeaders { HTTPHeaders() }
}

extension HTTPError: HTTPResponseError {}

extension Response {
    /// The JSON error response for `error`: the same body the server sends for its own errors.
    public init(error: some HTTPResponseError) {
        self = .error(HTTPError(error.status, code: error.code, message: error.message, headers: error.headers))
    }
}
