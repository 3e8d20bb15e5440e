import DIPEngine
import Foundation
import HTTPServer
import ImageCodec
import ImageTensors
import Logging

/// The job service: owns the store, the job manager, the workers and the metrics, and
/// answers the HTTP API described in `openapi.yaml`.
public final class DIPService: @unchecked Sendable {
    public static let version = "0.2.0"

    public let configuration: ServiceConfiguration
    let manager: any JobScheduler
    let metrics: ServiceMetrics
    let links: LinkBuilder
    let views: JobViewCache
    let logger: Logger
    private let pool: WorkerPool
    /// Made in `start()`: Dispatch traps when a source that was never activated is released.
    private var sweeper: DispatchSourceTimer?
    public let workers: Int
    public let threadsPerWorker: Int
    let classifier: ClassifierProvider

    public init(configuration: ServiceConfiguration, logger: Logger,
                cores: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        self.configuration = configuration
        self.logger = logger
        do { try InstructionSet.select(InstructionSet.named(configuration.instructionSet)) } catch {
            throw StartupError(description: "isa: \(error)", exitStatus: 64)
        }
        metrics = ServiceMetrics()
        links = LinkBuilder(publicBaseURL: configuration.publicBaseURL)
        views = JobViewCache(links: links)
        let store: any JobStore
        if !configuration.databaseURL.isEmpty {
            // A fixed port names the service across restarts (it takes its own lost runs back at
            // once); with a port picked by the system, the process does.
            let host = ProcessInfo.processInfo.hostName
            let owner = !configuration.replicaID.isEmpty ? configuration.replicaID
                : configuration.port != 0 ? "\(host):\(configuration.port)" : "\(host)-\(getpid())"
            do { store = try PostgresJobStore(url: configuration.databaseURL, owner: owner, logger: logger) } catch {
                throw StartupError.database(error)
            }
        } else {
            do { store = try FileJobStore(root: configuration.dataDirectory, logger: logger) } catch {
                throw StartupError.dataDirectory(configuration.dataDirectory, error)
            }
        }
        if let shared = store as? any SharedJobStore {
            manager = SharedScheduler(store: shared, configuration: configuration, metrics: metrics, logger: logger)
        } else {
            manager = LocalScheduler(store: store, configuration: configuration, metrics: metrics, logger: logger)
        }
        (workers, threadsPerWorker) = configuration.resolvedWorkers(cores: cores)
        do { classifier = try ClassifierProvider(weightsPath: configuration.preimageWeights) } catch {
            throw StartupError.weights(error)
        }
        pool = WorkerPool(manager: manager,
                          runner: JobRunner(manager: manager, threads: threadsPerWorker, classifier: classifier,
                                             decoder: InputDecoder(configuration.limits)),
                          workers: workers, nice: configuration.workerNice)
    }

    /// Reloads stored jobs, starts the workers and the retention sweep.
    public func start() {
        manager.start()
        _ = manager.sweepExpired()
        pool.start()
        let interval = max(1, configuration.sweepIntervalSeconds)
        let sweeper = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "dipd.retention"))
        self.sweeper = sweeper
        sweeper.schedule(deadline: .now() + .seconds(interval), repeating: .seconds(interval))
        sweeper.setEventHandler { [manager] in _ = manager.sweepExpired() }
        sweeper.activate()
        logger.info("dipd \(Self.version): \(workers) worker(s) × \(threadsPerWorker) engine thread(s), \(InstructionSet.selected) kernels (\(CPUFeatures.current)), jobs in \(manager.store.location)")
    }

    /// Takes no new jobs (503); running fits stop between two layers and are saved as
    /// queued, to run again on the next start.
    public func drain() {
        manager.beginDraining()
        let clean = pool.stop(timeout: .seconds(configuration.shutdownGraceSeconds))
        sweeper?.cancel()
        manager.stop()
        logger.info(clean ? "workers stopped; running jobs saved as queued" : "workers still busy after the grace time; their jobs run again on restart")
    }

    // MARK: Routes

    public func makeRouter() -> Router {
        var router = Router()
        let limits = configuration.limits
        add(&router, .post, "/v1/jobs", bodyLimit: limits.maxUploadBytes, submit)
        add(&router, .get, "/v1/jobs", list)
        add(&router, .get, "/v1/jobs/{id}", getJob)
        add(&router, .delete, "/v1/jobs/{id}", deleteJob)
        add(&router, .post, "/v1/jobs/{id}/cancel", cancelJob)
        add(&router, .get, "/v1/jobs/{id}/snapshots", listSnapshots)
        add(&router, .get, "/v1/jobs/{id}/snapshots/{file}", getSnapshot)
        add(&router, .get, "/v1/jobs/{id}/result.png", getResult)
        add(&router, .get, "/v1/jobs/{id}/input", getInput)
        add(&router, .get, "/v1/jobs/{id}/events", events)
        add(&router, .get, "/healthz") { _ in .json(raw: #"{"status":"ok"}"#) }
        add(&router, .get, "/readyz", readiness)
        add(&router, .get, "/metrics") { [manager, metrics] _ in
            .bytes(metrics.exposition(manager.counts()), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        add(&router, .get, "/version") { [classifier] _ in
            let tasks = TaskKind.allCases.filter { $0 != .preimage || classifier.isAvailable }
                .map { JSONString.quoted($0.rawValue) }.joined(separator: ",")
            let features = CPUFeatures.current.names.map(JSONString.quoted).joined(separator: ",")
            return .json(raw: #"{"name":"dipd","version":\#(JSONString.quoted(Self.version)),"api":"v1","tasks":[\#(tasks)],"kernels":\#(JSONString.quoted(InstructionSet.selected.rawValue)),"cpu_features":[\#(features)]}"#)
        }
        add(&router, .get, "/openapi.yaml") { _ in
            .bytes(Array(OpenAPIDocument.yaml.utf8), contentType: "application/yaml")
        }
        // The web page and its assets: public, like /openapi.yaml; what they call is behind the key.
        for path in WebPage.routes { add(&router, .get, path, WebPage.serve) }
        // CORS preflight for every path.
        let gate = AccessGate(configuration: configuration)
        for path in ["/v1/jobs", "/v1/jobs/{id}", "/v1/jobs/{id}/cancel", "/v1/jobs/{id}/snapshots",
                     "/v1/jobs/{id}/snapshots/{file}", "/v1/jobs/{id}/result.png", "/v1/jobs/{id}/input",
                     "/v1/jobs/{id}/events", "/healthz", "/readyz", "/metrics", "/version", "/openapi.yaml"] {
            router.on(.options, path) { request in gate.preflight(request) }
        }
        return router
    }

    /// Registers a route with the service's cross-cutting rules: the API key on `/v1`,
    /// CORS, JSON errors with CORS headers too, and request metrics.
    private func add(_ router: inout Router, _ method: HTTPMethod, _ path: String, bodyLimit: Int? = nil,
                     _ handler: @escaping @Sendable (Request) async throws -> Response) {
        let needsKey = path.hasPrefix("/v1/")
        let gate = AccessGate(configuration: configuration)
        let metrics = self.metrics
        router.on(method, path, bodyLimit: bodyLimit) { request in
            let start = ContinuousClock.now
            var response: Response
            do {
                if needsKey { try gate.authorize(request) }
                response = try await handler(request)
            } catch let error as HTTPError {
                response = .error(error)
            } catch let error as JobStoreUnavailable {
                response = .error(self.unavailable(error))
            }
            gate.addCORS(to: &response, for: request)
            let elapsed = ContinuousClock.now - start
            metrics.request(route: path, method: method.rawValue, status: response.status.code,
                            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
            return response
        }
    }

    // MARK: Handlers

    private func jobID(_ request: Request) throws(HTTPError) -> JobID {
        let raw = request.parameter("id") ?? ""
        guard let id = JobID(raw) else {
            throw HTTPError(.notFound, code: "job_not_found", message: "no job has the id \(raw.prefix(64)) (ids are 26 characters of a-z and 2-7)")
        }
        return id
    }

    private func found(_ id: JobID) throws -> JobSnapshot {
        guard let s = try manager.job(id) else { throw HTTPError(.notFound, code: "job_not_found", message: "no job \(id)") }
        return s
    }

    private func jobResponse(_ s: JobSnapshot, status: HTTPStatus = .ok) -> Response {
        .json(raw: views.json(s), status: status)
    }

    @Sendable private func submit(_ request: Request) async throws -> Response {
        let key = try idempotencyKey(request)
        if let key, let existing = try manager.existing(idempotencyKey: key) { return submitted(existing, status: .ok) }
        try admit()
        let limits = configuration.limits
        let parser = SpecParser(maxIterations: limits.maxIterations, maxSnapshots: limits.maxSnapshots)
        let submission = try Submission.parse(request, parser: parser, maxUploadBytes: limits.maxUploadBytes)
        let spec = submission.spec
        do {
            try TaskCatalog.check(spec, hasMask: submission.files[JobInputs.maskFile] != nil,
                                  hasGuide: submission.files[JobInputs.guideFile] != nil)
        } catch {
            throw Submission.invalid(error.field, error.problem)
        }
        let decoder = InputDecoder(limits)
        var decoded: [String: Image] = [:]
        for (role, bytes) in submission.files {
            do { decoded[role] = try decoder.decode(bytes, part: role) } catch { throw Self.httpError(error, limits: limits) }
        }
        let image = decoded[JobInputs.imageFile]!
        for role in [JobInputs.maskFile, JobInputs.guideFile] {
            if let other = decoded[role], other.width != image.width || other.height != image.height {
                throw HTTPError(.unprocessableContent, code: "invalid_input",
                                message: "\(role): is \(other.width)×\(other.height) but the image is \(image.width)×\(image.height)")
            }
        }
        let parameters: EffectiveParameters
        do {
            let inputs = JobInputs(image: ImageTensor(image), mask: try decoded[JobInputs.maskFile].map(ImageTensor.mask),
                                   guide: decoded[JobInputs.guideFile].map { ImageTensor($0) })
            // Building the task checks the inputs against it; the network itself is made only when the job runs.
            parameters = TaskCatalog.parameters(spec, try TaskCatalog.build(spec, inputs: inputs, threads: threadsPerWorker,
                                                                            classifier: classifier.make))
        } catch let e as SpecError {
            throw Submission.invalid(e.field, e.problem)
        } catch {
            throw HTTPError(.unprocessableContent, code: "invalid_input", message: "\(error)")
        }
        var files: [(file: String, bytes: [UInt8])] = []
        var names: [String: String] = [:]
        for (role, bytes) in submission.files.sorted(by: { $0.key < $1.key }) {
            let name = role + (ImageCodec.sniff(bytes) == .jpeg ? ".jpg" : ".png")
            files.append((name, bytes)); names[role] = name
        }
        let info = JobRecord.InputInfo(width: image.width, height: image.height, channels: image.channels >= 3 ? 3 : 1,
                                       hasAlpha: image.hasAlpha, files: names)
        let outcome: SubmitOutcome
        do {
            outcome = try manager.submit(idempotencyKey: key, inputs: files) { id, sequence in
                JobRecord(id: id, sequence: sequence, state: .queued, spec: spec, parameters: parameters, input: info,
                          idempotencyKey: key, createdAt: Date(), attempts: 0,
                          progress: .init(iteration: 0, total: parameters.iterations), snapshots: [])
            }
        } catch let rejection as JobRejection {
            throw rejectionError(rejection)
        } catch let e as JobStoreUnavailable {
            throw unavailable(e)
        }
        switch outcome {
        case .existing(let r):
            return submitted(r, status: .ok)
        case .created(let r):
            let client = ClientAddress.of(request, trusted: configuration.trustedProxies)
            logger.info("job \(r.id) queued: \(spec.task.rawValue) \(image.width)x\(image.height), \(parameters.iterations) iterations, from \(client)")
            return submitted(r, status: .accepted)
        }
    }

    /// The answer to a submission: the job as it is now (it may have started already), and where to find it.
    private func submitted(_ record: JobRecord, status: HTTPStatus) -> Response {
        var response = jobResponse((try? manager.job(record.id)) ?? nil ?? .init(record: record, queuePosition: nil, iterationsPerSecond: nil), status: status)
        response.headers.add(name: "Location", value: links.job(record.id))
        return response
    }

    /// 503 while the store cannot be reached: nothing was lost, the client may try again.
    private func unavailable(_ e: JobStoreUnavailable) -> HTTPError {
        logger.warning("\(e)")
        return HTTPError(.serviceUnavailable, code: "storage_unavailable", message: "the job store cannot be reached now; try again later",
                         headers: ["Retry-After": String(configuration.retryAfterSeconds)])
    }

    private func admit() throws(HTTPError) {
        do { try manager.admissionCheck() } catch { throw rejectionError(error) }
    }

    private func rejectionError(_ r: JobRejection) -> HTTPError {
        switch r {
        case .queueFull:
            return HTTPError(.tooManyRequests, code: "queue_full",
                             message: "the queue holds \(configuration.queueCapacity) jobs already; try again later",
                             headers: ["Retry-After": String(configuration.retryAfterSeconds)])
        case .draining:
            return HTTPError(.serviceUnavailable, code: "draining", message: "the service is shutting down and takes no new jobs",
                             headers: ["Retry-After": String(configuration.retryAfterSeconds)])
        }
    }

    static func httpError(_ f: InputDecoder.Failure, limits: ServiceConfiguration.Limits) -> HTTPError {
        switch f {
        case .notAnImage(let part):
            return HTTPError(.unsupportedMediaType, code: "unsupported_media_type", message: "\(part): is not a PNG or JPEG image")
        case let .tooLarge(part, w, h):
            return HTTPError(.contentTooLarge, code: "image_too_large",
                             message: "\(part): \(w)×\(h) is over the limit of \(limits.maxImagePixels) pixels or \(limits.maxImageSide) pixels a side")
        case let .corrupt(part, reason):
            return HTTPError(.unprocessableContent, code: "invalid_image", message: "\(part): \(reason)")
        }
    }

    private func idempotencyKey(_ request: Request) throws(HTTPError) -> String? {
        guard let key = request.headers["Idempotency-Key"] else { return nil }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw HTTPError(.badRequest, code: "invalid_idempotency_key", message: "Idempotency-Key must be 1 to 255 visible ASCII characters")
        }
        return key
    }

    @Sendable private func list(_ request: Request) async throws -> Response {
        for (name, _) in request.query.pairs where !["state", "limit", "cursor"].contains(name) {
            throw HTTPError(.unprocessableContent, code: "invalid_query", message: "\(name): unknown parameter (known: state, limit, cursor)")
        }
        var state: JobState?
        if let s = request.query["state"] {
            guard let v = JobState(rawValue: s) else {
                throw HTTPError(.unprocessableContent, code: "invalid_query", message: "state: must be one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            state = v
        }
        var limit = 20
        if let l = request.query["limit"] {
            guard let v = Int(l), (1...100).contains(v) else {
                throw HTTPError(.unprocessableContent, code: "invalid_query", message: "limit: must be an integer from 1 to 100")
            }
            limit = v
        }
        var after: UInt64?
        if let c = request.query["cursor"], !c.isEmpty {
            guard let v = UInt64(c) else { throw HTTPError(.unprocessableContent, code: "invalid_query", message: "cursor: not a cursor this service made") }
            after = v
        }
        let page = try manager.list(state: state, limit: limit, after: after)
        let jobs = page.jobs.map { views.json($0) }.joined(separator: ",")
        let next = page.more ? page.jobs.last.map { JSONString.quoted(String($0.record.sequence)) } ?? "null" : "null"
        return .json(raw: #"{"jobs":[\#(jobs)],"next_cursor":\#(next)}"#)
    }

    @Sendable private func getJob(_ request: Request) async throws -> Response {
        let id = try jobID(request)
        var s = try found(id)
        if let wait = Self.preferWait(request.headers["Prefer"], max: configuration.limits.maxWaitSeconds), !s.record.state.isFinished {
            s = try await manager.waitUntilFinished(id, timeout: .seconds(wait)) ?? s
            var r = jobResponse(s)
            r.headers.add(name: "Preference-Applied", value: "wait=\(wait)")
            return r
        }
        return jobResponse(s)
    }

    /// `Prefer: wait=N` (RFC 7240), clamped to the configured maximum.
    static func preferWait(_ header: String?, max: Int) -> Int? {
        guard let header else { return nil }
        for item in header.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "wait", let n = Int(pair[1]), n >= 0 { return min(n, max) }
        }
        return nil
    }

    @Sendable private func deleteJob(_ request: Request) async throws -> Response {
        let id = try jobID(request)
        guard try manager.delete(id) else { throw HTTPError(.notFound, code: "job_not_found", message: "no job \(id)") }
        return Response(status: .noContent)
    }

    @Sendable private func cancelJob(_ request: Request) async throws -> Response {
        let id = try jobID(request)
        guard let s = try await manager.cancel(id) else { throw HTTPError(.notFound, code: "job_not_found", message: "no job \(id)") }
        return jobResponse(s)
    }

    @Sendable private func listSnapshots(_ request: Request) async throws -> Response {
        let id = try jobID(request)
        let s = try found(id)
        let items = s.record.snapshots.map { JobView.snapshotJSON($0, url: links.snapshot(id, $0.iteration)) }
        return .json(raw: #"{"snapshots":[\#(items.joined(separator: ","))]}"#)
    }

    @Sendable private func getSnapshot(_ request: Request) async throws -> Response {
        let id = try jobID(request)
        let s = try found(id)
        let file = request.parameter("file") ?? ""
        guard file.hasSuffix(".png"), let n = Int(file.dropLast(4)), file.count <= 13, n >= 0,
              let info = s.record.snapshots.first(where: { $0.iteration == n }) else {
            throw HTTPError(.notFound, code: "snapshot_not_found", message: "job \(id) has no snapshot \(file.prefix(40))")
        }
        return try png(request, etag: info.etag) { try $0.readSnapshot(id, iteration: n) }
    }

    @Sendable private func getResult(_ request: Request) async throws -> Response {
        let id = try jobID(request)
        let s = try found(id)
        guard let result = s.record.result else {
            let why: String
            switch s.record.state {
            case .queued: why = "the job is queued"
            case .running: why = "the job is running (iteration \(s.record.progress.iteration) of \(s.record.progress.total))"
            case .failed: why = "the job failed: \(s.record.error?.message ?? "unknown error")"
            case .canceled: why = "the job was canceled before its first iteration"
            case .succeeded: why = "the job has no result"
            }
            throw HTTPError(.conflict, code: "result_not_ready", message: why)
        }
        return try png(request, etag: result.etag) { try $0.readResult(id) }
    }

    /// The uploaded image as it was sent (PNG or JPEG), so that a client can show the
    /// input beside the result without having kept it.
    @Sendable private func getInput(_ request: Request) async throws -> Response {
        let id = try jobID(request)
        let s = try found(id)
        guard let file = s.record.input.files[JobInputs.imageFile] else {
            throw HTTPError(.notFound, code: "file_not_found", message: "job \(id) keeps no input image")
        }
        // The stored file never changes: its name and the job make a stable tag.
        let etag = "\"\(id)-\(file)\""
        return try png(request, etag: etag, contentType: file.hasSuffix(".jpg") ? "image/jpeg" : "image/png") {
            try $0.read(id, file: file)
        }
    }

    private func png(_ request: Request, etag: String, contentType: String = "image/png",
                     _ load: (any JobStore) throws -> [UInt8]) throws -> Response {
        var headers: HTTPHeaders = ["ETag": etag, "Cache-Control": "private, max-age=3600"]
        if let match = request.headers["If-None-Match"], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag || $0 == "*" }) {
            return Response(status: .notModified, headers: headers)
        }
        let bytes: [UInt8]
        do { bytes = try load(manager.store) } catch let e as JobStoreUnavailable {
            throw unavailable(e)
        } catch {
            throw HTTPError(.notFound, code: "file_not_found", message: "the image is no longer stored")
        }
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        return Response(status: .ok, headers: headers, body: .bytes(bytes))
    }

    @Sendable private func events(_ request: Request) async throws -> Response {
        let id = try jobID(request)
        let lastID = request.headers["Last-Event-ID"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard let subscription = try manager.subscribe(id, lastEventID: lastID) else {
            throw HTTPError(.notFound, code: "job_not_found", message: "no job \(id)")
        }
        let links = self.links
        @Sendable func send(_ e: JobEvent, _ events: EventStream) async throws {
            try await events.send(event: e.kind.rawValue, data: JobEventView.data(e, of: id, links: links), id: String(e.id))
        }
        return .eventStream { events in
            defer { subscription.unsubscribe() }
            for e in subscription.initial { try await send(e, events) }
            guard let stream = subscription.live else { return }
            if subscription.initial.contains(where: { $0.kind.endsStream }) { return }
            // Live events, with a comment line every 15 s so that proxies keep the stream open.
            enum Item: Sendable { case event(JobEvent), heartbeat }
            let (merged, continuation) = AsyncStream<Item>.makeStream()
            let forward = Task {
                for await e in stream { continuation.yield(.event(e)) }
                continuation.finish()
            }
            let beat = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(15))
                    continuation.yield(.heartbeat)
                }
            }
            defer { forward.cancel(); beat.cancel(); continuation.finish() }
            for await item in merged {
                switch item {
                case .event(let e):
                    try await send(e, events)
                    if e.kind.endsStream { return }
                case .heartbeat:
                    try await events.heartbeat()
                }
            }
        }
    }

    @Sendable private func readiness(_ request: Request) async throws -> Response {
        let c = manager.counts()
        let status = c.draining ? "draining" : c.queued >= configuration.queueCapacity ? "busy" : "ready"
        return .json(raw: #"{"status":"\#(status)","queued":\#(c.queued),"running":\#(c.running),"queue_capacity":\#(configuration.queueCapacity)}"#,
                     status: status == "ready" ? .ok : .serviceUnavailable)
    }
}
