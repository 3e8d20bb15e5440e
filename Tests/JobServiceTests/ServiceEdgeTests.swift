import Foundation
import HTTPServer
import Logging
import Testing
@testable import JobService

/// The rules around every route, in-process: the API key on /v1, CORS (also on errors
/// and preflights), JSON errors, and metrics by route pattern.
@Suite("service edge", .serialized)
struct ServiceEdgeTests {
    static let origin = "https://app.example"

    static func withService(_ body: (String) throws -> Void) async throws {
        var configuration = ServiceConfiguration()
        configuration.dataDirectory = try temporaryDirectory("dipd-edge").path
        configuration.apiKey = "s3cret"
        configuration.corsAllowedOrigins = [origin]
        let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let service = try DIPService(configuration: configuration, logger: quiet)
        var http = ServerConfiguration()
        http.host = "127.0.0.1"
        http.port = 0
        let server = HTTPServer(configuration: http, router: service.makeRouter(), logger: quiet)
        try server.start()
        do { try body("http://127.0.0.1:\(server.port!)") } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    @Test func theKeyGuardsV1AndItsRefusalCarriesCORS() async throws {
        try await Self.withService { base in
            let refused = try curl(["-H", "Origin: \(Self.origin)", "\(base)/v1/jobs"])
            #expect(refused.status == 401 && refused.errorCode == "unauthorized")
            #expect(refused.header("WWW-Authenticate") == #"Bearer realm="dipd""#)
            #expect(refused.header("Access-Control-Allow-Origin") == Self.origin)
            let wrong = try curl(["-H", "Authorization: Bearer s3cres", "\(base)/v1/jobs"])
            #expect(wrong.status == 401)
            let listed = try curl(["-H", "Authorization: Bearer s3cret", "\(base)/v1/jobs"])
            #expect(listed.status == 200 && listed.json["jobs"] != nil)
            #expect(try curl(["\(base)/healthz"]).status == 200)
            #expect(try curl(["\(base)/"]).status == 200)
        }
    }

    @Test func preflightNeedsNoKeyAndNamesThePathsMethods() async throws {
        try await Self.withService { base in
            let preflight = ["-X", "OPTIONS", "-H", "Origin: \(Self.origin)", "-H", "Access-Control-Request-Method: DELETE"]
            let job = try curl(preflight + ["\(base)/v1/jobs/aaaaaaaaaaaaaaaaaaaaaaaaaa"])
            #expect(job.status == 204 && job.header("Access-Control-Allow-Origin") == Self.origin)
            #expect(job.header("Access-Control-Allow-Methods") == "GET, DELETE, HEAD, OPTIONS")
            #expect(job.header("Access-Control-Allow-Headers")?.contains("Authorization") == true)
            #expect(try curl(preflight + ["\(base)/v1/jobs"]).header("Access-Control-Allow-Methods") == "POST, GET, HEAD, OPTIONS")
            #expect(try curl(preflight + ["\(base)/v1/nothing"]).status == 404)
        }
    }

    @Test func errorsAreJSONAndMetricsCountThemByRoutePattern() async throws {
        try await Self.withService { base in
            let key = ["-H", "Authorization: Bearer s3cret"]
            let missing = try curl(key + ["\(base)/v1/jobs/aaaaaaaaaaaaaaaaaaaaaaaaaa/result.png"])
            #expect(missing.status == 404 && missing.errorCode == "job_not_found")
            #expect(missing.errorMessage == "no job aaaaaaaaaaaaaaaaaaaaaaaaaa")
            let query = try curl(key + ["\(base)/v1/jobs?limit=0"])
            #expect(query.status == 422 && query.errorMessage == "limit: must be an integer from 1 to 100")
            let metrics = String(decoding: try curl(["\(base)/metrics"]).body, as: UTF8.self)
            let line = metrics.split(separator: "\n").first {
                $0.hasPrefix("dipd_http_requests_total{") && $0.contains(#"route="/v1/jobs/{id}/result.png""#)
            }
            #expect(line?.contains(#"method="GET""#) == true && line?.contains(#"status="404""#) == true, "\(metrics)")
        }
    }
}
