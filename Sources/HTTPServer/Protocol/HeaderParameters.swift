/// A header value of the form `type/subtype; name=value; name="quoted value"` (RFC 9110 §5.6.6),
/// as used by Content-Type and Content-Disposition.
public struct HeaderParameters: Sendable, Equatable {
    /// The part before the first ';', lowercased (e.g. "multipart/form-data", "form-data").
    public var value: String
    /// Parameter names lowercased; values unquoted.
    public var parameters: [String: String]

    public subscript(name: String) -> String? { parameters[name.lowercased()] }

    /// Returns nil for a malformed parameter list (unterminated quote, missing '=', bad name).
    public init?(parsing header: String) {
        let bytes = Array(header.utf8)
        var i = 0
        func skipOWS() { while i < bytes.count, ASCII.isWhitespace(bytes[i]) { i += 1 } }

        skipOWS()
        let valueStart = i
        while i < bytes.count, bytes[i] != ASCII.semicolon { i += 1 }
        value = String(decoding: ASCII.trimmed(bytes[valueStart..<i]), as: UTF8.self).lowercased()
        parameters = [:]

        while i < bytes.count {
            // At ';'
            i += 1
            skipOWS()
            if i == bytes.count { break }        // trailing ';'
            if bytes[i] == ASCII.semicolon { continue }
            let nameStart = i
            while i < bytes.count, ASCII.isTChar(bytes[i]) { i += 1 }
            guard i > nameStart else { return nil }
            let name = String(decoding: bytes[nameStart..<i], as: UTF8.self).lowercased()
            skipOWS()
            guard i < bytes.count, bytes[i] == ASCII.equals else { return nil }
            i += 1
            skipOWS()
            var parsed: [UInt8] = []
            if i < bytes.count, bytes[i] == ASCII.quote {
                i += 1
                var closed = false
                while i < bytes.count {
                    let c = bytes[i]
                    if c == ASCII.quote { closed = true; i += 1; break }
                    if c == ASCII.backslash, i + 1 < bytes.count { parsed.append(bytes[i + 1]); i += 2; continue }
                    parsed.append(c)
                    i += 1
                }
                guard closed else { return nil }
            } else {
                let start = i
                while i < bytes.count, ASCII.isTChar(bytes[i]) { i += 1 }
                parsed = Array(bytes[start..<i])
            }
            skipOWS()
            guard i == bytes.count || bytes[i] == ASCII.semicolon else { return nil }
            if parameters[name] == nil { parameters[name] = String(decoding: parsed, as: UTF8.self) }
        }
    }
}
