/// An error that becomes a JSON response: `{"error":{"code":"...","message":"..."}}`.
/// Handlers throw it to answer with a 4xx/5xx; the parser produces it for malformed requests.
public struct HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: HTTPStatus
    public var code: String
    public var message: String
    public var headers: HTTPHeaders

    public init(_ status: HTTPStatus, code: String, message: String, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    /// The JSON body sent for this error.
    public var jsonBody: [UInt8] {
        Array("{\"error\":{\"code\":\(JSONString.quoted(code)),\"message\":\(JSONString.quoted(message))}}".utf8)
    }

    static func badRequest(_ code: String, _ message: String) -> HTTPError {
        HTTPError(.badRequest, code: code, message: message)
    }
}
