import Foundation
import Testing

/// `dipd --healthcheck`, as a container's HEALTHCHECK runs it: the port comes from the
/// same settings as the service's, here `DIPD_PORT`.
@Suite("dipd --healthcheck")
struct HealthCheckTests {
    static func check(environment: [String: String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Dipd.binary)
        p.arguments = ["--healthcheck"]
        p.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("DIPD_") }.merging(environment) { $1 }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    @Test func followsTheConfiguredPort() throws {
        let dipd = try Dipd()
        #expect(try Self.check(environment: ["DIPD_PORT": "\(dipd.port)", "DIPD_HOST": "0.0.0.0"]) == 0)
        #expect(dipd.stop() == 0)
        // Nothing listens there any more.
        #expect(try Self.check(environment: ["DIPD_PORT": "\(dipd.port)"]) == 1)
    }
}
