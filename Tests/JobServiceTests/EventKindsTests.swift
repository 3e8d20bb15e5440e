import Foundation
import HTTPServer
import Testing
@testable import JobService

/// The job event names are listed once (`JobEventKind`): the page gets them from the
/// service and names none of them itself.
@Suite("event kinds")
struct EventKindsTests {
    static let webFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../web").standardized

    @Test func thePageModuleListsEveryKindAndTheOnesThatEndAStream() {
        let module = JobEventKind.javaScriptModule
        for kind in JobEventKind.allCases { #expect(module.contains("  \(kind.rawValue): '\(kind.rawValue)',")) }
        #expect(module.contains("export const streamEnds = Object.freeze(['done', 'deleted']);"))
    }

    @Test func theServiceServesTheModule() async throws {
        let request = Request(method: .get, target: "/ui/event-kinds.js", path: "/ui/event-kinds.js",
                              pathParameters: ["file": "event-kinds.js"])
        let response = try await WebPage.serve(request)
        guard case .bytes(let body) = response.body else { Issue.record("no body"); return }
        #expect(String(decoding: body, as: UTF8.self) == JobEventKind.javaScriptModule)
        #expect(response.headers["Content-Type"] == "text/javascript; charset=utf-8")
    }

    @Test func noScriptOfThePageSpellsAnEventNameItself() throws {
        let scripts = try FileManager.default.contentsOfDirectory(atPath: Self.webFolder.path).filter { $0.hasSuffix(".js") }
        #expect(scripts.contains("job.js") && scripts.contains("events.js"))
        #expect(!scripts.contains(WebPage.eventKindsFile), "the service makes that file; web/ must not hold a copy")
        for name in scripts {
            let text = try String(contentsOf: Self.webFolder.appendingPathComponent(name), encoding: .utf8)
            for kind in JobEventKind.allCases {
                for quoted in ["'\(kind.rawValue)'", "\"\(kind.rawValue)\""] {
                    #expect(!text.contains("=== \(quoted)") && !text.contains("== \(quoted)"), "\(name) compares with \(quoted)")
                }
            }
        }
    }
}
