/// Builds PNG files byte by byte (stored zlib blocks, filter type 0), covering every colour type,
/// bit depth and Adam7 interlacing without external tools or fixture files.
struct PNGBuilder {
    enum ColorType: UInt8, CaseIterable, Sendable {
        case gray = 0, rgb = 2, palette = 3, grayAlpha = 4, rgba = 6

        /// Samples per pixel as stored in the file.
        var storedChannels: Int {
            switch self {
            case .gray, .palette: 1
            case .grayAlpha: 2
            case .rgb: 3
            case .rgba: 4
            }
        }
    }

    var width: Int
    var height: Int
    var bitDepth: Int
    var colorType: ColorType
    /// Stored samples, H×W×storedChannels, row-major (palette indices for `.palette`).
    var samples: [UInt16]
    var palette: [UInt8] = []      // RGB triplets
    var transparency: [UInt8]? = nil   // raw tRNS chunk payload
    var gamma: UInt32? = nil       // gAMA value ×100000
    var interlaced = false

    func build() -> [UInt8] {
        var out = PNGBuilder.signature
        out += PNGBuilder.chunk("IHDR", PNGBuilder.ihdr(width: width, height: height, bitDepth: bitDepth,
                                                      colorType: colorType.rawValue, interlaced: interlaced))
        if let gamma {
            var g: [UInt8] = []
            g.appendBigEndian(gamma)
            out += PNGBuilder.chunk("gAMA", g)
        }
        if !palette.isEmpty { out += PNGBuilder.chunk("PLTE", palette) }
        if let transparency { out += PNGBuilder.chunk("tRNS", transparency) }
        out += PNGBuilder.chunk("IDAT", PNGBuilder.zlibStored(scanlines()))
        out += PNGBuilder.chunk("IEND", [])
        return out
    }

    /// Filtered scanlines (filter byte 0) for the whole image or each Adam7 pass in turn.
    func scanlines() -> [UInt8] {
        let passes: [(x0: Int, y0: Int, dx: Int, dy: Int)] = interlaced
            ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            : [(0, 0, 1, 1)]
        var out: [UInt8] = []
        for pass in passes {
            let xs = Array(stride(from: pass.x0, to: width, by: pass.dx))
            let ys = Array(stride(from: pass.y0, to: height, by: pass.dy))
            if xs.isEmpty || ys.isEmpty { continue }   // empty passes have no scanlines at all
            for y in ys {
                out.append(0)
                var values: [UInt16] = []
                for x in xs {
                    let base = (y * width + x) * colorType.storedChannels
                    values += samples[base..<base + colorType.storedChannels]
                }
                out += PNGBuilder.pack(values, bitDepth: bitDepth)
            }
        }
        return out
    }

    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    static func pack(_ values: [UInt16], bitDepth: Int) -> [UInt8] {
        switch bitDepth {
        case 16:
            var out: [UInt8] = []
            for v in values { out.appendBigEndian(v) }
            return out
        case 8:
            return values.map { UInt8($0) }
        default:   // 1, 2, 4: most significant bits first, last byte zero-padded
            let perByte = 8 / bitDepth
            var out = [UInt8](repeating: 0, count: (values.count + perByte - 1) / perByte)
            for (i, v) in values.enumerated() {
                let shift = 8 - bitDepth * (i % perByte + 1)
                out[i / perByte] |= UInt8(v) << shift
            }
            return out
        }
    }

    static func ihdr(width: Int, height: Int, bitDepth: Int, colorType: UInt8, interlaced: Bool = false) -> [UInt8] {
        var d: [UInt8] = []
        d.appendBigEndian(UInt32(width))
        d.appendBigEndian(UInt32(height))
        d += [UInt8(bitDepth), colorType, 0, 0, interlaced ? 1 : 0]
        return d
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        var out: [UInt8] = []
        out.appendBigEndian(UInt32(data.count))
        out += typeBytes + data
        out.appendBigEndian(Checksums.crc32(typeBytes + data))
        return out
    }

    /// A zlib stream of uncompressed (stored) deflate blocks.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let n = min(65535, data.count - offset)
            let last: UInt8 = offset + n == data.count ? 1 : 0
            out += [last, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += data[offset..<offset + n]
            offset += n
        } while offset < data.count
        out.appendBigEndian(Checksums.adler32(data))
        return out
    }
}
