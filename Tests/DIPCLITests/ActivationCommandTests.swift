import Foundation
import ImageCodec
import TestData
import Testing

/// `dip activation` with the SqueezeNet weights in Tests/Data: a few iterations at a small size.
@Suite("dip activation")
struct ActivationCommandTests {
    static let param = TestData.squeezeNetParam.path

    static func dip(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) { try InfoCommandTests.dip(args) }

    @Test func writesTheImageAndPrintsTheClassAndTheTopFive() throws {
        let dir = try DIPCommandTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("goldfish.png"), report = dir.appendingPathComponent("r.json")
        let r = try Self.dip(["activation", "--class", "Goldfish", "--weights", Self.param, "--size", "64", "--iterations", "5",
                              "--seed", "2", "--threads", "2", "--report", report.path, "-q", "-o", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let img = try ImageCodec.decode([UInt8](Data(contentsOf: out)))
        #expect(img.width == 64 && img.height == 64 && img.channels == 3)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first == "maximising class 1: goldfish, Carassius auratus", "\(r.stdout)")
        #expect(lines.count == 7 && lines[1] == "top 5 on the result:" && lines[2].hasPrefix("1  "), "\(r.stdout)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        #expect((json["points"] as? [Any])?.count == 5)
        let settings = json["settings"] as? [String: String]
        #expect(settings?["class"] == "1" && settings?["layer"] == "conv10" && settings?["size"] == "64" && settings?["lr"] == "0.01")
    }

    @Test(arguments: [
        (["--class", "crane"], "--class: \"crane\" names 2 ImageNet classes: 134 (crane), 517 (crane)"),
        (["--class", "unicorn"], "--class: \"unicorn\" is no ImageNet class"),
        (["--class", "1000"], "--class: must be an ImageNet class index between 0 and 999"),
        (["--class", "600", "--layer", "fire9"], "--class: layer fire9 has channels 0 to 511"),
        (["--class", "1", "--layer", "fc6"], "unknown layer 'fc6'"),
        (["--class", "1", "--size", "16"], "--size must be 32...1024"),
        (["--class", "1", "--crop", "32x32"], "--crop has no effect"),
        (["--class", "1", "--weights", "/nonexistent/w.safetensors"], "no such file"),
    ])
    func badInputIsOneClearLine(_ args: [String], _ message: String) throws {
        let weights = args.contains("--weights") ? [] : ["--weights", Self.param]
        let r = try Self.dip(["activation", "-o", "/tmp/never.png"] + weights + args)
        #expect(r.status != 0)
        #expect(r.stderr.hasPrefix("dip: error: ") && r.stderr.contains(message) && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
}
