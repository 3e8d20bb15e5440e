import Foundation
import ImageCodec
import Testing

/// Submission reads only the uploads' headers; the pixels are decoded once, when the job runs.
@Suite("dipd decodes uploads once, when the job runs", .serialized)
struct SubmissionDecodeEndToEndTests {
    /// A 16×16 PNG whose header is sound and whose pixel data is not.
    static func damagedPixelData() throws -> [UInt8] {
        let samples = (0..<(16 * 16 * 3)).map { Float($0 % 7) / 7 }
        var png = try ImageCodec.encodePNG(Image(width: 16, height: 16, channels: 3, samples: samples))
        let idat = try #require((0..<(png.count - 4)).first { png[$0..<($0 + 4)].elementsEqual("IDAT".utf8) })
        let length = Int(png[idat - 4]) << 24 | Int(png[idat - 3]) << 16 | Int(png[idat - 2]) << 8 | Int(png[idat - 1])
        for i in (idat + 6)..<(idat + 4 + length) { png[i] ^= 0x5A }
        return png
    }

    @Test func damagedPixelDataIsAcceptedThenFailsTheJob() throws {
        let png = try Self.damagedPixelData()
        #expect(throws: ImageCodecError.self) { try ImageCodec.decode(png) }
        #expect(try ImageCodec.probe(png).width == 16)
        let dipd = try Dipd()
        let dir = try temporaryDirectory("dipd-damaged")
        let path = dir.appendingPathComponent("damaged.png")
        try Data(png).write(to: path)
        let r = try curl(["-F", "image=@\(path.path);type=image/png", "-F", "iterations=5", "\(dipd.base)/v1/jobs"])
        #expect(r.status == 202, "\(r.json)")
        let input = r.json["input"] as? [String: Any]
        #expect(input?["width"] as? Int == 16 && input?["channels"] as? Int == 3, "\(r.json)")
        let id = try #require(r.json["id"] as? String)
        let done = try poll(dipd, id) { ["succeeded", "failed"].contains(state($0)) }
        let error = done["error"] as? [String: Any]
        #expect(state(done) == "failed" && error?["code"] as? String == "invalid_image", "\(done)")
        #expect((error?["message"] as? String)?.hasPrefix("image: ") == true, "\(done)")
        #expect(dipd.stop() == 0)
    }
}
