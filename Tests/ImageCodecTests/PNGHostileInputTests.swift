import Testing
import ImageCodec

@Suite("PNG hostile input")
struct PNGHostileInputTests {
    static let small: [UInt8] = PNGBuilder(width: 5, height: 4, bitDepth: 8, colorType: .rgb,
                                           samples: (0..<60).map { UInt16($0 * 4) }).build()

    static func isCorrupt(_ error: ImageCodecError) -> Bool {
        if case .corrupt = error { return true }
        return false
    }

    /// A file whose IHDR claims the given size, followed by a tiny IDAT: decoding must stop at the header.
    static func claimingSize(width: Int, height: Int) -> [UInt8] {
        PNGBuilder.signature
            + PNGBuilder.chunk("IHDR", PNGBuilder.ihdr(width: width, height: height, bitDepth: 8, colorType: 2))
            + PNGBuilder.chunk("IDAT", PNGBuilder.zlibStored([0, 1, 2, 3]))
            + PNGBuilder.chunk("IEND", [])
    }

    @Test func hugeClaimedDimensionsAreRejectedBeforeAllocation() {
        let png = Self.claimingSize(width: 100_000, height: 100_000)
        #expect(png.count < 100)
        #expect(throws: ImageCodecError.tooLarge(width: 100_000, height: 100_000)) { try ImageCodec.decode(png) }
        // Within the per-side limits but over the pixel budget.
        #expect(throws: ImageCodecError.tooLarge(width: 16000, height: 16000)) {
            try ImageCodec.decode(Self.claimingSize(width: 16000, height: 16000))
        }
    }

    /// A text chunk claiming far more bytes than the file holds is refused before libpng,
    /// which would allocate what the chunk claims.
    @Test func chunkLongerThanTheFileIsRejectedBeforeAllocation() {
        var png = PNGBuilder.signature + PNGBuilder.chunk("IHDR", PNGBuilder.ihdr(width: 4, height: 4, bitDepth: 8, colorType: 2))
        png += [0x74, 0x00, 0x00, 0x00] + Array("zTXt".utf8) + Array("Title".utf8) + [0, 0, 0x78, 0x9C, 1, 2, 3, 4]
        let error = #expect(throws: ImageCodecError.self) { try ImageCodec.decode(png) }
        #expect(error.map(Self.isCorrupt) == true)
    }

    @Test func callerLimitsAreApplied() throws {
        let limits = DecodeLimits(maxWidth: 4, maxHeight: 100, maxPixels: 1000)
        #expect(throws: ImageCodecError.tooLarge(width: 5, height: 4)) { try ImageCodec.decode(Self.small, limits: limits) }
        let pixels = DecodeLimits(maxWidth: 100, maxHeight: 100, maxPixels: 19)
        #expect(throws: ImageCodecError.tooLarge(width: 5, height: 4)) { try ImageCodec.decode(Self.small, limits: pixels) }
        let exact = DecodeLimits(maxWidth: 5, maxHeight: 4, maxPixels: 20)
        #expect(try ImageCodec.decode(Self.small, limits: exact).width == 5)
    }

    @Test(arguments: [(0, 4), (4, 0), (0, 0)])
    func zeroWidthOrHeightIsRejected(size: (Int, Int)) {
        let error = #expect(throws: ImageCodecError.self) { try ImageCodec.decode(Self.claimingSize(width: size.0, height: size.1)) }
        #expect(error.map(Self.isCorrupt) == true)
    }

    @Test func truncationAtEveryOffsetFails() {
        #expect(throws: Never.self) { try ImageCodec.decode(Self.small) }
        for length in 1..<Self.small.count {
            let cut = Array(Self.small.prefix(length))
            let error = #expect(throws: ImageCodecError.self, "cut at \(length)") { try ImageCodec.decode(cut) }
            // Up to 7 bytes the signature is incomplete, so the data is not recognised as PNG at all.
            let expectedKind = length < 8 ? error == .unsupportedFormat : error.map(Self.isCorrupt) == true
            #expect(expectedKind, "cut at \(length): \(String(describing: error))")
        }
    }

    @Test func badChunkCRCFails() {
        // Flip one bit in the data of each critical chunk (IHDR at 16, IDAT data at 41).
        for offset in [16, 20, 41, 50] {
            var png = Self.small
            png[offset] ^= 0x01
            let error = #expect(throws: ImageCodecError.self, "offset \(offset)") { try ImageCodec.decode(png) }
            #expect(error.map(Self.isCorrupt) == true)
        }
    }

    @Test func corruptZlibDataFails() {
        let rows = PNGBuilder(width: 5, height: 4, bitDepth: 8, colorType: .rgb, samples: [UInt16](repeating: 9, count: 60)).scanlines()
        var badHeader = PNGBuilder.zlibStored(rows); badHeader[0] = 0x79          // not deflate / bad FCHECK
        var badBlockType = PNGBuilder.zlibStored(rows); badBlockType[2] = 0x07    // reserved block type 3
        var badLength = PNGBuilder.zlibStored(rows); badLength[5] ^= 0xFF         // LEN/NLEN mismatch
        var badAdler = PNGBuilder.zlibStored(rows); badAdler[badAdler.count - 1] ^= 0xFF
        let shortData = PNGBuilder.zlibStored(Array(rows.prefix(rows.count - 10)))   // too little image data
        let badFilter = PNGBuilder.zlibStored([9] + rows.dropFirst())             // filter type 9 does not exist
        for (name, zlib) in [("header", badHeader), ("block type", badBlockType), ("length", badLength),
                             ("adler", badAdler), ("short", shortData), ("filter", badFilter)] {
            let png = PNGBuilder.signature
                + PNGBuilder.chunk("IHDR", PNGBuilder.ihdr(width: 5, height: 4, bitDepth: 8, colorType: 2))
                + PNGBuilder.chunk("IDAT", zlib) + PNGBuilder.chunk("IEND", [])
            let error = #expect(throws: ImageCodecError.self, "\(name)") { try ImageCodec.decode(png) }
            #expect(error.map(Self.isCorrupt) == true, "\(name)")
        }
    }

    @Test func invalidHeaderFieldsFail() {
        let ihdrs: [[UInt8]] = [
            PNGBuilder.ihdr(width: 4, height: 4, bitDepth: 3, colorType: 0),   // no 3-bit depth
            PNGBuilder.ihdr(width: 4, height: 4, bitDepth: 8, colorType: 5),   // no colour type 5
            PNGBuilder.ihdr(width: 4, height: 4, bitDepth: 16, colorType: 3),  // palette is at most 8-bit
        ]
        for ihdr in ihdrs {
            let png = PNGBuilder.signature + PNGBuilder.chunk("IHDR", ihdr)
                + PNGBuilder.chunk("IDAT", PNGBuilder.zlibStored([UInt8](repeating: 0, count: 40))) + PNGBuilder.chunk("IEND", [])
            let error = #expect(throws: ImageCodecError.self) { try ImageCodec.decode(png) }
            #expect(error.map(Self.isCorrupt) == true)
        }
    }

    @Test func missingPaletteOrImageDataFails() {
        let noPalette = PNGBuilder(width: 2, height: 2, bitDepth: 8, colorType: .palette, samples: [0, 0, 0, 0]).build()
        let noIDAT = PNGBuilder.signature
            + PNGBuilder.chunk("IHDR", PNGBuilder.ihdr(width: 2, height: 2, bitDepth: 8, colorType: 0))
            + PNGBuilder.chunk("IEND", [])
        for png in [noPalette, noIDAT] {
            let error = #expect(throws: ImageCodecError.self) { try ImageCodec.decode(png) }
            #expect(error.map(Self.isCorrupt) == true)
        }
    }

    @Test func randomBytesAfterSignatureFail() {
        var rng = SplitMix64(seed: 42)
        for i in 0..<300 {
            let png = PNGBuilder.signature + rng.bytes(Int.random(in: 0...600, using: &rng))
            let error = #expect(throws: ImageCodecError.self, "case \(i)") { try ImageCodec.decode(png) }
            #expect(error.map(Self.isCorrupt) == true)
        }
    }

    @Test func randomByteFlipsNeverCrash() {
        // Mutations of a valid file may still decode (e.g. a flipped pixel byte fails only the CRC,
        // a flipped ancillary byte is ignored); the point is a result or a typed error, never a trap.
        var rng = SplitMix64(seed: 9)
        for _ in 0..<500 {
            var png = Self.small
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                png[Int.random(in: 8..<png.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            if let image = try? ImageCodec.decode(png) {
                #expect(image.samples.count == image.width * image.height * image.channels)
            }
        }
    }
}
