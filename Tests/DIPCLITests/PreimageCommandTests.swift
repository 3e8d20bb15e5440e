import Foundation
import ImageCodec
import TestData
import Testing

/// `dip preimage` and `dip classify` with the SqueezeNet weights in Tests/Data.
@Suite("dip preimage and classify")
struct PreimageCommandTests {
    static let param = TestData.squeezeNetParam.path
    static let synsets = TestData.synsetWords.path
    static let building = TestData.demo("feature_inversion/building.jpg").path

    static func classify(_ weights: String) throws -> (status: Int32, lines: [Substring], text: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: DIPCommandTests.binary)
        p.arguments = ["classify", Self.building, "--weights", weights, "--synsets", Self.synsets, "--threads", "2"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text.split(separator: "\n"), text)
    }

    @Test func classifyPrintsTheTopClasses() throws {
        let r = try Self.classify(Self.param)
        #expect(r.status == 0 && r.lines.count == 5)
        #expect(r.lines.first?.hasSuffix("727  planetarium") == true, "\(r.text)")
    }

    @Test func convertedSafetensorsClassifyTheSame() throws {
        let dir = try DIPCommandTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let st = dir.appendingPathComponent("squeezenet.safetensors").path
        let c = try DIPCommandTests.dip(["convert-weights", Self.param, "-o", st, "--squeezenet-names"])
        #expect(c.status == 0, "\(c.stderr)")
        let a = try Self.classify(Self.param), b = try Self.classify(st)
        #expect(b.status == 0 && a.lines == b.lines)
    }

    @Test func preimageWritesImageSnapshotsAndReport() throws {
        let dir = try DIPCommandTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("pre.png"), report = dir.appendingPathComponent("r.json")
        let snaps = dir.appendingPathComponent("snaps")
        let r = try DIPCommandTests.dip(["preimage", Self.building, "--weights", Self.param, "--layer", "conv10", "--size", "48",
                                         "--iterations", "6", "--snapshot-every", "3", "--snapshots", snaps.path,
                                         "--report", report.path, "--threads", "2", "-o", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let img = try ImageCodec.decode([UInt8](Data(contentsOf: out)))
        #expect(img.width == 48 && img.height == 48 && img.channels == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: snaps.path).sorted() == ["snapshot_00003.png", "snapshot_00006.png"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        #expect((json["points"] as? [Any])?.count == 6)
        #expect((json["settings"] as? [String: String])?["layer"] == "conv10")
    }

    @Test(arguments: [
        (["--weights", "/nonexistent/w.safetensors"], "no such file"),
        (["--weights", param, "--layer", "fc6"], "unknown layer 'fc6'"),
        (["--weights", building], "unknown weights format"),
        (["--weights", param, "--optimizer", "sgd"], "--optimizer must be adam or lbfgs"),
    ])
    func badInputIsOneClearLine(_ args: [String], _ message: String) throws {
        let r = try DIPCommandTests.dip(["preimage", Self.building, "-o", "/tmp/never.png"] + args)
        #expect(r.status != 0)
        #expect(r.stderr.hasPrefix("dip: error: ") && r.stderr.contains(message) && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
}
