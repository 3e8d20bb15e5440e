import HTTPServer

extension CORSMiddleware {
    /// CORS for the configured origins, with the headers a web frontend of this API sends
    /// and needs to read.
    static func service(_ configuration: ServiceConfiguration) -> CORSMiddleware {
        CORSMiddleware(allowedOrigins: configuration.corsAllowedOrigins,
                       allowedHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID", "Prefer", "X-Request-ID"],
                       exposedHeaders: ["Location", "ETag", "Retry-After", "X-Request-ID", "Preference-Applied"],
                       maxAgeSeconds: 600)
    }
}
