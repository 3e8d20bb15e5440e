import TestData
import Testing
import ImageCodec

/// CMYK and YCCK JPEGs are converted to RGB: R = (1 − C)(1 − K) and so on, with values taken as
/// stored inverted when an Adobe APP14 segment is present (as Adobe's applications, libjpeg and
/// Pillow write them), as plain ink amounts otherwise.
@Suite("JPEG CMYK and YCCK")
struct JPEGCMYKTests {
    /// Ink amounts (0 none, 255 full) of the 4 × 2 blocks of 8 × 8 in Tests/Data/codec/cmyk.jpg:
    /// the top row is Pillow's RGB → CMYK of four colours (K = 0), the bottom row uses black ink.
    static let inks: [[(c: Int, m: Int, y: Int, k: Int)]] = [
        [(55, 205, 205, 0), (205, 75, 185, 0), (195, 185, 45, 0), (15, 35, 195, 0)],
        [(0, 0, 0, 128), (100, 0, 50, 64), (0, 150, 200, 30), (255, 255, 255, 255)],
    ]

    /// The 32×16 picture's pixels, one value per sample, from a block's ink amounts.
    static func picture(samples: Int, _ value: ((c: Int, m: Int, y: Int, k: Int)) -> [Int]) -> [Int] {
        var out: [Int] = []
        for y in 0..<16 {
            for x in 0..<32 { out += value(inks[y / 8][x / 8]) }
        }
        precondition(out.count == 32 * 16 * samples)
        return out
    }

    /// The RGB the ink amounts stand for: (255 − C)(255 − K)/255...
    static let expectedRGB = picture(samples: 3) { ink in
        [ink.c, ink.m, ink.y].map { Int((Double((255 - $0) * (255 - ink.k)) / 255).rounded()) }
    }

    static func maxDifference(_ image: Image, _ expected: [Int]) -> Float {
        zip(image.samples, expected).map { abs($0 * 255 - Float($1)) }.max() ?? .infinity
    }

    static func segments(of jpeg: [UInt8]) -> [(marker: UInt8, range: Range<Int>)] {
        var out: [(UInt8, Range<Int>)] = []
        var i = 2
        while i + 4 <= jpeg.count, jpeg[i] == 0xFF, jpeg[i + 1] != 0xDA {
            let length = Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3])
            out.append((jpeg[i + 1], i..<(i + 2 + length)))
            i += 2 + length
        }
        return out
    }

    @Test func pillowCMYKFileDecodesToItsRGB() throws {
        let jpeg = try CodecFixtures.bytes("cmyk.jpg")
        let image = try ImageCodec.decode(jpeg)
        #expect(image.width == 32 && image.height == 16 && image.channels == 3 && image.bitDepth == 8)
        #expect(Self.maxDifference(image, Self.expectedRGB) <= 4)
        #expect(try ImageCodec.probe(jpeg) == ImageInfo(format: .jpeg, width: 32, height: 16, channels: 3, bitDepth: 8))
    }

    /// Without the Adobe segment the same stored values are ink amounts, so the picture inverts:
    /// stored 255 − C now reads as C, and R = C·K/255.
    @Test func withoutAdobeSegmentValuesAreInkAmounts() throws {
        var jpeg = try CodecFixtures.bytes("cmyk.jpg")
        let adobe = try #require(Self.segments(of: jpeg).first { $0.marker == 0xEE })
        jpeg.removeSubrange(adobe.range)
        let image = try ImageCodec.decode(jpeg)
        let expected = Self.picture(samples: 3) { ink in
            [ink.c, ink.m, ink.y].map { Int((Double($0 * ink.k) / 255).rounded()) }
        }
        #expect(image.channels == 3 && Self.maxDifference(image, expected) <= 4)
    }

    /// TurboJPEG writes CMYK pixels as YCCK with an Adobe segment, taking them as given: the
    /// pixels handed to it are the inverted values that segment stands for.
    @Test func ycckDecodesToRGB() throws {
        let stored = Self.picture(samples: 4) { ink in [ink.c, ink.m, ink.y, ink.k].map { 255 - $0 } }
        let jpeg = JPEGEncoder.encode(stored.map { UInt8($0) }, width: 32, height: 16, channels: 4)
        let adobe = try #require(Self.segments(of: jpeg).first { $0.marker == 0xEE })
        #expect(jpeg[adobe.range.upperBound - 1] == 2)   // transform 2: YCCK
        let image = try ImageCodec.decode(jpeg)
        #expect(image.width == 32 && image.height == 16 && image.channels == 3)
        #expect(Self.maxDifference(image, Self.expectedRGB) <= 4)
        #expect(try ImageCodec.probe(jpeg).channels == 3)
    }

    @Test func cmykWithOrientationIsTurnedToo() throws {
        let jpeg = JPEGEncoding.withOrientation(6, try CodecFixtures.bytes("cmyk.jpg"))
        let image = try ImageCodec.decode(jpeg)
        #expect(image.width == 16 && image.height == 32 && image.channels == 3)
        #expect(try ImageCodec.probe(jpeg) == ImageInfo(format: .jpeg, width: 16, height: 32, channels: 3))
        // Upright pixel (x, y) of a picture stored turned for orientation 6 is stored (row 15 − x, column y).
        let stored = try ImageCodec.decode(CodecFixtures.bytes("cmyk.jpg"))
        for (x, y) in [(0, 0), (15, 0), (3, 31), (10, 20)] {
            let up = (y * 16 + x) * 3, st = ((15 - x) * 32 + y) * 3
            #expect(Array(image.samples[up..<up + 3]) == Array(stored.samples[st..<st + 3]))
        }
    }
}
