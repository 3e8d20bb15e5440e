import COpenSSL

/// A job's identifier: 128 bits from OpenSSL's CSPRNG, written as 26 characters of
/// lowercase base32 (RFC 4648 alphabet, no padding). Unguessable, so knowing one job's
/// ID says nothing of another's; and checked character by character before it is ever
/// used in a file path.
public struct JobID: Hashable, Sendable, CustomStringConvertible, Codable {
    public let rawValue: String
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    /// nil unless `string` is exactly 26 characters of [a-z2-7] whose padding bits are zero.
    public init?(_ string: String) {
        let u = Array(string.utf8)
        guard u.count == 26, u.allSatisfy({ Self.alphabet.contains($0) }) else { return nil }
        // 26 × 5 = 130 bits: the last character carries 3 data bits and 2 zero bits.
        guard let last = Self.alphabet.firstIndex(of: u[25]), last & 0b11 == 0 else { return nil }
        rawValue = string
    }

    public static func random() -> JobID {
        var bytes = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&bytes, 16) == 1 else { fatalError("OpenSSL RAND_bytes failed: no secure randomness") }
        return JobID(bytes: bytes)
    }

    init(bytes: [UInt8]) {
        precondition(bytes.count == 16)
        var out: [UInt8] = []
        var buffer = 0, bits = 0
        for b in bytes {
            buffer = buffer << 8 | Int(b); bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(Self.alphabet[(buffer >> bits) & 31])
            }
        }
        out.append(Self.alphabet[(buffer << (5 - bits)) & 31])
        rawValue = String(decoding: out, as: UTF8.self)
    }

    public var description: String { rawValue }

    public init(from decoder: Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let id = JobID(s) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a job id: \(s)"))
        }
        self = id
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer(); try c.encode(rawValue)
    }
}
