#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Response {
    /// Encodes `value` with JSONEncoder.
    public static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok) throws -> Response {
        let data = try JSONEncoder().encode(value)
        return bytes([UInt8](data), contentType: "application/json", status: status)
    }
}

extension Request {
    /// Decodes a JSON body: 415 if the Content-Type is not JSON, 400 if the JSON does not decode.
    public func decodeJSON<T: Decodable>(_ type: T.Type = T.self) throws(HTTPError) -> T {
        guard let media = mediaType, media == "application/json" || media.hasSuffix("+json") else {
            throw HTTPError(.unsupportedMediaType, code: "unsupported_media_type", message: "expected application/json")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch {
            throw HTTPError(.badRequest, code: "invalid_json", message: "request body is not valid JSON for this endpoint")
        }
    }
}
