import Testing
import ImageCodec

@Suite("PNG encoding")
struct PNGEncodeTests {
    static func randomImage(width: Int, height: Int, channels: Int, seed: UInt64) -> Image {
        var rng = SplitMix64(seed: seed)
        let samples = (0..<(width * height * channels)).map { _ in Float(UInt8.random(in: 0...255, using: &rng)) / 255 }
        return Image(width: width, height: height, channels: channels, samples: samples)
    }

    @Test(arguments: [1, 2, 3, 4], [(1, 1), (2, 3), (37, 5), (64, 64)])
    func roundTripOf8BitImagesIsExact(channels: Int, size: (Int, Int)) throws {
        let image = Self.randomImage(width: size.0, height: size.1, channels: channels, seed: UInt64(channels * 1000 + size.0))
        let png = try ImageCodec.encodePNG(image)
        #expect(ImageCodec.sniff(png) == .png)
        #expect(try ImageCodec.decode(png) == image)
    }

    @Test(arguments: [1, 2, 3, 4])
    func writesEightBitWithMatchingColourType(channels: Int) throws {
        let png = try ImageCodec.encodePNG(Self.randomImage(width: 3, height: 2, channels: channels, seed: 5))
        // IHDR data starts at byte 16: width(4) height(4) bit depth, colour type.
        let colourType: [Int: UInt8] = [1: 0, 2: 4, 3: 2, 4: 6]
        #expect(png[24] == 8)
        #expect(png[25] == colourType[channels])
        #expect(png[28] == 0)   // not interlaced
    }

    @Test func samplesAreClampedAndRounded() throws {
        let values: [Float] = [-1, 0, 0.5 / 255 - 1e-4, 0.5 / 255 + 1e-4, 0.5, 1, 2, .nan, .infinity, -.infinity, 254.4 / 255, 254.6 / 255]
        let image = Image(width: values.count, height: 1, channels: 1, samples: values)
        let decoded = try ImageCodec.decode(ImageCodec.encodePNG(image))
        let expected: [Float] = [0, 0, 0, 1, 128, 255, 255, 0, 255, 0, 254, 255].map { $0 / 255 }
        #expect(decoded.samples == expected)
    }

    @Test func inconsistentImagesAreRejected() {
        let bad: [Image] = [
            Image(width: 2, height: 2, channels: 0, samples: []),
            Image(width: 2, height: 2, channels: 5, samples: [Float](repeating: 0, count: 20)),
            Image(width: 2, height: 2, channels: 3, samples: [Float](repeating: 0, count: 11)),
            Image(width: 0, height: 2, channels: 1, samples: []),
            Image(width: 2, height: -1, channels: 1, samples: []),
            Image(width: Int.max / 2, height: 4, channels: 4, samples: []),
        ]
        for image in bad {
            let error = #expect(throws: ImageCodecError.self) { try ImageCodec.encodePNG(image) }
            if case .invalidImage = error {} else { Issue.record("expected invalidImage, got \(String(describing: error))") }
        }
    }

    @Test func incompressibleLargeImageEncodes() throws {
        // Random data does not compress, exercising the worst-case output buffer size.
        let image = Self.randomImage(width: 257, height: 131, channels: 4, seed: 11)
        let png = try ImageCodec.encodePNG(image)
        #expect(png.count > 257 * 131 * 4)
        #expect(try ImageCodec.decode(png) == image)
    }
}
