/// A complete request as handed to a handler: a value, owned by the handler.
public struct Request: Sendable {
    public var method: HTTPMethod
    /// The request-target as sent (path and query, or an absolute URI).
    public var target: String
    /// The percent-decoded path.
    public var path: String
    public var query: QueryParameters
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Trailer fields of a chunked body.
    public var trailers: HTTPHeaders
    /// Values captured by `{name}` segments of the route pattern.
    public var pathParameters: [String: String]
    /// The pattern of the route that matched, such as `/v1/jobs/{id}`; set by the router.
    public var route: String = ""
    /// The echoed or generated request ID ("" when request IDs are off).
    public var requestID: String
    /// "ip:port" of the peer.
    public var remoteAddress: String

    public init(method: HTTPMethod, target: String, path: String, query: QueryParameters = QueryParameters(),
                version: HTTPVersion = .http1_1, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
                trailers: HTTPHeaders = HTTPHeaders(), pathParameters: [String: String] = [:],
                requestID: String = "", remoteAddress: String = "") {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        self.trailers = trailers
        self.pathParameters = pathParameters
        self.requestID = requestID
        self.remoteAddress = remoteAddress
    }

    /// A `{name}` path parameter.
    public func parameter(_ name: String) -> String? { pathParameters[name] }

    /// The media type of the body, lowercased, without parameters.
    public var mediaType: String? {
        headers["Content-Type"].flatMap { HeaderParameters(parsing: $0)?.value }
    }

    /// Parses a multipart/form-data body into its parts; 415 if the body is not multipart.
    public func multipartParts(limits: MultipartLimits = MultipartLimits()) throws(HTTPError) -> [MultipartPart] {
        try MultipartFormData.parse(body: body, contentType: headers["Content-Type"], limits: limits)
    }
}
