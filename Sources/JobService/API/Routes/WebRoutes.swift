import HTTPServer

/// The web page and its assets: public, like `/openapi.yaml`; what the page calls is behind the key.
struct WebRoutes: Sendable {
    func register(on router: inout Router) {
        for path in WebPage.routes { router.get(path, WebPage.serve) }
    }
}
