/// A handler runs on Swift's cooperative pool with its own copy of the request; the
/// connection waits for the response on its own queue, so no state is shared.
public typealias Handler = @Sendable (Request) async throws -> Response

/// Method + path routing with `{name}` parameters, per-route body limits, middleware,
/// 404, 405 and OPTIONS.
///
/// Middleware added with `use(_:)` wraps every route of the router, whether registered
/// before or after it; the first one added runs outermost. An OPTIONS request for a path
/// that has routes but no OPTIONS route of its own is answered with 204 and `Allow`,
/// through the same middleware (this is what `CORSMiddleware` answers preflights from).
public struct Router: Sendable {
    struct Route: Sendable {
        let method: HTTPMethod
        let pattern: PathPattern
        let bodyLimit: Int?
        /// The handler as registered.
        let endpoint: Handler
        /// The endpoint behind the router's middleware: what the connection runs.
        let handler: Handler
    }

    enum Resolution {
        case found(Route, parameters: [String: String])
        case methodNotAllowed(allow: [String])
        case notFound
    }

    private var routes: [Route] = []
    private var middleware: [any Middleware] = []

    public init() {}

    /// Registers `handler` for `method` on `path`. `bodyLimit` overrides the server's default.
    public mutating func on(_ method: HTTPMethod, _ path: String, bodyLimit: Int? = nil, _ handler: @escaping Handler) {
        let pattern = PathPattern(path)
        routes.append(Route(method: method, pattern: pattern, bodyLimit: bodyLimit, endpoint: handler,
                            handler: chain(pattern, handler)))
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

    /// Adds `middleware` inside those added before: it wraps every route, old and new.
    public mutating func use(_ middleware: some Middleware) {
        self.middleware.append(middleware)
        routes = routes.map { r in
            Route(method: r.method, pattern: r.pattern, bodyLimit: r.bodyLimit, endpoint: r.endpoint,
                  handler: chain(r.pattern, r.endpoint))
        }
    }

    /// The methods a path (percent-encoded, as in a request) has routes for, HEAD with GET,
    /// in registration order; empty when no route matches the path.
    public func methods(for path: String) -> [HTTPMethod] {
        guard let (_, segments, _) = Self.splitTarget(path) else { return [] }
        return allowed(segments).map { HTTPMethod($0) }
    }

    /// HEAD falls back to the GET route (the body is dropped when sending); OPTIONS falls
    /// back to an answer listing the path's methods.
    func resolve(method: HTTPMethod, segments: [String]) -> Resolution {
        var getMatch: (Route, [String: String])?
        var firstMatch: (Route, [String: String])?
        for route in routes {
            guard let params = route.pattern.match(segments) else { continue }
            if route.method == method { return .found(route, parameters: params) }
            if route.method == .get && getMatch == nil { getMatch = (route, params) }
            if firstMatch == nil { firstMatch = (route, params) }
        }
        if method == .head, let (route, params) = getMatch { return .found(route, parameters: params) }
        guard let (matched, params) = firstMatch else { return .notFound }
        let allow = allowed(segments)
        if method == .options { return .found(optionsRoute(matched.pattern, allow: allow), parameters: params) }
        return .methodNotAllowed(allow: allow)
    }

    private func allowed(_ segments: [String]) -> [String] {
        var allow: [String] = []
        for route in routes where route.pattern.match(segments) != nil && !allow.contains(route.method.rawValue) {
            allow.append(route.method.rawValue)
        }
        if allow.contains("GET") && !allow.contains("HEAD") { allow.append("HEAD") }
        return allow
    }

    private func optionsRoute(_ pattern: PathPattern, allow: [String]) -> Route {
        let value = (allow + (allow.contains("OPTIONS") ? [] : ["OPTIONS"])).joined(separator: ", ")
        let endpoint: Handler = { _ in Response(status: .noContent, headers: ["Allow": value]) }
        return Route(method: .options, pattern: pattern, bodyLimit: nil, endpoint: endpoint, handler: chain(pattern, endpoint))
    }

    /// The endpoint behind the middleware, with the request told which route it matched.
    private func chain(_ pattern: PathPattern, _ endpoint: @escaping Handler) -> Handler {
        let inner = middleware.reversed().reduce(endpoint) { next, m in
            { request in try await m.handle(request, next: next) }
        }
        let route = pattern.description
        return { request in
            var request = request
            request.route = route
            return try await inner(request)
        }
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
