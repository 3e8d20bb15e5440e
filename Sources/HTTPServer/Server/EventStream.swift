/// Server-Sent Events on top of a streamed response (text/event-stream).
public struct EventStream: Sendable {
    public let writer: BodyWriter

    /// Sends one event. Multi-line data becomes several `data:` lines; CR/LF are removed from
    /// `event` and `id` because they would end the field.
    public func send(event: String? = nil, data: String, id: String? = nil, retry: Int? = nil) async throws {
        var text = ""
        if let id { text += "id: \(Self.singleLine(id))\n" }
        if let event { text += "event: \(Self.singleLine(event))\n" }
        if let retry { text += "retry: \(retry)\n" }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
            text += "data: \(line.filter { $0 != "\r" })\n"
        }
        text += "\n"
        try await writer.write(text)
    }

    /// A comment line; keeps proxies and browsers from timing out an idle stream.
    public func heartbeat(_ comment: String = "") async throws {
        try await writer.write(":\(Self.singleLine(comment))\n\n")
    }

    private static func singleLine(_ s: String) -> String { s.filter { $0 != "\n" && $0 != "\r" } }
}

extension Response {
    /// A Server-Sent Events response. `X-Accel-Buffering: no` stops nginx from buffering it.
    public static func eventStream(headers: HTTPHeaders = HTTPHeaders(),
                                   _ produce: @escaping @Sendable (EventStream) async throws -> Void) -> Response {
        var h = headers
        h["Content-Type"] = "text/event-stream"
        h["Cache-Control"] = "no-cache"
        h["X-Accel-Buffering"] = "no"
        return .stream(headers: h) { writer in try await produce(EventStream(writer: writer)) }
    }
}
