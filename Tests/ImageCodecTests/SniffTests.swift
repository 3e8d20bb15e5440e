import Testing
import ImageCodec

@Suite("Format sniffing and dispatch")
struct SniffTests {
    @Test func recognisesPNGAndJPEGMagic() {
        #expect(ImageCodec.sniff(PNGBuilder.signature + [0, 0, 0, 13]) == .png)
        #expect(ImageCodec.sniff([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(ImageCodec.sniff(ArraySlice([0xFF, 0xD8, 0xFF])) == .jpeg)
    }

    @Test func rejectsOtherAndShortData() {
        #expect(ImageCodec.sniff([UInt8]()) == nil)
        #expect(ImageCodec.sniff(Array(PNGBuilder.signature.prefix(7))) == nil)
        #expect(ImageCodec.sniff([0xFF, 0xD8]) == nil)
        #expect(ImageCodec.sniff(Array("GIF89a".utf8)) == nil)
        #expect(ImageCodec.sniff([0x42, 0x4D, 0, 0]) == nil)   // BMP
    }

    @Test func emptyInputIsEmptyError() {
        #expect(throws: ImageCodecError.empty) { try ImageCodec.decode([]) }
    }

    @Test func unknownFormatIsUnsupported() {
        #expect(throws: ImageCodecError.unsupportedFormat) { try ImageCodec.decode(Array("GIF89a....".utf8)) }
        var rng = SplitMix64(seed: 1)
        for length in [1, 2, 3, 7, 8, 100, 4096] {
            var bytes = rng.bytes(length)
            bytes[0] = 0x00   // neither 0x89 (PNG) nor 0xFF (JPEG)
            #expect(throws: ImageCodecError.unsupportedFormat) { try ImageCodec.decode(bytes) }
        }
    }

    @Test func errorsDescribeThemselves() {
        let errors: [ImageCodecError] = [.empty, .unsupportedFormat, .tooLarge(width: 3, height: 4),
                                         .corrupt("x"), .unsupportedEncoding("y"), .invalidImage("z")]
        for error in errors { #expect(!error.description.isEmpty) }
        #expect(ImageCodecError.tooLarge(width: 3, height: 4).description.contains("3×4"))
    }
}
