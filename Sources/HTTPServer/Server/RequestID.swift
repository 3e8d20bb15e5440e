/// Request IDs: a client's (or proxy's) ID is kept when it is short and harmless,
/// so logs across services line up; otherwise a random one is made.
enum RequestID {
    static func accept(_ incoming: String?) -> String {
        if let incoming, (1...128).contains(incoming.utf8.count), incoming.utf8.allSatisfy(isSafe) {
            return incoming
        }
        return generate()
    }

    static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        let hex = String(rng.next() as UInt64, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    private static func isSafe(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "-_.:/+=@".utf8.contains(c)
        }
    }
}
