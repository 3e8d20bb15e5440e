import Foundation
import Glibc
import TestData
import Testing

/// What an operator sees when dipd cannot start: one line on stderr that names the real
/// cause, no usage text, and a sysexits status.
@Suite("dipd start-up errors", .serialized)
struct StartupErrorTests {
    typealias Failure = DipdExit

    /// Runs dipd as a service that must fail to start.
    static func failedStart(_ arguments: [String], environment: [String: String] = [:]) throws -> Failure {
        try runDipdToExit(["--host", "127.0.0.1", "--log-level", "error"] + arguments, environment: environment)
    }

    static func expectOneLine(_ f: Failure, status: Int32, mentions: [String]) {
        #expect(f.status == status, "status \(f.status): \(f.stderr)")
        let lines = f.stderr.split(separator: "\n")
        #expect(lines.count == 1 && f.stderr.hasPrefix("dipd: error: "), "stderr: \(f.stderr)")
        #expect(!f.stderr.contains("USAGE"), "stderr: \(f.stderr)")
        for m in mentions { #expect(f.stderr.contains(m), "\(m) not in: \(f.stderr)") }
    }

    /// A path under a regular file cannot be made even by root, who may write anywhere else.
    @Test func unusableDataDirectoryNamesItselfAndTheUser() throws {
        let dir = try temporaryDirectory("dipd-start")
        let file = dir.appendingPathComponent("not-a-directory")
        try Data("x".utf8).write(to: file)
        let data = file.appendingPathComponent("data").path
        let f = try Self.failedStart(["--port", "0", "--data-dir", data])
        Self.expectOneLine(f, status: 73, mentions: ["data directory \(data)", "Not a directory", "uid \(getuid())"])
    }

    @Test func weightsWithoutTheirCompanionFileNameTheMissingFile() throws {
        let dir = try temporaryDirectory("dipd-start")
        let param = dir.appendingPathComponent("squeezenet.ncnn.param")
        try FileManager.default.copyItem(at: TestData.squeezeNetParam, to: param)
        let f = try Self.failedStart(["--port", "0", "--data-dir", dir.appendingPathComponent("data").path],
                                     environment: ["DIPD_PREIMAGE_WEIGHTS": param.path])
        Self.expectOneLine(f, status: 66, mentions: ["preimage_weights", "squeezenet.ncnn.bin", "is missing"])
        #expect(!f.stderr.contains("data directory"))
    }

    @Test func anUnreachableDatabaseIsNamedWithoutItsPassword() throws {
        let port = try freePort()     // nothing listens there
        let f = try Self.failedStart(["--port", "0", "--data-dir", try temporaryDirectory("dipd-start").path],
                                     environment: ["DIPD_DATABASE_URL": "postgres://dipd:s3cret@127.0.0.1:\(port)/jobs"])
        Self.expectOneLine(f, status: 69, mentions: ["database_url", "postgres://dipd@127.0.0.1:\(port)/jobs", "cannot be reached"])
        #expect(!f.stderr.contains("s3cret"))
    }

    @Test func aPortInUseIsSaidSo() throws {
        let running = try Dipd()
        let f = try Self.failedStart(["--port", "\(running.port)", "--data-dir", try temporaryDirectory("dipd-start").path])
        Self.expectOneLine(f, status: 69, mentions: ["127.0.0.1:\(running.port)", "in use"])
        #expect(running.stop() == 0)
    }

    @Test func aBadSettingNamesTheSetting() throws {
        let f = try Self.failedStart(["--port", "0", "--data-dir", try temporaryDirectory("dipd-start").path],
                                     environment: ["DIPD_WORKERS": "many"])
        Self.expectOneLine(f, status: 64, mentions: ["DIPD_WORKERS"])
    }
}
