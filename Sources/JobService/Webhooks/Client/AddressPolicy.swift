/// Which addresses a webhook may be sent to: global unicast ones, and those of the networks
/// the operator allows (`webhook_allowed_networks`: a receiver on the same host or network).
/// Everything else — loopback, private, link-local (cloud metadata services live there),
/// unspecified, multicast, documentation and other special-purpose ranges — is refused, so
/// that a job's submitter cannot make the service call into the network it runs in.
struct AddressPolicy: Sendable {
    var allowed: [IPNetwork]

    init(allowed: [IPNetwork] = []) { self.allowed = allowed }

    func permits(_ address: IPAddress) -> Bool {
        Self.isGlobal(address) || allowed.contains { $0.contains(address) }
    }

    /// Not in any special-purpose range of the IANA registries (RFC 6890 and its updates).
    static func isGlobal(_ address: IPAddress) -> Bool {
        if let v4 = address.mappedIPv4 { return isGlobal(v4) }
        let ranges = address.isIPv4 ? nonGlobalIPv4 : nonGlobalIPv6
        return !ranges.contains { $0.contains(address) }
    }

    static let nonGlobalIPv4: [IPNetwork] = [
        "0.0.0.0/8",        // "this network", unspecified
        "10.0.0.0/8",       // private
        "100.64.0.0/10",    // carrier-grade NAT
        "127.0.0.0/8",      // loopback
        "169.254.0.0/16",   // link-local, cloud metadata
        "172.16.0.0/12",    // private
        "192.0.0.0/24",     // IETF protocol assignments
        "192.0.2.0/24",     // documentation
        "192.88.99.0/24",   // 6to4 relay anycast
        "192.168.0.0/16",   // private
        "198.18.0.0/15",    // benchmarking
        "198.51.100.0/24",  // documentation
        "203.0.113.0/24",   // documentation
        "224.0.0.0/4",      // multicast
        "240.0.0.0/4",      // reserved, broadcast
    ].compactMap(IPNetwork.init)

    static let nonGlobalIPv6: [IPNetwork] = [
        "::/128",           // unspecified
        "::1/128",          // loopback
        "::/96",            // IPv4-compatible (deprecated)
        "64:ff9b::/96",     // NAT64: reaches IPv4 addresses, private ones too
        "64:ff9b:1::/48",   // local NAT64
        "100::/64",         // discard
        "2001::/23",        // IETF protocol assignments (Teredo among them)
        "2001:db8::/32",    // documentation
        "2002::/16",        // 6to4: carries an IPv4 address of any kind
        "fc00::/7",         // unique local
        "fe80::/10",        // link-local
        "fec0::/10",        // site-local (deprecated)
        "ff00::/8",         // multicast
    ].compactMap(IPNetwork.init)
}
