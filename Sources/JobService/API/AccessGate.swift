import HTTPServer

/// The API key check. The key is compared in constant time, so that the time a wrong key
/// takes to refuse tells nothing of the right one.
struct AccessGate: Sendable {
    let apiKey: [UInt8]?

    init(configuration: ServiceConfiguration) {
        apiKey = configuration.apiKey.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
    }

    func authorize(_ request: Request) throws(APIError) {
        guard let apiKey else { return }
        let given = request.headers["Authorization"].flatMap { value -> [UInt8]? in
            let parts = value.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
            return Array(parts[1].utf8)
        }
        guard let given, Self.constantTimeEqual(given, apiKey) else { throw .unauthorized }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return diff == 0
    }
}
