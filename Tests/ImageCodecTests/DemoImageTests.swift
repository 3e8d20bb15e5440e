import Testing
import ImageCodec

@Suite("Demo images")
struct DemoImageTests {
    @Test(arguments: [
        ("denoising/F16_GT.png", 512, 512, 3),
        ("restoration/barbara.png", 512, 512, 1),
        ("inpainting/kate_mask.png", 512, 512, 1),
        ("denoising/snail.jpg", 400, 261, 3),
        ("flash_no_flash/cave01_00_flash.jpg", 774, 706, 3),
    ])
    func decodesToDocumentedSize(name: String, width: Int, height: Int, channels: Int) throws {
        try #require(DemoData.exists(name))
        let image = try ImageCodec.decode(DemoData.bytes(name))
        #expect(image.width == width && image.height == height && image.channels == channels)
        #expect(image.samples.count == width * height * channels)
        #expect(image.samples.allSatisfy { (0...1).contains($0) })
    }

    @Test func masksAreBinary() throws {
        let name = "inpainting/kate_mask.png"
        try #require(DemoData.exists(name))
        let mask = try ImageCodec.decode(DemoData.bytes(name))
        #expect(Set(mask.samples) == [0, 1])
    }

    @Test func photoRoundTripsThroughPNG() throws {
        let name = "denoising/F16_GT.png"
        try #require(DemoData.exists(name))
        let image = try ImageCodec.decode(DemoData.bytes(name))
        #expect(try ImageCodec.decode(ImageCodec.encodePNG(image)) == image)
    }
}
