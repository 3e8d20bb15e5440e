import Foundation

/// A webhook URL taken apart for the client: whether it is TLS, the host to resolve (an
/// IPv6 literal without its brackets), the port, and the request-target.
struct WebhookTarget: Equatable, Sendable {
    var secure: Bool
    var host: String
    var port: Int
    /// Path and query, as written (at least `/`).
    var requestTarget: String

    init?(_ url: String) {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
              scheme == "http" || scheme == "https", var host = parts.host, !host.isEmpty else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        secure = scheme == "https"
        self.host = host
        port = parts.port ?? (secure ? 443 : 80)
        let path = parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath
        requestTarget = path + (parts.percentEncodedQuery.map { "?" + $0 } ?? "")
    }

    /// The `Host` header: the name, and the port when it is not the scheme's.
    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
    }
}
