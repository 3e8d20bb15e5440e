import HTTPServer

/// The client's address: the peer, or the last untrusted hop of `X-Forwarded-For` when
/// the peer is a trusted proxy.
enum ClientAddress {
    static func of(_ request: Request, trusted: [String]) -> String {
        let peer = host(request.remoteAddress)
        guard trusted.contains(peer), let forwarded = request.headers["X-Forwarded-For"] else { return peer }
        let hops = forwarded.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return hops.last(where: { !trusted.contains($0) }) ?? hops.first ?? peer
    }

    /// "1.2.3.4:5678" → "1.2.3.4"; "[::1]:5678" → "::1".
    static func host(_ address: String) -> String {
        if address.hasPrefix("["), let end = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<end])
        }
        if address.filter({ $0 == ":" }).count == 1, let colon = address.lastIndex(of: ":") { return String(address[..<colon]) }
        return address
    }
}
