import Testing
import ImageCodec

/// 16-bit PNGs: the decoder and the probe say so (`bitDepth`), and the encoder can write them
/// back without losing a level (`encodePNG(_:bitDepth: 16)`).
@Suite("PNG bit depth")
struct PNGBitDepthTests {
    static func random16(width: Int, height: Int, channels: Int, seed: UInt64) -> Image {
        var rng = SplitMix64(seed: seed)
        let samples = (0..<(width * height * channels)).map { _ in Float(UInt16.random(in: 0...65535, using: &rng)) / 65535 }
        return Image(width: width, height: height, channels: channels, samples: samples, bitDepth: 16)
    }

    /// The chunk types of a PNG, in order.
    static func chunkTypes(_ png: [UInt8]) -> [String] {
        var types: [String] = [], offset = 8
        while offset + 8 <= png.count {
            let length = Int(png[offset]) << 24 | Int(png[offset + 1]) << 16 | Int(png[offset + 2]) << 8 | Int(png[offset + 3])
            types.append(String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self))
            offset += 12 + length
        }
        return types
    }

    @Test(arguments: [1, 2, 3, 4])
    func sixteenBitRoundTripIsExact(channels: Int) throws {
        let image = Self.random16(width: 37, height: 11, channels: channels, seed: UInt64(channels))
        let png = try ImageCodec.encodePNG(image, bitDepth: 16)
        #expect(png[24] == 16)   // IHDR bit depth
        #expect(png[25] == [1: 0, 2: 4, 3: 2, 4: 6][channels])
        let back = try ImageCodec.decode(png)
        #expect(back == image)
        #expect(back.bitDepth == 16)
        #expect(try ImageCodec.probe(png) == ImageInfo(format: .png, width: 37, height: 11, channels: channels, bitDepth: 16))
    }

    @Test func everySixteenBitLevelSurvives() throws {
        let samples = (0..<65536).map { Float($0) / 65535 }
        let image = Image(width: 256, height: 256, channels: 1, samples: samples, bitDepth: 16)
        #expect(try ImageCodec.decode(ImageCodec.encodePNG(image, bitDepth: 16)).samples == samples)
    }

    /// A decoded 16-bit file written back at its own depth is the same picture; at 8 bits each
    /// sample goes to the nearest of 256 levels.
    @Test func decodedSixteenBitFileKeepsItsPrecision() throws {
        let stored: [UInt16] = [0, 1, 257, 32767, 32768, 65534, 65535, 12345, 54321, 100, 200, 300]
        let png = PNGBuilder(width: 2, height: 2, bitDepth: 16, colorType: .rgb, samples: stored).build()
        let image = try ImageCodec.decode(png)
        #expect(image.bitDepth == 16)
        #expect(try ImageCodec.probe(png).bitDepth == 16)
        let again = try ImageCodec.decode(ImageCodec.encodePNG(image, bitDepth: image.bitDepth))
        #expect(again == image)
        let eight = try ImageCodec.decode(ImageCodec.encodePNG(image))
        #expect(eight.bitDepth == 8)
        #expect(eight.samples == stored.map { Float((Double($0) / 257).rounded()) / 255 })
    }

    @Test func otherFilesReportEightBits() throws {
        let cases: [[UInt8]] = [
            PNGBuilder(width: 2, height: 1, bitDepth: 8, colorType: .rgb, samples: [1, 2, 3, 4, 5, 6]).build(),
            PNGBuilder(width: 2, height: 1, bitDepth: 1, colorType: .gray, samples: [0, 1]).build(),
            PNGBuilder(width: 2, height: 1, bitDepth: 4, colorType: .palette, samples: [0, 1], palette: [1, 2, 3, 4, 5, 6]).build(),
            JPEGBuilder(width: 8, height: 8, components: 3).build(),
        ]
        for bytes in cases {
            #expect(try ImageCodec.decode(bytes).bitDepth == 8)
            #expect(try ImageCodec.probe(bytes).bitDepth == 8)
        }
        #expect(Image(width: 1, height: 1, channels: 1, samples: [0]).bitDepth == 8)
        #expect(try ImageCodec.decode(PNGBuilder(width: 1, height: 1, bitDepth: 16, colorType: .gray, samples: [9]).build())
            .converted(toChannels: 3).bitDepth == 16)
    }

    /// The default is the 8-bit encoder as it always was, whatever the image's own depth.
    @Test func eightBitEncodingIsUnchanged() throws {
        let image = PNGEncodeTests.randomImage(width: 19, height: 7, channels: 3, seed: 4)
        let png = try ImageCodec.encodePNG(image)
        #expect(try ImageCodec.encodePNG(image, bitDepth: 8) == png)
        var tagged = image
        tagged.bitDepth = 16
        #expect(try ImageCodec.encodePNG(tagged) == png)
        #expect(png[24] == 8)
        #expect(try ImageCodec.decode(png) == image)
    }

    /// Both depths mark the file sRGB in the same way and carry no gamma of their own.
    @Test func sixteenBitFileHasTheEightBitFilesChunks() throws {
        let image = Self.random16(width: 5, height: 3, channels: 4, seed: 9)
        #expect(Self.chunkTypes(try ImageCodec.encodePNG(image, bitDepth: 16)) == Self.chunkTypes(try ImageCodec.encodePNG(image)))
        #expect(Self.chunkTypes(try ImageCodec.encodePNG(image, bitDepth: 16)).contains("sRGB"))
    }

    @Test func sixteenBitSamplesAreClampedAndRounded() throws {
        let values: [Float] = [-1, 0, 0.4 / 65535, 0.6 / 65535, 0.5, 1, 2, .nan, .infinity, -.infinity, 65534.4 / 65535]
        let image = Image(width: values.count, height: 1, channels: 1, samples: values)
        let decoded = try ImageCodec.decode(ImageCodec.encodePNG(image, bitDepth: 16))
        let expected: [Float] = [0, 0, 0, 1, 32768, 65535, 65535, 0, 65535, 0, 65534].map { $0 / 65535 }
        #expect(decoded.samples == expected)
    }

    @Test(arguments: [0, 1, 4, 12, 32])
    func otherBitDepthsAreRefused(bitDepth: Int) {
        let image = Image(width: 1, height: 1, channels: 1, samples: [0.5])
        #expect(throws: ImageCodecError.invalidImage("PNG bit depth must be 8 or 16, got \(bitDepth)")) {
            try ImageCodec.encodePNG(image, bitDepth: bitDepth)
        }
    }

    @Test func inconsistentImagesAreRejectedAtSixteenBits() {
        let bad = Image(width: 2, height: 2, channels: 3, samples: [Float](repeating: 0, count: 11))
        let error = #expect(throws: ImageCodecError.self) { try ImageCodec.encodePNG(bad, bitDepth: 16) }
        if case .invalidImage = error {} else { Issue.record("expected invalidImage, got \(String(describing: error))") }
    }
}
