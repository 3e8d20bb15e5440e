/// Percent-decoding for paths and query strings (RFC 3986 §2.1).
public enum PercentDecoding {
    /// Decodes `%XX` escapes; with `plusAsSpace` also '+' (form encoding, query strings only).
    /// Returns nil for a malformed escape or bytes that are not UTF-8.
    public static func decode<S: StringProtocol>(_ s: S, plusAsSpace: Bool = false) -> String? {
        guard s.utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }) else {
            return String(s)
        }
        let utf8 = Array(s.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let c = utf8[i]
            if c == UInt8(ascii: "%") {
                guard i + 2 < utf8.count, let h = ASCII.hexValue(utf8[i + 1]), let l = ASCII.hexValue(utf8[i + 2]) else {
                    return nil
                }
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(plusAsSpace && c == UInt8(ascii: "+") ? ASCII.space : c)
                i += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }
}
