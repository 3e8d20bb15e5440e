/// One part of a multipart/form-data body, held in memory.
public struct MultipartPart: Sendable, Equatable {
    public var head: MultipartPartHead
    public var body: [UInt8]
    public var name: String { head.name }
    public var filename: String? { head.filename }
    public var contentType: String? { head.contentType }
}

public enum MultipartFormData {
    /// Parses a complete multipart/form-data body (already limited by the route's body limit).
    public static func parse<C: Collection>(body: C, contentType: String?,
                                           limits: MultipartLimits = MultipartLimits()) throws(HTTPError) -> [MultipartPart]
    where C.Element == UInt8 {
        guard let contentType, let boundary = MultipartParser.boundary(fromContentType: contentType) else {
            throw HTTPError(.unsupportedMediaType, code: "unsupported_media_type",
                            message: "expected multipart/form-data with a boundary")
        }
        var parser = try MultipartParser(boundary: boundary, limits: limits)
        var parts: [MultipartPart] = []
        for event in try parser.feed(body) {
            switch event {
            case .partBegin(let head): parts.append(MultipartPart(head: head, body: []))
            case .partData(let bytes): parts[parts.count - 1].body.append(contentsOf: bytes)
            case .partEnd: break
            }
        }
        try parser.finish()
        return parts
    }
}
