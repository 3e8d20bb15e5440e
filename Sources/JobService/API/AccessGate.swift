import HTTPServer

/// The API key check and CORS. The key is compared in constant time; CORS headers are
/// added only for allowed origins, and name the headers a web frontend needs to read.
struct AccessGate: Sendable {
    let apiKey: [UInt8]?
    let origins: [String]

    init(configuration: ServiceConfiguration) {
        apiKey = configuration.apiKey.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        origins = configuration.corsAllowedOrigins
    }

    func authorize(_ request: Request) throws(HTTPError) {
        guard let apiKey else { return }
        let given = request.headers["Authorization"].flatMap { value -> [UInt8]? in
            let parts = value.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
            return Array(parts[1].utf8)
        }
        guard let given, Self.constantTimeEqual(given, apiKey) else {
            throw HTTPError(.unauthorized, code: "unauthorized", message: "this service needs Authorization: Bearer <API key>",
                            headers: ["WWW-Authenticate": #"Bearer realm="dipd""#])
        }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return diff == 0
    }

    private func allowedOrigin(_ request: Request) -> String? {
        guard !origins.isEmpty, let origin = request.headers["Origin"] else { return nil }
        if origins.contains("*") { return "*" }
        return origins.contains(origin) ? origin : nil
    }

    func addCORS(to response: inout Response, for request: Request) {
        guard let origin = allowedOrigin(request) else { return }
        response.headers.replaceOrAdd(name: "Access-Control-Allow-Origin", value: origin)
        if origin != "*" { response.headers.add(name: "Vary", value: "Origin") }
        response.headers.replaceOrAdd(name: "Access-Control-Expose-Headers", value: "Location, ETag, Retry-After, X-Request-ID, Preference-Applied")
    }

    func preflight(_ request: Request) -> Response {
        var response = Response(status: .noContent)
        guard let origin = allowedOrigin(request) else { return response }
        response.headers.add(name: "Access-Control-Allow-Origin", value: origin)
        if origin != "*" { response.headers.add(name: "Vary", value: "Origin") }
        response.headers.add(name: "Access-Control-Allow-Methods", value: "GET, HEAD, POST, DELETE, OPTIONS")
        response.headers.add(name: "Access-Control-Allow-Headers",
                             value: "Authorization, Content-Type, Idempotency-Key, Last-Event-ID, Prefer, X-Request-ID")
        response.headers.add(name: "Access-Control-Max-Age", value: "600")
        return response
    }
}

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
