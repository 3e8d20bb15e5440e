import Foundation
import Testing

/// `dip info` and --isa: the kernels are reported, and a choice this CPU cannot run is refused.
@Suite("dip info and --isa")
struct InfoCommandTests {
    static func dip(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: DIPCommandTests.binary)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    @Test func infoNamesTheFeaturesAndTheKernels() throws {
        let r = try Self.dip(["info"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("cpu: ") })
        #expect(lines.contains { $0.hasPrefix("features: ") })
        let supported = try #require(lines.first { $0.hasPrefix("supported kernels: ") })
        #expect(supported.contains("generic"))
        let chosen = try #require(lines.first { $0.hasPrefix("kernels: ") })
        // auto picks the last (fastest) of the supported ones.
        #expect(chosen == "kernels: \(supported.split(separator: " ").last!) (auto)")
    }

    @Test func isaForcesAPathOrIsRefused() throws {
        let generic = try Self.dip(["info", "--isa", "generic"])
        #expect(generic.status == 0)
        #expect(generic.stdout.contains("kernels: generic\n"))
        let unknown = try Self.dip(["info", "--isa", "sse9"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("unknown instruction set 'sse9'"))
        // avx512 is refused exactly where this CPU does not list it.
        let supported = try Self.dip(["info"]).stdout
        let avx512 = try Self.dip(["info", "--isa", "avx512"])
        if supported.contains("supported kernels: generic avx2 avx512") {
            #expect(avx512.status == 0)
        } else {
            #expect(avx512.status == 64)
            #expect(avx512.stderr.contains("cannot run the avx512 kernels"))
        }
    }

    @Test func fitSubcommandsTakeIsa() throws {
        let r = try Self.dip(["denoise", "missing.png", "-o", "/dev/null", "--isa", "sse9"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--isa"))
    }
}
