import Foundation
import Testing

/// `dipd --healthcheck`, as a container's HEALTHCHECK runs it: the port comes from the
/// same settings as the service's, here `DIPD_PORT`.
@Suite("dipd --healthcheck")
struct HealthCheckTests {
    static func check(environment: [String: String]) throws -> Int32 {
        try runDipdToExit(["--healthcheck"], environment: environment).status
    }

    @Test func followsTheConfiguredPort() throws {
        let dipd = try Dipd()
        #expect(try Self.check(environment: ["DIPD_PORT": "\(dipd.port)", "DIPD_HOST": "0.0.0.0"]) == 0)
        #expect(dipd.stop() == 0)
        // Nothing listens there any more.
        #expect(try Self.check(environment: ["DIPD_PORT": "\(dipd.port)"]) == 1)
    }
}
