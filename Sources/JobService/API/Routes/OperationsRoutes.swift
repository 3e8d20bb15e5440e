import DIPEngine
import DIPTasks
import HTTPServer

/// What operators and their tools ask: liveness, readiness, Prometheus metrics, the
/// version and the API document.
struct OperationsRoutes: Sendable {
    let jobs: any JobScheduler
    let metrics: ServiceMetrics
    let queueCapacity: Int
    let classifier: ClassifierProvider

    func register(on router: inout Router) {
        router.get("/healthz") { _ in .json(raw: #"{"status":"ok"}"#) }
        router.get("/readyz", readiness)
        router.get("/metrics", exposition)
        router.get("/version", version)
        router.get("/openapi.yaml") { _ in .bytes(Array(OpenAPIDocument.yaml.utf8), contentType: "application/yaml") }
    }

    /// 503 while draining or with a full queue, so that a load balancer sends work elsewhere.
    @Sendable func readiness(_ request: Request) async throws -> Response {
        let c = jobs.counts()
        let status = c.draining ? "draining" : c.queued >= queueCapacity ? "busy" : "ready"
        return .json(raw: #"{"status":"\#(status)","queued":\#(c.queued),"running":\#(c.running),"queue_capacity":\#(queueCapacity)}"#,
                     status: status == "ready" ? .ok : .serviceUnavailable)
    }

    @Sendable func exposition(_ request: Request) async throws -> Response {
        .bytes(metrics.exposition(jobs.counts()), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    @Sendable func version(_ request: Request) async throws -> Response {
        let tasks = TaskKind.allCases.filter { !TaskCatalog.needsClassifier($0) || classifier.isAvailable }
            .map { JSONString.quoted($0.rawValue) }.joined(separator: ",")
        let features = CPUFeatures.current.names.map(JSONString.quoted).joined(separator: ",")
        return .json(raw: #"{"name":"dipd","version":\#(JSONString.quoted(DIPService.version)),"api":"v1","tasks":[\#(tasks)],"kernels":\#(JSONString.quoted(InstructionSet.selected.rawValue)),"precision":\#(JSONString.quoted(Precision.selected.resolved(for: InstructionSet.selected).rawValue)),"cpu_features":[\#(features)]}"#)
    }
}
