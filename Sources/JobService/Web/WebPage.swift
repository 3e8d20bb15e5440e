import HTTPServer

/// The web page at `/` and its assets under `/ui/`, served from the bytes embedded at
/// build time from `web/` (`WebAssets`). The page only
/// calls the public API; this type knows nothing of jobs.
enum WebPage {
    static let routes = ["/", "/ui/{file}"]
    /// The one asset the service makes rather than embeds: the job event names.
    static let eventKindsFile = "event-kinds.js"

    /// Only the page's own files may run or style it, and it may talk only to this
    /// origin: uploaded images are shown through blob URLs, never as markup.
    static let contentSecurityPolicy = "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; "
        + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    @Sendable static func serve(_ request: Request) async throws -> Response {
        let name = request.parameter("file") ?? "index.html"
        guard let asset = name == eventKindsFile ? JobEventKind.javaScriptModule : WebAssets.files[name] else {
            throw APIError.pageAssetNotFound
        }
        var response = Response.bytes(Array(asset.utf8), contentType: contentType(name))
        response.headers.add(name: "Content-Security-Policy", value: contentSecurityPolicy)
        response.headers.add(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.add(name: "Referrer-Policy", value: "no-referrer")
        response.headers.add(name: "X-Frame-Options", value: "DENY")
        // Revalidated on every load, so a new binary's page is never mixed with old assets.
        response.headers.add(name: "Cache-Control", value: "no-cache")
        return response
    }

    static func contentType(_ name: String) -> String {
        if name.hasSuffix(".html") { return "text/html; charset=utf-8" }
        if name.hasSuffix(".css") { return "text/css; charset=utf-8" }
        if name.hasSuffix(".js") { return "text/javascript; charset=utf-8" }
        return "application/octet-stream"
    }
}
