import Foundation
import ImageCodec
import Testing

/// The application subcommands (super-resolution, inpaint, restore, jpeg, flash)
/// on small generated images: outputs, sizes, reports, and one-line errors.
@Suite("dip task subcommands")
struct TaskCommandTests {
    typealias D = DIPCommandTests

    /// A mask PNG: black (hole) in a square in the middle, white elsewhere.
    static func writeMask(_ url: URL, width: Int, height: Int, channels: Int) throws {
        var s = [Float]()
        for y in 0..<height { for x in 0..<width {
            let hole = abs(x - width / 2) < width / 6 && abs(y - height / 2) < height / 6
            for _ in 0..<channels { s.append(hole ? 0 : 1) }
        } }
        try Data(ImageCodec.encodePNG(Image(width: width, height: height, channels: channels, samples: s))).write(to: url)
    }

    static func size(_ url: URL) throws -> (Int, Int, Int) {
        let i = try ImageCodec.decode([UInt8](Data(contentsOf: url)))
        return (i.width, i.height, i.channels)
    }

    @Test func eachSubcommandWritesItsResult() throws {
        let dir = try D.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        func f(_ name: String) -> String { dir.appendingPathComponent(name).path }
        try D.writeImage(URL(fileURLWithPath: f("rgb.png")), width: 40, height: 24, channels: 3)
        try D.writeImage(URL(fileURLWithPath: f("gray.png")), width: 21, height: 13, channels: 1)
        try D.writeImage(URL(fileURLWithPath: f("flash.png")), width: 40, height: 24, channels: 3)
        try Self.writeMask(URL(fileURLWithPath: f("mask.png")), width: 40, height: 24, channels: 3)
        let common = ["--iterations", "2", "--threads", "2", "-q"]

        var r = try D.dip(["super-resolution", f("gray.png"), "--factor", "4", "-o", f("sr.png")] + common)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.size(URL(fileURLWithPath: f("sr.png"))) == (84, 52, 1))

        r = try D.dip(["inpaint", f("rgb.png"), "--mask", f("mask.png"), "--setup", "large-hole", "-o", f("in.png"),
                       "--save-degraded", f("in_degraded.png"), "--ground-truth", f("rgb.png"), "--report", f("in.json")] + common)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.size(URL(fileURLWithPath: f("in.png"))) == (40, 24, 3))
        #expect(try Self.size(URL(fileURLWithPath: f("in_degraded.png"))) == (40, 24, 3))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: f("in.json")))) as? [String: Any])
        let summary = try #require(json["summary"] as? [String: Any])
        #expect((summary["evaluation"] as? [String: Double])?.count == 2)
        #expect((json["settings"] as? [String: String])?["setup"] == "large-hole")

        r = try D.dip(["restore", f("gray.png"), "--keep", "0.5", "-o", f("re.png")] + common)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.size(URL(fileURLWithPath: f("re.png"))) == (21, 13, 1))

        r = try D.dip(["jpeg", f("rgb.png"), "-o", f("jpeg.png")] + common)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.size(URL(fileURLWithPath: f("jpeg.png"))) == (40, 24, 3))

        r = try D.dip(["flash", f("rgb.png"), "--guide", f("flash.png"), "-o", f("flash_out.png")] + common)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.size(URL(fileURLWithPath: f("flash_out.png"))) == (40, 24, 3))
    }

    static let badCases: [DIPCommandTests.BadCase] = [
        .init(args: ["super-resolution", "INPUT", "-o", "/tmp/o.png", "--factor", "3"], mentions: "--factor must be 2, 4 or 8"),
        .init(args: ["super-resolution", "INPUT", "-o", "/tmp/o.png"], mentions: "--factor"),
        .init(args: ["inpaint", "INPUT", "-o", "/tmp/o.png", "--mask", "SMALLMASK"], mentions: "the mask is 16x16, the image is 32x32"),
        .init(args: ["inpaint", "INPUT", "-o", "/tmp/o.png", "--mask", "NOTANIMAGE"], mentions: "unsupported"),
        .init(args: ["inpaint", "INPUT", "-o", "/tmp/o.png", "--mask", "/nonexistent/m.png"], mentions: "no such file"),
        .init(args: ["inpaint", "INPUT", "-o", "/tmp/o.png", "--mask", "MASK", "--setup", "huge"], mentions: "huge"),
        .init(args: ["restore", "INPUT", "-o", "/tmp/o.png"], mentions: "either --mask FILE or --keep FRACTION"),
        .init(args: ["restore", "INPUT", "-o", "/tmp/o.png", "--keep", "1.5"], mentions: "--keep"),
        .init(args: ["restore", "INPUT", "-o", "/tmp/o.png", "--mask", "SMALLMASK"], mentions: "the mask is 16x16"),
        .init(args: ["flash", "INPUT", "--guide", "SMALLMASK", "-o", "/tmp/o.png"], mentions: "flash image is 16×16, expected 32×32"),
        .init(args: ["jpeg", "INPUT", "-o", "/tmp/o.png", "--lr", "0"], mentions: "--lr"),
    ]

    @Test(arguments: badCases)
    func badInputIsOneClearLine(_ c: DIPCommandTests.BadCase) throws {
        let dir = try D.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.png"), mask = dir.appendingPathComponent("m.png")
        let small = dir.appendingPathComponent("small.png"), junk = dir.appendingPathComponent("junk.png")
        try D.writeImage(input, width: 32, height: 32, channels: 3)
        try Self.writeMask(mask, width: 32, height: 32, channels: 1)
        try Self.writeMask(small, width: 16, height: 16, channels: 3)
        try Data("this is not an image".utf8).write(to: junk)
        let names = ["INPUT": input.path, "MASK": mask.path, "SMALLMASK": small.path, "NOTANIMAGE": junk.path]
        let r = try D.dip(c.args.map { names[$0] ?? $0 })
        #expect(r.status != 0)
        #expect(r.stderr.split(separator: "\n").count == 1, "stderr: \(r.stderr)")
        #expect(r.stderr.hasPrefix("dip: error: "))
        #expect(r.stderr.contains(c.mentions), "stderr: \(r.stderr)")
    }
}
