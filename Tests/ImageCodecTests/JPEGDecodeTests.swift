import Testing
import ImageCodec

@Suite("JPEG decoding")
struct JPEGDecodeTests {
    static let midGray = Float(128) / 255

    @Test func grayscaleJPEGGivesOneChannel() throws {
        let image = try ImageCodec.decode(JPEGBuilder(width: 16, height: 9).build())
        #expect(image.width == 16 && image.height == 9 && image.channels == 1)
        #expect(image.samples.allSatisfy { $0 == Self.midGray })
    }

    @Test func colourJPEGGivesThreeChannels() throws {
        let image = try ImageCodec.decode(JPEGBuilder(width: 10, height: 17, components: 3).build())
        #expect(image.width == 10 && image.height == 17 && image.channels == 3)
        #expect(image.samples.count == 10 * 17 * 3)
        #expect(image.samples.allSatisfy { $0 == Self.midGray })
    }

    /// Every component is flat 128. Plain CMYK (no Adobe segment): C = K = 128 ink, so
    /// R = 127·127/255 ≈ 63. Adobe CMYK: stored inverted, R = 128·128/255 ≈ 64. Adobe YCCK: the
    /// YCC part is gray 128, so C = 255 − 128 as stored, and R = 127·128/255 ≈ 64.
    @Test(arguments: [(UInt8?.none, 63), (0, 64), (2, 64)])
    func cmykAndYCCKBecomeRGB(adobeTransform: UInt8?, level: Int) throws {
        let jpeg = JPEGBuilder(width: 8, height: 5, components: 4, adobeTransform: adobeTransform).build()
        let image = try ImageCodec.decode(jpeg)
        #expect(image.width == 8 && image.height == 5 && image.channels == 3)
        #expect(image.samples.allSatisfy { $0 == Float(level) / 255 })
        #expect(try ImageCodec.probe(jpeg) == ImageInfo(format: .jpeg, width: 8, height: 5, channels: 3))
    }

    @Test func otherUnsupportedVariantsAreReportedAsSuch() {
        let variants = [
            JPEGBuilder(width: 8, height: 8, precision: 12, sofMarker: 0xC1),   // 12-bit extended
            JPEGBuilder(width: 8, height: 8, sofMarker: 0xC3),                  // lossless
            JPEGBuilder(width: 8, height: 8, components: 2),
        ]
        for builder in variants {
            let error = #expect(throws: ImageCodecError.self) { try ImageCodec.decode(builder.build()) }
            if case .unsupportedEncoding = error {} else { Issue.record("\(builder): got \(String(describing: error))") }
        }
    }
}
