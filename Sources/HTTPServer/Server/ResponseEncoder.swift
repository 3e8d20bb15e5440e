/// Writes a status line and header section. Framing headers are the server's own;
/// a handler's header that could split the response (CR, LF, NUL) is dropped.
enum ResponseEncoder {
    enum Framing: Equatable { case length(Int), chunked, untilClose, none }

    static func head(status: HTTPStatus, headers: HTTPHeaders, framing: Framing, connection: String?,
                     date: [UInt8], serverName: String?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(contentsOf: "HTTP/1.1 \(status.code) ".utf8)
        out.append(contentsOf: status.reason.utf8.filter(ASCII.isFieldValueByte))
        out.append(contentsOf: "\r\nDate: ".utf8)
        out.append(contentsOf: date)
        if let serverName { appendField(&out, "Server", serverName) }
        for field in headers {
            if isFramingField(field.name) { continue }
            appendField(&out, field.name, field.value)
        }
        switch framing {
        case .length(let n): out.append(contentsOf: "\r\nContent-Length: \(n)".utf8)
        case .chunked: out.append(contentsOf: "\r\nTransfer-Encoding: chunked".utf8)
        case .untilClose, .none: break
        }
        if let connection { appendField(&out, "Connection", connection) }
        out.append(contentsOf: "\r\n\r\n".utf8)
        return out
    }

    private static func appendField(_ out: inout [UInt8], _ name: String, _ value: String) {
        guard !name.isEmpty, name.utf8.allSatisfy(ASCII.isTChar), value.utf8.allSatisfy(ASCII.isFieldValueByte) else { return }
        out.append(ASCII.cr)
        out.append(ASCII.lf)
        out.append(contentsOf: name.utf8)
        out.append(contentsOf: ": ".utf8)
        out.append(contentsOf: value.utf8)
    }

    private static func isFramingField(_ name: String) -> Bool {
        ASCII.equalsIgnoringCase(name, "Content-Length") || ASCII.equalsIgnoringCase(name, "Transfer-Encoding")
            || ASCII.equalsIgnoringCase(name, "Connection") || ASCII.equalsIgnoringCase(name, "Date")
    }

    /// One chunk of a chunked body.
    static func chunk(_ bytes: [UInt8]) -> [UInt8] {
        var out = Array(String(bytes.count, radix: 16).utf8)
        out.reserveCapacity(out.count + bytes.count + 4)
        out.append(ASCII.cr)
        out.append(ASCII.lf)
        out.append(contentsOf: bytes)
        out.append(ASCII.cr)
        out.append(ASCII.lf)
        return out
    }

    static let lastChunk = Array("0\r\n\r\n".utf8)
    static let continueResponse = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}
