import TestData
import Testing
import ImageCodec

/// Phones store JPEG pixels as the sensor read them and an EXIF Orientation tag; `decode` and
/// `probe` give the upright picture and its size.
@Suite("JPEG EXIF orientation")
struct JPEGOrientationTests {
    /// Where stored pixel (row r, column c) lands in the upright picture (W × H), from the tag's
    /// definition: which side of the upright picture stored row 0 and column 0 show.
    static func uprightPosition(orientation: Int, r: Int, c: Int, width w: Int, height h: Int) -> (x: Int, y: Int) {
        switch orientation {
        case 1: (c, r)                  // row 0 top,    column 0 left
        case 2: (w - 1 - c, r)          // row 0 top,    column 0 right
        case 3: (w - 1 - c, h - 1 - r)  // row 0 bottom, column 0 right
        case 4: (c, h - 1 - r)          // row 0 bottom, column 0 left
        case 5: (r, c)                  // row 0 left,   column 0 top
        case 6: (w - 1 - r, c)          // row 0 right,  column 0 top
        case 7: (w - 1 - r, h - 1 - c)  // row 0 right,  column 0 bottom
        default: (r, h - 1 - c)         // 8: row 0 left, column 0 bottom
        }
    }

    /// The stored form of the upright `pixels` (w × h) for an orientation: what a camera writes.
    static func stored(_ pixels: [UInt8], width w: Int, height h: Int, channels: Int, orientation: Int) -> (pixels: [UInt8], width: Int, height: Int) {
        let (sw, sh) = orientation >= 5 ? (h, w) : (w, h)
        var out = [UInt8](repeating: 0, count: pixels.count)
        for r in 0..<sh {
            for c in 0..<sw {
                let (x, y) = uprightPosition(orientation: orientation, r: r, c: c, width: w, height: h)
                for k in 0..<channels { out[(r * sw + c) * channels + k] = pixels[(y * w + x) * channels + k] }
            }
        }
        return (out, sw, sh)
    }

    /// The upright form of stored samples (w × h stored), by the same definition.
    static func upright(_ image: Image, orientation: Int) -> Image {
        let (w, h) = orientation >= 5 ? (image.height, image.width) : (image.width, image.height)
        var out = [Float](repeating: -1, count: image.samples.count)
        let ch = image.channels
        for r in 0..<image.height {
            for c in 0..<image.width {
                let (x, y) = uprightPosition(orientation: orientation, r: r, c: c, width: w, height: h)
                for k in 0..<ch { out[(y * w + x) * ch + k] = image.samples[(r * image.width + c) * ch + k] }
            }
        }
        return Image(width: w, height: h, channels: ch, samples: out)
    }

    /// 24×16 upright: 3 × 2 blocks of 8 × 8 in six colours (the fixtures' picture, see
    /// Tests/Data/codec/README.md). Block-aligned flat colours come through JPEG almost exactly.
    static let blocks: [[(UInt8, UInt8, UInt8)]] = [
        [(220, 40, 40), (40, 200, 60), (40, 60, 220)],
        [(230, 210, 50), (245, 245, 245), (30, 30, 30)],
    ]
    static let reference: [UInt8] = {
        var out: [UInt8] = []
        for y in 0..<16 {
            for x in 0..<24 {
                let (r, g, b) = blocks[y / 8][x / 8]
                out += [r, g, b]
            }
        }
        return out
    }()

    static func maxDifference(_ image: Image, _ pixels: [UInt8]) -> Float {
        zip(image.samples, pixels).map { abs($0 * 255 - Float($1)) }.max() ?? .infinity
    }

    @Test(arguments: 1...8)
    func eachOrientationDecodesUpright(orientation: Int) throws {
        let (pixels, sw, sh) = Self.stored(Self.reference, width: 24, height: 16, channels: 3, orientation: orientation)
        let plain = JPEGEncoder.encode(pixels, width: sw, height: sh, channels: 3)
        for bigEndian in [false, true] {
            let jpeg = JPEGEncoding.withOrientation(orientation, plain, bigEndian: bigEndian)
            let image = try ImageCodec.decode(jpeg)
            #expect(image.width == 24 && image.height == 16 && image.channels == 3)
            #expect(Self.maxDifference(image, Self.reference) <= 4, "orientation \(orientation)")
            #expect(try ImageCodec.probe(jpeg) == ImageInfo(format: .jpeg, width: 24, height: 16, channels: 3))
        }
    }

    /// Files written by another program (Pillow), checked there against its own exif_transpose.
    @Test(arguments: 1...8)
    func fixtureWrittenByPillowDecodesUpright(orientation: Int) throws {
        let jpeg = try CodecFixtures.bytes("orientation-\(orientation).jpg")
        let image = try ImageCodec.decode(jpeg)
        #expect(image.width == 24 && image.height == 16)
        #expect(Self.maxDifference(image, Self.reference) <= 4, "orientation \(orientation)")
        let info = try ImageCodec.probe(jpeg)
        #expect(info.width == 24 && info.height == 16)
    }

    /// The same stored pixels under each tag: every pixel goes exactly where the tag says, for an
    /// odd size and gray as well as colour.
    @Test(arguments: 1...8, [1, 3])
    func everyPixelMovesWhereTheTagSays(orientation: Int, channels: Int) throws {
        let (w, h) = (13, 7)
        var rng = SplitMix64(seed: UInt64(channels))
        let pixels = rng.bytes(w * h * channels)
        let plain = JPEGEncoder.encode(pixels, width: w, height: h, channels: channels)
        let asStored = try ImageCodec.decode(plain)
        let image = try ImageCodec.decode(JPEGEncoding.withOrientation(orientation, plain))
        #expect(image == Self.upright(asStored, orientation: orientation))
        let swapped = orientation >= 5
        #expect(image.width == (swapped ? h : w) && image.height == (swapped ? w : h))
    }

    @Test func probeAndLimitsUseTheUprightSize() throws {
        let plain = JPEGEncoder.encode([UInt8](repeating: 90, count: 40 * 10 * 3), width: 40, height: 10, channels: 3)
        let turned = JPEGEncoding.withOrientation(6, plain)
        #expect(try ImageCodec.probe(turned) == ImageInfo(format: .jpeg, width: 10, height: 40, channels: 3))
        // 40 wide as stored, 10 wide upright: the width limit is applied to the upright picture.
        let narrow = DecodeLimits(maxWidth: 20, maxHeight: 50, maxPixels: 400)
        #expect(try ImageCodec.decode(turned, limits: narrow).width == 10)
        #expect(try ImageCodec.probe(turned, limits: narrow).width == 10)
        #expect(throws: ImageCodecError.tooLarge(width: 40, height: 10)) { try ImageCodec.decode(plain, limits: narrow) }
        #expect(throws: ImageCodecError.tooLarge(width: 40, height: 10)) { try ImageCodec.probe(plain, limits: narrow) }
        let wide = DecodeLimits(maxWidth: 50, maxHeight: 20, maxPixels: 400)
        #expect(throws: ImageCodecError.tooLarge(width: 10, height: 40)) { try ImageCodec.decode(turned, limits: wide) }
        #expect(throws: ImageCodecError.tooLarge(width: 10, height: 40)) { try ImageCodec.probe(turned, limits: wide) }
    }

    @Test func orientationStoredAsLongAndAmongOtherSegmentsIsRead() throws {
        let plain = JPEGEncoder.encode(Self.stored(Self.reference, width: 24, height: 16, channels: 3, orientation: 8).pixels,
                                        width: 16, height: 24, channels: 3)
        let long = ExifPayload(orientation: 8, bigEndian: true, orientationType: 4).build()
        let xmp = Array("http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>".utf8)
        let jpeg = JPEGEncoding.inserting([(0xE1, xmp), (0xE1, long), (0xFE, Array("comment".utf8))], into: plain)
        let image = try ImageCodec.decode(jpeg)
        #expect(image.width == 24 && Self.maxDifference(image, Self.reference) <= 4)
        // Only the first EXIF segment counts.
        let second = JPEGEncoding.inserting([(0xE1, ExifPayload(orientation: 1).build())], into: jpeg)
        #expect(try ImageCodec.decode(second).width == 16)
    }

    /// Damaged or hostile EXIF data is ignored: the picture is decoded as stored (orientation 1).
    @Test func damagedExifIsIgnored() throws {
        let (w, h) = (13, 7)
        var rng = SplitMix64(seed: 5)
        let plain = JPEGEncoder.encode(rng.bytes(w * h * 3), width: w, height: h, channels: 3)
        let asStored = try ImageCodec.decode(plain)
        let good = ExifPayload(orientation: 6).build()
        let goodBE = ExifPayload(orientation: 6, bigEndian: true).build()
        var cases: [(String, [UInt8])] = []
        // Cut short anywhere up to the end of IFD0's entries (payload byte 14 + 2 + 4 × 12 = 64),
        // in both byte orders. Cut after them, only other tags' data is lost, and the tag stands.
        let entriesEnd = 64
        for length in 0..<entriesEnd { cases.append(("cut at \(length)", Array(good.prefix(length)))) }
        for length in 0..<entriesEnd { cases.append(("big-endian cut at \(length)", Array(goodBE.prefix(length)))) }
        for length in entriesEnd..<good.count {
            let jpeg = JPEGEncoding.inserting([(0xE1, Array(good.prefix(length)))], into: plain)
            #expect(try ImageCodec.decode(jpeg) == Self.upright(asStored, orientation: 6), "cut at \(length)")
        }
        func patched(_ payload: [UInt8], _ at: Int, _ bytes: [UInt8]) -> [UInt8] {
            var p = payload
            p.replaceSubrange(at..<(at + bytes.count), with: bytes)
            return p
        }
        // Offsets count from the TIFF header at payload byte 6; IFD0 at TIFF offset 8 (byte 14).
        // Orientation is the third entry: 14 + 2 + 2 × 12 = byte 40; its type at 42, count 44, value 48.
        #expect(good[40] == 0x12 && good[41] == 0x01)
        cases += [
            ("unknown byte order", patched(good, 6, Array("IM".utf8))),
            ("not TIFF (magic 43)", patched(good, 8, [43, 0])),
            ("IFD outside the segment", patched(good, 10, [0xF0, 0xFF, 0xFF, 0xFF])),
            ("IFD at the segment's last byte", patched(good, 10, [UInt8(good.count - 7), 0, 0, 0])),
            ("entry count past the end", patched(good, 14, [0xFF, 0xFF])),
            ("value 0", patched(good, 48, [0, 0])),
            ("value 9", patched(good, 48, [9, 0])),
            ("value 65535", patched(good, 48, [0xFF, 0xFF])),
            ("value 6 in the high half", patched(good, 48, [0, 6])),
            ("type ASCII", patched(good, 42, [2, 0])),
            ("type unknown", patched(good, 42, [0xFF, 0xFF])),
            ("count 0", patched(good, 44, [0, 0, 0, 0])),
            ("no orientation entry", ExifPayload(orientation: nil).build()),
            ("not EXIF", Array("Exif\0X".utf8) + good.dropFirst(6)),
            ("signature only", Array("Exif\0\0".utf8)),
        ]
        for (name, payload) in cases {
            let jpeg = JPEGEncoding.inserting([(0xE1, payload)], into: plain)
            let image = try ImageCodec.decode(jpeg)
            #expect(image == asStored, "\(name)")
            #expect(try ImageCodec.probe(jpeg).width == w, "\(name)")
        }
    }

    /// Random bytes in the EXIF segment, and random changes to a good one, never trap; whatever
    /// orientation results, the decode keeps the pixel count and agrees with the probe.
    @Test func randomExifNeverCrashes() throws {
        let plain = JPEGEncoder.encode([UInt8](repeating: 128, count: 9 * 5), width: 9, height: 5, channels: 1)
        let good = ExifPayload(orientation: 7, bigEndian: true).build()
        var rng = SplitMix64(seed: 21)
        for i in 0..<400 {
            var payload: [UInt8]
            if i % 2 == 0 {
                payload = Array("Exif\0\0".utf8) + (i % 4 == 0 ? Array("MM\0*".utf8) : Array("II*\0".utf8))
                    + rng.bytes(Int.random(in: 0...80, using: &rng))
            } else {
                payload = good
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    payload[Int.random(in: 6..<payload.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            let jpeg = JPEGEncoding.inserting([(0xE1, payload)], into: plain)
            let image = try ImageCodec.decode(jpeg)
            let info = try ImageCodec.probe(jpeg)
            #expect(image.width * image.height == 45 && [5, 9].contains(image.width), "case \(i)")
            #expect(info.width == image.width && info.height == image.height, "case \(i)")
        }
    }

    /// An EXIF segment whose length runs past the end of the file leaves a broken JPEG: refused.
    @Test func exifSegmentRunningPastTheEndIsAnError() {
        let plain = JPEGEncoder.encode([UInt8](repeating: 128, count: 64), width: 8, height: 8, channels: 1)
        let exif = JPEGEncoding.segment(0xE1, ExifPayload(orientation: 6).build())
        for cut in [6, 20, exif.count - 1] {
            let jpeg = Array(plain.prefix(2)) + exif.prefix(cut)
            #expect(throws: ImageCodecError.self, "cut at \(cut)") { try ImageCodec.decode(jpeg) }
            #expect(throws: ImageCodecError.self, "cut at \(cut)") { try ImageCodec.probe(jpeg) }
        }
    }
}
