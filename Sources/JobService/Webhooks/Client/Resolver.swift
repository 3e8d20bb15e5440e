import Glibc

/// A resolved address to connect to: the socket address as the system gave it, and the
/// address it holds (what the policy checked).
struct ResolvedAddress: Sendable {
    var address: IPAddress
    var storage: sockaddr_storage
    var length: socklen_t
}

enum Resolver {
    /// The host's addresses (a literal gives itself) for TCP on `port`, in the system's order.
    static func resolve(_ host: String, port: Int) -> Result<[ResolvedAddress], ResolveError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else { return .failure(ResolveError(host: host, reason: String(cString: gai_strerror(status)))) }
        defer { freeaddrinfo(list) }
        var found: [ResolvedAddress] = []
        var next = list
        while let info = next {
            defer { next = info.pointee.ai_next }
            guard let sa = info.pointee.ai_addr, let ip = IPAddress(sa) else { continue }
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { dst in
                dst.copyMemory(from: UnsafeRawBufferPointer(start: sa, count: Int(info.pointee.ai_addrlen)))
            }
            found.append(ResolvedAddress(address: ip, storage: storage, length: info.pointee.ai_addrlen))
        }
        return found.isEmpty ? .failure(ResolveError(host: host, reason: "no address")) : .success(found)
    }

    struct ResolveError: Error, CustomStringConvertible {
        var host: String, reason: String
        var description: String { "\(host) cannot be resolved: \(reason)" }
    }
}
