/// Integer ↔ float sample conversions shared by the decoders and the encoder.
enum SampleConversion {
    /// v/255 for every byte value, so decoding is a table lookup with exactly rounded results.
    static let unit8: [Float] = (0...255).map { Float($0) / 255 }

    static func from8(_ bytes: [UInt8]) -> [Float] {
        unit8.withUnsafeBufferPointer { table in
            bytes.map { table[Int($0)] }
        }
    }

    /// PNG stores 16-bit samples big-endian; each becomes v/65535.
    static func fromBigEndian16(_ bytes: [UInt8]) -> [Float] {
        let count = bytes.count / 2
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            bytes.withUnsafeBufferPointer { src in
                for i in 0..<count {
                    let v = UInt16(src[2 * i]) << 8 | UInt16(src[2 * i + 1])
                    out[i] = Float(v) / 65535
                }
            }
            initialized = count
        }
    }

    /// Clamps to [0, 1] and rounds to the nearest byte; NaN maps to 0 rather than trapping.
    @inline(__always)
    static func to8(_ x: Float) -> UInt8 {
        guard x > 0 else { return 0 }   // also catches NaN
        guard x < 1 else { return 255 }
        return UInt8((x * 255).rounded())
    }

    /// Clamps to [0, 1] and rounds to the nearest of 65536 levels; NaN maps to 0. Exact for
    /// samples decoded from 16-bit data (k/65535 as Float comes back to k).
    @inline(__always)
    static func to16(_ x: Float) -> UInt16 {
        guard x > 0 else { return 0 }   // also catches NaN
        guard x < 1 else { return 65535 }
        return UInt16((x * 65535).rounded())
    }
}
