import Foundation
import Synchronization
import ImageCodec
import TestData
import Testing

/// The `dip` command as a user runs it: real files, real exit codes.
@Suite("dip command")
struct DIPCommandTests {
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dip").path
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let f16 = TestData.demo("denoising/F16_GT.png").path

    struct Run { let status: Int32; let stderr: String }

    static func dip(_ args: [String]) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stderr: String(decoding: data, as: UTF8.self))
    }

    static func tempDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("dip-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    /// A small test image written as PNG: smooth gradients, 1 or 3 channels.
    static func writeImage(_ url: URL, width: Int, height: Int, channels: Int) throws {
        var s = [Float]()
        for y in 0..<height { for x in 0..<width { for c in 0..<channels {
            s.append(0.2 + 0.6 * Float((x + y * (c + 1)) % 32) / 32)
        } } }
        try Data(ImageCodec.encodePNG(Image(width: width, height: height, channels: channels, samples: s))).write(to: url)
    }

    @Test func denoisesWithReportSnapshotsAndOutput() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.png")
        try Self.writeImage(input, width: 40, height: 24, channels: 3)     // not a multiple of 32: padded and cropped back
        let out = dir.appendingPathComponent("out.png"), report = dir.appendingPathComponent("r.json")
        let r = try Self.dip(["denoise", input.path, "-o", out.path, "--iterations", "12", "--add-noise", "25",
                              "--snapshot-every", "5", "--snapshots", dir.appendingPathComponent("snaps").path,
                              "--report", report.path, "--seed", "3", "--threads", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let img = try ImageCodec.decode([UInt8](Data(contentsOf: out)))
        #expect(img.width == 40 && img.height == 24 && img.channels == 3)
        let snaps = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("snaps").path).sorted()
        #expect(snaps == ["snapshot_00005.png", "snapshot_00010.png", "snapshot_00012.png"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        let points = try #require(json["points"] as? [[String: Any]])
        #expect(points.count == 12)
        #expect(points.map { $0["iteration"] as? Int } == (1...12).map { $0 })
        for key in ["seconds", "loss", "psnr_input", "psnr_input_average", "psnr_ground_truth", "psnr_ground_truth_average"] {
            #expect(points.allSatisfy { $0[key] is Double }, "\(key) missing")
        }
        #expect(r.stderr.contains("iter    12/12"))
        #expect(r.stderr.contains("ETA"))
    }

    /// `-o /dev/null` and `--report /dev/stdout` must write into the device, not rename a
    /// file over it (which, run as root, turns /dev/null into a plain file). Named pipes
    /// stand in for the devices: both must still be pipes afterwards, and have carried the
    /// PNG and the JSON.
    @Test func writesIntoPipesAndDevicesInPlace() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.png")
        try Self.writeImage(input, width: 32, height: 32, channels: 3)
        let out = dir.appendingPathComponent("out.pipe"), report = dir.appendingPathComponent("report.pipe")
        #expect(mkfifo(out.path, 0o600) == 0 && mkfifo(report.path, 0o600) == 0)
        // Each pipe is drained by its own reader, as a shell's `dip … -o >(cat)` would be.
        let received = Mutex<[String: Data]>([:])
        let readers = DispatchGroup()
        for pipe in [out, report] {
            DispatchQueue.global().async(group: readers) {
                let data = FileHandle(forReadingAtPath: pipe.path).map { $0.readDataToEndOfFile() } ?? Data()
                received.withLock { $0[pipe.lastPathComponent] = data }
            }
        }
        let r = try Self.dip(["denoise", input.path, "-o", out.path, "--report", report.path, "--iterations", "3", "-q"])
        #expect(readers.wait(timeout: .now() + 60) == .success)
        #expect(r.status == 0, "\(r.stderr)")
        for pipe in [out, report] {
            var info = stat()
            #expect(stat(pipe.path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO, "\(pipe.lastPathComponent) was replaced")
        }
        let got = received.withLock { $0 }
        #expect(try ImageCodec.decode([UInt8](got["out.pipe"] ?? Data())).width == 32)
        #expect((try? JSONSerialization.jsonObject(with: got["report.pipe"] ?? Data())) is [String: Any])
    }

    @Test func grayStaysGray() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("g.png"), out = dir.appendingPathComponent("o.png")
        try Self.writeImage(input, width: 32, height: 32, channels: 1)
        let r = try Self.dip(["denoise", input.path, "-o", out.path, "--iterations", "3", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try ImageCodec.decode([UInt8](Data(contentsOf: out))).channels == 1)
        #expect(r.stderr.isEmpty)
    }

    @Test func sameSeedSameResult() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.png")
        try Self.writeImage(input, width: 32, height: 32, channels: 3)
        var outputs: [Data] = []
        for name in ["a.png", "b.png"] {
            let out = dir.appendingPathComponent(name)
            let r = try Self.dip(["denoise", input.path, "-o", out.path, "--iterations", "5", "--seed", "9", "--add-noise", "20", "-q"])
            #expect(r.status == 0, "\(r.stderr)")
            outputs.append(try Data(contentsOf: out))
        }
        #expect(outputs[0] == outputs[1])
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        let args: [String], mentions: String
        var testDescription: String { args.joined(separator: " ") }
    }

    static let badCases: [BadCase] = [
        .init(args: ["denoise", "/nonexistent/x.png", "-o", "/tmp/o.png"], mentions: "no such file"),
        .init(args: ["denoise", "INPUT", "-o", "/tmp/o.png", "--bogus"], mentions: "--bogus"),
        .init(args: ["denoise", "INPUT", "-o", "/tmp/o.png", "--iterations", "0"], mentions: "--iterations"),
        .init(args: ["denoise", "INPUT", "-o", "/tmp/o.png", "--iterations", "ten"], mentions: "ten"),
        .init(args: ["denoise", "INPUT", "-o", "/tmp/o.png", "--crop", "9000x10"], mentions: "does not fit"),
        .init(args: ["denoise", "INPUT", "-o", "/tmp/o.png", "--snapshot-every", "5"], mentions: "--snapshots"),
        .init(args: ["denoise", "NOTANIMAGE", "-o", "/tmp/o.png"], mentions: "unsupported"),
        .init(args: ["denoise", "INPUT"], mentions: "--output"),
        .init(args: ["denoise", "INPUT", "-o", "/tmp/o.png", "--max-pixels", "1000"], mentions: "over the limit of 1000 pixels"),
        .init(args: ["denoise", "INPUT", "-o", "/nonexistent-dir/o.png", "--iterations", "1", "-q"], mentions: "cannot write"),
    ]

    @Test(arguments: badCases)
    func badInputIsOneClearLine(_ c: BadCase) throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.png")
        try Self.writeImage(input, width: 32, height: 32, channels: 3)
        let junk = dir.appendingPathComponent("junk.png")
        try Data("this is not an image".utf8).write(to: junk)
        let args = c.args.map { $0 == "INPUT" ? input.path : $0 == "NOTANIMAGE" ? junk.path : $0 }
        let r = try Self.dip(args)
        #expect(r.status != 0)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(r.stderr)")
        #expect(r.stderr.hasPrefix("dip: error: "))
        #expect(r.stderr.contains(c.mentions), "stderr: \(r.stderr)")
    }

    @Test
    func denoisingImprovesF16() throws {
        // A short fit on a crop of the F16 demo image clearly beats the noisy input: noisy
        // 20.32 dB; the best averaged output in 300 iterations (seed 1) 28.57 dB with OpenBLAS's
        // AVX2 kernels, 28.78 dB with its SSE3 ones (OPENBLAS_CORETYPE=Haswell / Prescott).
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let report = dir.appendingPathComponent("r.json")
        let r = try Self.dip(["denoise", Self.f16, "-o", dir.appendingPathComponent("o.png").path, "--add-noise", "25",
                              "--crop", "64x64", "--iterations", "300", "--seed", "1", "--report", report.path, "-q"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        let summary = try #require(json["summary"] as? [String: Any])
        let noisy = try #require(summary["psnr_degraded_vs_ground_truth"] as? Double)
        let best = try #require(summary["best_psnr_ground_truth_average"] as? Double)
        print("dip denoise F16 64x64, 300 it: noisy \(noisy) dB, best averaged output \(best) dB")
        #expect(best > noisy + 5, "noisy \(noisy) dB, best averaged output \(best) dB")
    }
}
