/// Request IDs: a client's (or proxy's) ID is kept when it is short and harmless,
/// so logs across services line up; otherwise a random one is made.
enum RequestID {
    static func accept(_ incoming: String?, generator: inout Generator) -> String {
        if let incoming, (1...128).contains(incoming.utf8.count), incoming.utf8.allSatisfy(isSafe) {
            return incoming
        }
        return generator.next()
    }

    /// IDs need to be unique, not secret: a SplitMix64 stream per connection, seeded once
    /// from the system generator, avoids a getrandom call per request.
    struct Generator {
        private var state: UInt64 = {
            var system = SystemRandomNumberGenerator()
            return system.next()
        }()

        mutating func next() -> String {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            let hex = String(z, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }
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
