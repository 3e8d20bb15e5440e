import Testing
import ImageCodec

/// `ImageCodec.probe` reads what the decoder would return for size and layout from the header
/// alone, and refuses from the header what the decoder refuses.
@Suite("image probe")
struct ProbeTests {
    static func png(_ type: PNGBuilder.ColorType, depth: Int = 8, palette: [UInt8] = [], transparency: [UInt8]? = nil) -> [UInt8] {
        PNGBuilder(width: 3, height: 2, bitDepth: depth, colorType: type,
                   samples: [UInt16](repeating: 0, count: 6 * type.storedChannels),
                   palette: palette, transparency: transparency).build()
    }

    @Test func pngLayoutsGiveTheDecodersChannels() throws {
        let cases: [([UInt8], Int)] = [
            (Self.png(.gray), 1), (Self.png(.gray, depth: 1), 1), (Self.png(.gray, depth: 16), 1),
            (Self.png(.gray, transparency: [0, 0]), 2), (Self.png(.grayAlpha), 2),
            (Self.png(.rgb), 3), (Self.png(.rgb, transparency: [0, 0, 0, 0, 0, 0]), 4), (Self.png(.rgba, depth: 16), 4),
            (Self.png(.palette, palette: [1, 2, 3]), 3), (Self.png(.palette, palette: [1, 2, 3], transparency: [0]), 4),
        ]
        for (bytes, channels) in cases {
            let info = try ImageCodec.probe(bytes)
            let image = try ImageCodec.decode(bytes)
            #expect(info == ImageInfo(format: .png, width: 3, height: 2, channels: channels, bitDepth: image.bitDepth))
            #expect(info.channels == image.channels && info.hasAlpha == image.hasAlpha)
        }
    }

    /// libpng ignores a tRNS it finds unusable, and the decode then has no alpha; the probe must agree.
    @Test func pngTransparencyLibpngIgnoresAddsNoAlpha() throws {
        var badCRC = Self.png(.gray, transparency: [0, 0])
        let at = try #require(badCRC.firstRange(of: Array("tRNS".utf8))).upperBound + 2
        badCRC[at] ^= 0xFF
        let cases: [([UInt8], Int)] = [
            (badCRC, 1), (Self.png(.gray, transparency: [0]), 1), (Self.png(.rgb, transparency: [0, 0]), 3),
            (Self.png(.palette, palette: [1, 2, 3], transparency: [0, 0]), 3),
        ]
        for (bytes, channels) in cases {
            #expect(try ImageCodec.decode(bytes).channels == channels)
            #expect(try ImageCodec.probe(bytes).channels == channels)
        }
    }

    @Test func jpegFrameHeaderGivesSizeAndChannels() throws {
        for components in [1, 3] {
            let bytes = JPEGBuilder(width: 17, height: 9, components: components).build()
            #expect(try ImageCodec.probe(bytes) == ImageInfo(format: .jpeg, width: 17, height: 9, channels: components))
            #expect(try ImageCodec.decode(bytes).channels == components)
        }
        let demo = try DemoData.bytes("denoising/snail.jpg")
        let image = try ImageCodec.decode(demo), info = try ImageCodec.probe(demo)
        #expect(info.width == image.width && info.height == image.height && info.channels == image.channels)
    }

    /// libjpeg takes an APP0 segment with a length under 2 as one without data and reads on;
    /// the probe and the decoder's frame-header check must find the frame header after it.
    @Test func jpegSegmentWithLengthUnderTwoIsSkippedAsLibjpegSkipsIt() throws {
        let plain = JPEGBuilder(width: 17, height: 9, components: 3).build()
        let bytes: [UInt8] = Array(plain.prefix(2)) + [0xFF, 0xE0, 0x00, 0x00] + Array(plain.dropFirst(2))
        #expect(try ImageCodec.decode(bytes).width == 17)
        #expect(try ImageCodec.probe(bytes) == ImageInfo(format: .jpeg, width: 17, height: 9, channels: 3))
    }

    @Test func hostileDimensionsAreRefusedAsTheDecoderRefusesThem() {
        let huge = PNGHostileInputTests.claimingSize(width: 100_000, height: 100_000)
        #expect(throws: ImageCodecError.tooLarge(width: 100_000, height: 100_000)) { try ImageCodec.probe(huge) }
        let limits = DecodeLimits(maxWidth: 100, maxHeight: 100, maxPixels: 100)
        #expect(throws: ImageCodecError.tooLarge(width: 11, height: 10)) {
            try ImageCodec.probe(PNGHostileInputTests.claimingSize(width: 11, height: 10), limits: limits)
        }
        #expect(throws: ImageCodecError.tooLarge(width: 60_000, height: 60_000)) {
            try ImageCodec.probe(JPEGBuilder(width: 60_000, height: 60_000).build())
        }
        #expect(throws: ImageCodecError.corrupt("image has zero width or height (0×5)")) {
            try ImageCodec.probe(PNGHostileInputTests.claimingSize(width: 0, height: 5))
        }
    }

    @Test func filesCutShortAreRefused() throws {
        for bytes in [Self.png(.rgb), JPEGBuilder(width: 16, height: 16, components: 3).build(), try DemoData.bytes("denoising/snail.jpg")] {
            for length in [bytes.count - 1, bytes.count / 2, 12] {
                #expect(throws: ImageCodecError.self, "\(length) of \(bytes.count)") { try ImageCodec.probe(Array(bytes.prefix(length))) }
            }
        }
        #expect(throws: ImageCodecError.empty) { try ImageCodec.probe([]) }
        #expect(throws: ImageCodecError.unsupportedFormat) { try ImageCodec.probe(Array("GIF89a".utf8)) }
    }

    @Test func brokenHeadersAreRefused() {
        var badCRC = Self.png(.rgb)
        badCRC[8 + 8 + 5] ^= 1      // a bit of the IHDR width
        #expect(throws: ImageCodecError.corrupt("IHDR: CRC error")) { try ImageCodec.probe(badCRC) }
        let badDepth = PNGBuilder.signature + PNGBuilder.chunk("IHDR", PNGBuilder.ihdr(width: 2, height: 2, bitDepth: 4, colorType: 2))
            + PNGBuilder.chunk("IDAT", PNGBuilder.zlibStored([0])) + PNGBuilder.chunk("IEND", [])
        #expect(throws: ImageCodecError.self) { try ImageCodec.probe(badDepth) }
        #expect(throws: ImageCodecError.unsupportedEncoding("12-bit JPEG")) {
            try ImageCodec.probe(JPEGBuilder(width: 8, height: 8, precision: 12).build())
        }
        #expect(throws: ImageCodecError.unsupportedEncoding("JPEG with 2 components")) {
            try ImageCodec.probe(JPEGBuilder(width: 8, height: 8, components: 2).build())
        }
    }

    /// The probe stops short of the pixel data: damage inside it is the decoder's to find.
    @Test func damagedPixelDataPassesTheProbeAndFailsTheDecode() throws {
        let garbage = PNGBuilder.signature + PNGBuilder.chunk("IHDR", PNGBuilder.ihdr(width: 4, height: 4, bitDepth: 8, colorType: 2))
            + PNGBuilder.chunk("IDAT", [0x78, 0x9C, 0xFF, 0xFF, 0xFF, 0x13, 0x37]) + PNGBuilder.chunk("IEND", [])
        #expect(try ImageCodec.probe(garbage) == ImageInfo(format: .png, width: 4, height: 4, channels: 3))
        #expect(throws: ImageCodecError.self) { try ImageCodec.decode(garbage) }
    }
}
