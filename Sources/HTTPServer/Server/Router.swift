/// A handler runs on Swift's cooperative pool with its own copy of the request; the
/// connection waits for the response on its own queue, so no state is shared.
public typealias Handler = @Sendable (Request) async throws -> Response

/// Method + path routing with `{name}` parameters, per-route body limits, 404 and 405.
public struct Router: Sendable {
    struct Route: Sendable {
        let method: HTTPMethod
        let pattern: PathPattern
        let bodyLimit: Int?
        let handler: Handler
    }

    enum Resolution {
        case found(Route, parameters: [String: String])
        case methodNotAllowed(allow: [String])
        case notFound
    }

    private var routes: [Route] = []

    public init() {}

    /// Registers `handler` for `method` on `path`. `bodyLimit` overrides the server's default.
    public mutating func on(_ method: HTTPMethod, _ path: String, bodyLimit: Int? = nil, _ handler: @escaping Handler) {
        routes.append(Route(method: method, pattern: PathPattern(path), bodyLimit: bodyLimit, handler: handler))
    }

    public mutating func get(_ path: String, _ handler: @escaping Handler) { on(.get, path, handler) }
    public mutating func post(_ path: String, bodyLimit: Int? = nil, _ handler: @escaping Handler) {
        on(.post, path, bodyLimit: bodyLimit, handler)
    }
    public mutating func put(_ path: String, bodyLimit: Int? = nil, _ handler: @escaping Handler) {
        on(.put, path, bodyLimit: bodyLimit, handler)
    }
    public mutating func patch(_ path: String, bodyLimit: Int? = nil, _ handler: @escaping Handler) {
        on(.patch, path, bodyLimit: bodyLimit, handler)
    }
    public mutating func delete(_ path: String, _ handler: @escaping Handler) { on(.delete, path, handler) }

    /// HEAD falls back to the GET route (the body is dropped when sending).
    func resolve(method: HTTPMethod, segments: [String]) -> Resolution {
        var allowed: [String] = []
        var getMatch: (Route, [String: String])?
        for route in routes {
            guard let params = route.pattern.match(segments) else { continue }
            if route.method == method { return .found(route, parameters: params) }
            if route.method == .get && getMatch == nil { getMatch = (route, params) }
            if !allowed.contains(route.method.rawValue) { allowed.append(route.method.rawValue) }
        }
        if method == .head, let (route, params) = getMatch { return .found(route, parameters: params) }
        if allowed.isEmpty { return .notFound }
        if allowed.contains("GET") && !allowed.contains("HEAD") { allowed.append("HEAD") }
        return .methodNotAllowed(allow: allowed)
    }

    /// Splits a request-target into decoded path segments and query; nil for bad escapes or dot-segments.
    static func splitTarget(_ target: String) -> (path: String, segments: [String], query: QueryParameters)? {
        var rest = Substring(target)
        if !rest.hasPrefix("/") {
            // absolute-form: drop "scheme://authority"
            guard let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") else { return nil }
            rest = rest[rest.index(colon, offsetBy: 3)...]
            rest = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
        }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let rawPath: Substring, rawQuery: Substring
        if let q = rest.firstIndex(of: "?") {
            rawPath = rest[..<q]
            rawQuery = rest[rest.index(after: q)...]
        } else {
            rawPath = rest
            rawQuery = ""
        }
        guard rawPath.hasPrefix("/") else { return nil }
        var segments: [String] = []
        for raw in rawPath.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            guard let s = PercentDecoding.decode(raw), s != ".", s != "..", !s.utf8.contains(0) else { return nil }
            segments.append(s)
        }
        guard let path = PercentDecoding.decode(rawPath), let query = QueryParameters(parsing: rawQuery) else { return nil }
        return (path, segments, query)
    }
}
