import DIPEngine
import Foundation
import HTTPServer
import Logging

/// The job service: sets up the store, the job manager, the workers, the retention sweep
/// and the metrics, and makes the router of the HTTP API described in `openapi.yaml`.
public final class DIPService: Sendable {
    public static let version = "0.2.0"

    public let configuration: ServiceConfiguration
    let manager: any JobScheduler
    let assembler: TileAssembler
    let metrics: ServiceMetrics
    let links: LinkBuilder
    let views: JobViewCache
    let logger: Logger
    private let pool: WorkerPool
    /// The retention sweep's timer: made and activated at once (Dispatch traps when a source
    /// that was never activated is released), first due when `start()` schedules it.
    /// Sound to share: a dispatch source's schedule and cancel may be called from any thread.
    nonisolated(unsafe) private let sweeper: DispatchSourceTimer
    public let workers: Int
    public let threadsPerWorker: Int
    let classifier: ClassifierProvider
    /// Webhook deliveries: queued by the scheduler's events, sent (when a secret is set) by the sender.
    let deliveries: any DeliveryStore
    let sender: WebhookSender?

    public init(configuration: ServiceConfiguration, logger: Logger,
                cores: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        self.configuration = configuration
        self.logger = logger
        do { try Precision.select(Precision.named(configuration.precision)) } catch {
            throw StartupError(description: "precision: \(error)", exitStatus: 64)
        }
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
            do {
                store = try PostgresJobStore(url: configuration.databaseURL, owner: owner,
                                             listenerReconnectDelay: .seconds(configuration.listenerReconnectSeconds), logger: logger)
            } catch {
                throw StartupError.database(error)
            }
        } else {
            do { store = try FileJobStore(root: configuration.dataDirectory, logger: logger) } catch {
                throw StartupError.dataDirectory(configuration.dataDirectory, error)
            }
        }
        if let postgres = store as? PostgresJobStore {
            deliveries = postgres
        } else if let files = store as? FileJobStore {
            deliveries = FileDeliveryStore(jobsDirectory: files.jobsDirectory)
        } else {
            deliveries = InMemoryDeliveryStore()
        }
        let outbox = WebhookOutbox(store: deliveries, links: links,
                                   snapshotInterval: TimeInterval(configuration.webhookSnapshotIntervalSeconds),
                                   metrics: metrics, logger: logger)
        sender = Self.makeSender(configuration, deliveries: deliveries, signal: outbox.added, metrics: metrics, logger: logger)
        // The scheduler is chosen once, by the store: shared with other services, or this one's own.
        // Tiled jobs are middleware over either.
        let scheduler: any JobScheduler
        if let shared = store as? any SharedJobStore {
            scheduler = SharedScheduler(store: shared, configuration: configuration, metrics: metrics, logger: logger, notifier: outbox)
        } else {
            scheduler = LocalScheduler(store: store, configuration: configuration, metrics: metrics, logger: logger, notifier: outbox)
        }
        assembler = TileAssembler(store: store, decoder: InputDecoder(configuration.limits))
        manager = TiledScheduler(scheduler, assembler: assembler)
        (workers, threadsPerWorker) = configuration.resolvedWorkers(cores: cores)
        do { classifier = try ClassifierProvider(weightsPath: configuration.preimageWeights) } catch {
            throw StartupError.weights(error)
        }
        sweeper = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "dipd.retention"))
        sweeper.setEventHandler { [manager] in _ = manager.sweepExpired() }
        sweeper.schedule(deadline: .distantFuture)
        sweeper.activate()
        pool = WorkerPool(manager: manager,
                          runner: JobRunner(manager: manager, threads: threadsPerWorker, classifier: classifier,
                                             decoder: InputDecoder(configuration.limits)),
                          workers: workers, nice: configuration.workerNice)
    }

    /// The webhook sender, or nil without a `webhook_secret` (jobs that name a webhook are
    /// then refused; deliveries stored by an earlier run wait for a secret).
    static func makeSender(_ c: ServiceConfiguration, deliveries: any DeliveryStore, signal: WorkSignal,
                           metrics: ServiceMetrics, logger: Logger) -> WebhookSender? {
        guard !c.webhookSecret.isEmpty else { return nil }
        var tls: TLSClientContext?
        do { tls = try TLSClientContext() } catch { logger.warning("https webhooks cannot be sent: \(error)") }
        let client = WebhookClient(policy: AddressPolicy(allowed: c.webhookAllowedNetworks.compactMap(IPNetwork.init)),
                                   connectTimeout: .seconds(c.webhookConnectTimeoutSeconds), timeout: .seconds(c.webhookTimeoutSeconds),
                                   maxResponseBytes: c.webhookMaxResponseBytes, tls: tls)
        let policy = RetryPolicy(maxAttempts: c.webhookMaxAttempts, first: TimeInterval(c.webhookFirstBackoffMilliseconds) / 1000,
                                 max: TimeInterval(c.webhookMaxBackoffSeconds))
        return WebhookSender(store: deliveries, client: client, signer: WebhookSigner(secret: c.webhookSecret), policy: policy,
                             metrics: metrics, logger: logger, signal: signal)
    }

    /// Reloads stored jobs, starts the workers, the webhook sender and the retention sweep.
    public func start() {
        manager.start()
        sender?.start()
        _ = manager.sweepExpired()
        pool.start()
        let interval = max(1, configuration.sweepIntervalSeconds)
        sweeper.schedule(deadline: .now() + .seconds(interval), repeating: .seconds(interval))
        logger.info("dipd \(Self.version): \(workers) worker(s) × \(threadsPerWorker) engine thread(s), \(InstructionSet.selected) kernels in \(Precision.selected.resolved(for: InstructionSet.selected)) (precision \(Precision.selected)) (\(CPUFeatures.current)), jobs in \(manager.store.location)")
    }

    /// Takes no new jobs (503); running fits stop between two layers and are saved as
    /// queued, to run again on the next start.
    public func drain() {
        manager.beginDraining()
        let clean = pool.stop(timeout: .seconds(configuration.shutdownGraceSeconds))
        sweeper.cancel()
        sender?.stop()
        manager.stop()
        logger.info(clean ? "workers stopped; running jobs saved as queued" : "workers still busy after the grace time; their jobs run again on restart")
    }

    // MARK: Routes

    /// The HTTP API: the service's rules around every route (outermost first), then the
    /// routes by resource.
    public func makeRouter() -> Router {
        var router = Router()
        router.use(MetricsMiddleware(metrics: metrics))
        router.use(CORSMiddleware.service(configuration))
        router.use(ErrorMiddleware())
        router.use(StoreOutageMiddleware(retryAfterSeconds: configuration.retryAfterSeconds, logger: logger))
        router.use(AuthenticationMiddleware(gate: AccessGate(configuration: configuration)))
        JobRoutes(jobs: manager, configuration: configuration, views: views, links: links, classifier: classifier,
                  threadsPerWorker: threadsPerWorker, logger: logger).register(on: &router)
        JobFileRoutes(jobs: manager, links: links, assembler: assembler).register(on: &router)
        DeliveryRoutes(jobs: manager, deliveries: deliveries).register(on: &router)
        EventRoutes(jobs: manager, links: links, heartbeat: .seconds(configuration.sseHeartbeatSeconds)).register(on: &router)
        OperationsRoutes(jobs: manager, metrics: metrics, queueCapacity: configuration.queueCapacity,
                         classifier: classifier).register(on: &router)
        WebRoutes().register(on: &router)
        return router
    }
}
