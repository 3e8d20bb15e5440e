import Foundation

/// Sends one webhook request and says how it went. The host is resolved once; addresses
/// the policy refuses are never connected to, and the connection goes to an address that
/// was checked (no second lookup a DNS answer could change in between). Redirects are not
/// followed (a 3xx is a failure); only the status line is read, at most `maxResponseBytes`
/// of the response. Connecting takes at most `connectTimeout`, the whole request `timeout`.
struct WebhookClient: Sendable {
    var policy: AddressPolicy
    var connectTimeout: Duration
    var timeout: Duration
    var maxResponseBytes: Int
    /// For https URLs; nil: they fail.
    var tls: TLSClientContext?
    var userAgent = "dipd/\(DIPService.version)"

    /// The addresses of `target` the policy permits, in the resolver's order, or why there are none.
    func addresses(_ target: WebhookTarget) -> Result<[ResolvedAddress], ClientSocket.Failure> {
        let resolved: [ResolvedAddress]
        switch Resolver.resolve(target.host, port: target.port) {
        case .success(let found): resolved = found
        case .failure(let e): return .failure(ClientSocket.Failure(e.description))
        }
        let permitted = resolved.filter { policy.permits($0.address) }
        guard !permitted.isEmpty else {
            let list = resolved.map(\.address.description).joined(separator: ", ")
            return .failure(ClientSocket.Failure("refused: \(target.host) is \(list), not a public address (webhook_allowed_networks)"))
        }
        return .success(permitted)
    }

    func post(_ url: String, headers: [(String, String)], body: [UInt8]) -> DeliveryOutcome {
        guard let target = WebhookTarget(url) else { return .failed("not an http or https URL") }
        let start = ContinuousClock.now
        let deadline = start + timeout
        let addresses: [ResolvedAddress]
        switch self.addresses(target) {
        case .success(let a): addresses = a
        case .failure(let e): return .failed(e.description)
        }
        var lastError = "no address"
        for address in addresses {
            let socket: ClientSocket
            do {
                socket = try ClientSocket(to: address, connectDeadline: ContinuousClock.now + connectTimeout, deadline: deadline)
            } catch {
                lastError = "\(error)"
                if ContinuousClock.now >= deadline { break }
                continue
            }
            do {
                return try exchange(on: socket, target: target, headers: headers, body: body)
            } catch {
                return .failed("\(error)")
            }
        }
        return .failed(lastError)
    }

    private func exchange(on socket: ClientSocket, target: WebhookTarget, headers: [(String, String)], body: [UInt8]) throws -> DeliveryOutcome {
        if target.secure {
            guard let tls else { throw ClientSocket.Failure("https is not available") }
            try socket.startTLS(tls, host: target.host)
        }
        var head = "POST \(target.requestTarget) HTTP/1.1\r\nHost: \(target.hostHeader)\r\nUser-Agent: \(userAgent)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        try socket.write(Array(head.utf8) + body)
        var response: [UInt8] = []
        while response.count < maxResponseBytes {
            let chunk = try socket.read(max: min(4096, maxResponseBytes - response.count))
            if chunk.isEmpty { break }
            response += chunk
            if response.contains(0x0A) { break }     // the status line is all that is needed
        }
        guard let status = Self.status(response) else {
            throw ClientSocket.Failure(response.isEmpty ? "the connection closed without a response" : "the response is not HTTP/1.x")
        }
        return (200...299).contains(status) ? .delivered(status: status) : .rejected(status: status)
    }

    /// The status code of an `HTTP/1.x NNN ...` status line.
    static func status(_ response: [UInt8]) -> Int? {
        let line = response.prefix { $0 != 0x0D && $0 != 0x0A }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("HTTP/1."), text.count >= 12 else { return nil }
        let parts = text.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[1].count == 3, let code = Int(parts[1]), (100...599).contains(code) else { return nil }
        return code
    }
}
