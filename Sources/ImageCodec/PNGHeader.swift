/// A PNG's header read by walking its chunks, without inflating the pixel data: IHDR gives
/// the size and layout, a tRNS before the pixel data adds the alpha channel the decoder makes
/// from it, and the walk reaching IEND shows the file is not cut short.
enum PNGHeader {
    static func probe(_ bytes: [UInt8], limits: DecodeLimits) throws(ImageCodecError) -> ImageInfo {
        var chunks = Chunks(bytes: bytes, offset: ImageCodec.pngSignature.count)
        guard let ihdr = try chunks.next(), ihdr.type == "IHDR", ihdr.length == 13 else {
            throw .corrupt("PNG does not start with a 13-byte IHDR chunk")
        }
        guard CRC32.of(bytes[(ihdr.start - 4)..<(ihdr.start + 13)]) == ihdr.crc else { throw .corrupt("IHDR: CRC error") }
        let width = bytes.bigEndian32(at: ihdr.start), height = bytes.bigEndian32(at: ihdr.start + 4)
        let depth = Int(bytes[ihdr.start + 8]), colorType = Int(bytes[ihdr.start + 9])
        // The PNG specification bounds each side by 2^31 − 1, as libpng does.
        guard width <= Int(Int32.max), height <= Int(Int32.max) else { throw .corrupt("PNG dimensions out of range") }
        try limits.check(width: width, height: height)
        let depths: [Int: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
        guard let allowed = depths[colorType], allowed.contains(depth) else {
            throw .corrupt("invalid PNG colour type \(colorType) with bit depth \(depth)")
        }
        guard bytes[ihdr.start + 10] == 0, bytes[ihdr.start + 11] == 0, bytes[ihdr.start + 12] <= 1 else {
            throw .corrupt("unknown PNG compression, filter or interlace method")
        }

        var transparency = false, palette = false, pixelData = false, paletteEntries = 0
        while let chunk = try chunks.next() {
            switch chunk.type {
            case "PLTE":
                palette = true
                // libpng keeps at most 2^depth entries of a palette image's PLTE.
                paletteEntries = colorType == 3 ? min(chunk.length / 3, 1 << depth) : chunk.length / 3
            case "tRNS" where !pixelData && !transparency:
                transparency = usableTransparency(chunk, in: bytes, colorType: colorType, paletteEntries: palette ? paletteEntries : 0)
            case "IDAT":
                if colorType == 3, !palette { throw .corrupt("missing PLTE before IDAT") }
                pixelData = true
            case "IEND":
                guard pixelData else { throw .corrupt("no image data before IEND") }
                // Gray 1, RGB and palette 3, with alpha from tRNS; gray+alpha 2 and RGBA 4 as stored.
                let base = [0: 1, 2: 3, 3: 3, 4: 2, 6: 4][colorType]!
                let channels = transparency && (colorType == 0 || colorType == 2 || colorType == 3) ? base + 1 : base
                return ImageInfo(format: .png, width: width, height: height, channels: channels, bitDepth: depth == 16 ? 16 : 8)
            default: break
            }
        }
        throw .corrupt("unexpected end of PNG data (no IEND chunk)")
    }

    /// Whether libpng turns this tRNS into an alpha channel. It ignores (with a warning) one
    /// with a bad CRC, of the wrong length for the colour type, before the palette or longer
    /// than it, and any tRNS on a layout that already has alpha; the decode then has no alpha.
    static func usableTransparency(_ chunk: Chunk, in bytes: [UInt8], colorType: Int, paletteEntries: Int) -> Bool {
        let fits = switch colorType {
        case 0: chunk.length == 2
        case 2: chunk.length == 6
        case 3: chunk.length > 0 && chunk.length <= paletteEntries
        default: false
        }
        return fits && CRC32.of(bytes[(chunk.start - 4)..<(chunk.start + chunk.length)]) == chunk.crc
    }

    /// One chunk's place in the file: its data starts at `start`.
    struct Chunk {
        var type: String
        var length: Int
        var start: Int
        var crc: UInt32
    }

    /// The chunks in file order; throws when a chunk runs past the end of the data.
    struct Chunks {
        let bytes: [UInt8]
        var offset: Int

        mutating func next() throws(ImageCodecError) -> Chunk? {
            guard offset < bytes.count else { return nil }
            guard offset + 8 <= bytes.count else { throw .corrupt("unexpected end of PNG data") }
            let length = bytes.bigEndian32(at: offset)
            guard length <= Int(Int32.max) else { throw .corrupt("PNG chunk length out of range") }
            let start = offset + 8
            guard start + length + 4 <= bytes.count else { throw .corrupt("unexpected end of PNG data") }
            let type = String(decoding: bytes[(offset + 4)..<start], as: UTF8.self)
            let crc = UInt32(bytes.bigEndian32(at: start + length))
            offset = start + length + 4
            return Chunk(type: type, length: length, start: start, crc: crc)
        }
    }
}

extension Array where Element == UInt8 {
    /// The big-endian unsigned 32-bit number at `i`.
    func bigEndian32(at i: Int) -> Int {
        Int(self[i]) << 24 | Int(self[i + 1]) << 16 | Int(self[i + 2]) << 8 | Int(self[i + 3])
    }
}

/// The CRC-32 of PNG chunks (ISO 3309, polynomial 0xEDB88320).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func of(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
