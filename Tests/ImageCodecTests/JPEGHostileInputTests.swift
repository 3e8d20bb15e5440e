import Testing
import ImageCodec

@Suite("JPEG hostile input")
struct JPEGHostileInputTests {
    static func isCorrupt(_ error: ImageCodecError?) -> Bool {
        if case .corrupt = error { return true }
        return false
    }

    @Test func hugeClaimedDimensionsAreRejected() {
        // A few hundred bytes claiming 60000×60000 (the SOF maximum is 65535).
        let jpeg = JPEGBuilder(width: 60000, height: 60000).build()
        #expect(throws: ImageCodecError.tooLarge(width: 60000, height: 60000)) { try ImageCodec.decode(jpeg) }
        let wide = JPEGBuilder(width: 65535, height: 8).build()
        #expect(throws: ImageCodecError.tooLarge(width: 65535, height: 8)) { try ImageCodec.decode(wide) }
        let limits = DecodeLimits(maxWidth: 15, maxHeight: 100, maxPixels: 10_000)
        #expect(throws: ImageCodecError.tooLarge(width: 16, height: 16)) {
            try ImageCodec.decode(JPEGBuilder(width: 16, height: 16).build(), limits: limits)
        }
    }

    @Test func zeroHeightIsRejected() {
        let error = #expect(throws: ImageCodecError.self) { try ImageCodec.decode(JPEGBuilder(width: 8, height: 0).build()) }
        #expect(Self.isCorrupt(error))
    }

    @Test(arguments: [1, 3])
    func truncationAtEveryOffsetFails(components: Int) {
        let jpeg = JPEGBuilder(width: 24, height: 16, components: components).build()
        #expect(throws: Never.self) { try ImageCodec.decode(jpeg) }
        for length in 3..<jpeg.count {
            let error = #expect(throws: ImageCodecError.self, "cut at \(length)") { try ImageCodec.decode(Array(jpeg.prefix(length))) }
            #expect(Self.isCorrupt(error), "cut at \(length): \(String(describing: error))")
        }
    }

    @Test
    func truncatedPhotoFails() throws {
        let jpeg = try DemoData.bytes("denoising/snail.jpg")
        for length in stride(from: 3, to: jpeg.count - 2, by: 97) + [jpeg.count - 2, jpeg.count - 1] {
            let error = #expect(throws: ImageCodecError.self, "cut at \(length)") { try ImageCodec.decode(Array(jpeg.prefix(length))) }
            #expect(Self.isCorrupt(error), "cut at \(length): \(String(describing: error))")
        }
    }

    @Test func randomBytesAfterMagicFail() {
        var rng = SplitMix64(seed: 77)
        for i in 0..<300 {
            let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF] + rng.bytes(Int.random(in: 0...600, using: &rng))
            let error = #expect(throws: ImageCodecError.self, "case \(i)") { try ImageCodec.decode(jpeg) }
            #expect(error != nil)
        }
    }

    @Test func randomByteFlipsNeverCrash() {
        let valid = JPEGBuilder(width: 32, height: 24, components: 3).build()
        var rng = SplitMix64(seed: 13)
        for _ in 0..<500 {
            var jpeg = valid
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                jpeg[Int.random(in: 3..<jpeg.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            if let image = try? ImageCodec.decode(jpeg) {
                #expect(image.samples.count == image.width * image.height * image.channels)
            }
        }
    }
}
