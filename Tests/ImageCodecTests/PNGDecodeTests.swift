import Testing
import ImageCodec

@Suite("PNG decoding")
struct PNGDecodeTests {
    /// Deterministic stored samples for a colour type and depth, spanning the full range.
    static func samples(_ type: PNGBuilder.ColorType, bitDepth: Int, width: Int, height: Int, seed: UInt64) -> [UInt16] {
        var rng = SplitMix64(seed: seed)
        let maxValue = UInt16((1 << bitDepth) - 1)
        var values = (0..<(width * height * type.storedChannels)).map { _ in UInt16.random(in: 0...maxValue, using: &rng) }
        values[0] = 0
        values[values.count - 1] = maxValue
        return values
    }

    @Test(arguments: [PNGBuilder.ColorType.gray, .grayAlpha, .rgb, .rgba], [8, 16])
    func directColourTypesKeepChannelsAndExactValues(type: PNGBuilder.ColorType, bitDepth: Int) throws {
        let (w, h) = (7, 5)
        let stored = Self.samples(type, bitDepth: bitDepth, width: w, height: h, seed: UInt64(type.rawValue) * 100 + UInt64(bitDepth))
        // A gAMA chunk must not change anything: samples are taken as stored, with no gamma conversion.
        let png = PNGBuilder(width: w, height: h, bitDepth: bitDepth, colorType: type, samples: stored, gamma: 45455).build()
        let image = try ImageCodec.decode(png)
        let scale: Float = bitDepth == 16 ? 65535 : 255
        #expect(image.width == w && image.height == h)
        #expect(image.channels == type.storedChannels)
        #expect(image.samples == stored.map { Float($0) / scale })
    }

    @Test func sixteenBitValuesAreNotGammaConvertedOrPremultiplied() throws {
        // Values where gamma handling or premultiplication would visibly move the result.
        let stored: [UInt16] = [1000, 32768, 30000, 1000, 50000, 65535, 1, 0]
        let png = PNGBuilder(width: 4, height: 1, bitDepth: 16, colorType: .grayAlpha, samples: stored, gamma: 45455).build()
        let image = try ImageCodec.decode(png)
        #expect(image.samples == stored.map { Float($0) / 65535 })
    }

    @Test(arguments: [1, 2, 4])
    func lowBitDepthGrayScalesToFullRange(bitDepth: Int) throws {
        let maxValue = (1 << bitDepth) - 1
        let stored = (0..<(9 * 3)).map { UInt16($0 % (maxValue + 1)) }
        let png = PNGBuilder(width: 9, height: 3, bitDepth: bitDepth, colorType: .gray, samples: stored).build()
        let image = try ImageCodec.decode(png)
        #expect(image.channels == 1)
        // libpng replicates the bits (1 → 255, 0b10 → 170, 0x7 → 119), so each level maps to v/maxValue.
        #expect(image.samples == stored.map { Float(Int($0) * (255 / maxValue)) / 255 })
    }

    static let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]

    @Test func paletteWithoutTransparencyBecomesRGB() throws {
        let indices: [UInt16] = [0, 1, 2, 3, 3, 2]
        let png = PNGBuilder(width: 3, height: 2, bitDepth: 8, colorType: .palette, samples: indices,
                             palette: Self.palette).build()
        let image = try ImageCodec.decode(png)
        #expect(image.channels == 3)
        let expected = indices.flatMap { i in Self.palette[Int(i) * 3..<Int(i) * 3 + 3].map { Float($0) / 255 } }
        #expect(image.samples == expected)
    }

    @Test(arguments: [1, 2, 4, 8])
    func paletteWithTransparencyBecomesRGBA(bitDepth: Int) throws {
        // A 1-bit file can only address entries 0 and 1.
        let indices = ([0, 1, 2, 3, 3, 2, 1, 0] as [UInt16]).map { $0 % UInt16(1 << bitDepth) }
        // tRNS shorter than the palette: entries without an alpha value are opaque.
        let alpha: [UInt8] = [0, 128]
        let png = PNGBuilder(width: 4, height: 2, bitDepth: bitDepth, colorType: .palette, samples: indices,
                             palette: Self.palette, transparency: alpha).build()
        let image = try ImageCodec.decode(png)
        #expect(image.channels == 4)
        #expect(image.hasAlpha)
        let expected = indices.flatMap { i -> [Float] in
            let rgb = Self.palette[Int(i) * 3..<Int(i) * 3 + 3].map { Float($0) / 255 }
            return rgb + [Int(i) < alpha.count ? Float(alpha[Int(i)]) / 255 : 1]
        }
        #expect(image.samples == expected)
    }

    @Test func colourKeyTransparencyBecomesAlpha() throws {
        // Gray 8-bit with tRNS key 50: exactly those pixels get alpha 0.
        let gray: [UInt16] = [50, 51, 0, 50]
        let grayPNG = PNGBuilder(width: 2, height: 2, bitDepth: 8, colorType: .gray, samples: gray,
                                 transparency: [0, 50]).build()
        let g = try ImageCodec.decode(grayPNG)
        #expect(g.channels == 2)
        #expect(g.samples == [50, 0, 51, 255, 0, 255, 50, 0].map { Float($0) / 255 })

        // RGB 16-bit with a key colour.
        let rgb: [UInt16] = [1, 2, 3, 1, 2, 4]
        let rgbPNG = PNGBuilder(width: 2, height: 1, bitDepth: 16, colorType: .rgb, samples: rgb,
                                transparency: [0, 1, 0, 2, 0, 3]).build()
        let c = try ImageCodec.decode(rgbPNG)
        #expect(c.channels == 4)
        #expect(c.samples == [1, 2, 3, 0, 1, 2, 4, 65535].map { Float($0) / 65535 })
    }

    @Test(arguments: [PNGBuilder.ColorType.gray, .rgba], [(1, 1), (3, 2), (9, 13), (17, 8)])
    func interlacedMatchesNonInterlaced(type: PNGBuilder.ColorType, size: (Int, Int)) throws {
        let (w, h) = size
        let stored = Self.samples(type, bitDepth: 8, width: w, height: h, seed: 7)
        var builder = PNGBuilder(width: w, height: h, bitDepth: 8, colorType: type, samples: stored)
        let plain = try ImageCodec.decode(builder.build())
        builder.interlaced = true
        let interlaced = try ImageCodec.decode(builder.build())
        #expect(interlaced == plain)
        #expect(plain.samples == stored.map { Float($0) / 255 })
    }

    @Test func largerImageSpanningSeveralZlibBlocks() throws {
        let (w, h) = (300, 120)   // 108,120 bytes of scanlines: two stored blocks
        let stored = Self.samples(.rgb, bitDepth: 8, width: w, height: h, seed: 3)
        let image = try ImageCodec.decode(PNGBuilder(width: w, height: h, bitDepth: 8, colorType: .rgb, samples: stored).build())
        #expect(image.width == w && image.height == h && image.channels == 3)
        #expect(image.samples == stored.map { Float($0) / 255 })
    }
}
