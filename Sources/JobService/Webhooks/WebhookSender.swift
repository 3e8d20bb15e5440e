import Foundation
import Logging
import Synchronization

/// Sends due deliveries: a few threads, each claiming the delivery due first, trying it
/// once and saving how it went (delivered, due again after a backoff, or given up). A job's
/// deliveries go one at a time, in order (the store hands out only a job's first pending one).
final class WebhookSender: Sendable {
    let store: any DeliveryStore
    let client: WebhookClient
    let signer: WebhookSigner
    let policy: RetryPolicy
    let metrics: ServiceMetrics
    let logger: Logger
    let threads: Int
    /// Longest sleep between looks at the store (deliveries another service added, due retries).
    let idlePoll: Duration
    private let signal: WorkSignal
    private let stopped = Mutex(false)
    private let done = DispatchGroup()
    private let now: @Sendable () -> Date

    init(store: any DeliveryStore, client: WebhookClient, signer: WebhookSigner, policy: RetryPolicy,
         metrics: ServiceMetrics, logger: Logger, signal: WorkSignal, threads: Int = 2, idlePoll: Duration = .seconds(1),
         now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store; self.client = client; self.signer = signer; self.policy = policy
        self.metrics = metrics; self.logger = logger; self.signal = signal; self.threads = threads
        self.idlePoll = idlePoll; self.now = now
    }

    /// A sender holds a delivery this long: longer than an attempt can take.
    var leaseSeconds: Int { Int((client.connectTimeout + client.timeout).seconds.rounded(.up)) + 30 }

    func start() {
        for n in 0..<threads {
            done.enter()
            let thread = Thread { [self] in
                defer { done.leave() }
                while !stopped.withLock({ $0 }) {
                    let seen = signal.current
                    if attemptNext() { continue }
                    signal.wait(past: seen, timeout: sleep())
                }
            }
            thread.name = "dipd-webhooks-\(n)"
            thread.start()
        }
    }

    /// Stops the threads, waiting up to `timeout` for an attempt in progress (one left
    /// unfinished is tried again: its lease expires).
    func stop(timeout: Duration = .seconds(2)) {
        stopped.withLock { $0 = true }
        signal.notifyAll()
        _ = done.wait(timeout: .now() + timeout.seconds)
    }

    /// How long to sleep: until the next delivery is due, `idlePoll` at most.
    private func sleep() -> Duration {
        guard let due = try? store.nextDue() else { return idlePoll }
        let left = due.timeIntervalSince(now())
        return left <= 0 ? .milliseconds(10) : min(idlePoll, .milliseconds(Int(left * 1000) + 1))
    }

    /// Claims the delivery due first and tries it once. False when none is due.
    @discardableResult
    func attemptNext() -> Bool {
        let claimed: Delivery?
        do { claimed = try store.claim(now: now(), leaseSeconds: leaseSeconds) } catch {
            logger.warning("webhook deliveries cannot be read now: \(error)")
            return false
        }
        guard let delivery = claimed else { return false }
        let body = Array(delivery.body.utf8)
        let timestamp = Int(now().timeIntervalSince1970)
        let outcome = client.post(delivery.url, headers: [
            ("Content-Type", "application/json"),
            ("Webhook-Id", delivery.id),
            ("Webhook-Timestamp", String(timestamp)),
            ("Webhook-Signature", signer.signature(id: delivery.id, timestamp: timestamp, body: body)),
        ], body: body)
        let after = delivery.after(outcome, at: now(), policy: policy)
        metrics.webhookAttempt(outcome: outcome.label)
        switch after.state {
        case .delivered: metrics.webhookFinished(outcome: "delivered")
        case .failed:
            metrics.webhookFinished(outcome: "failed")
            logger.warning("job \(delivery.job): webhook \(delivery.event.rawValue) given up after \(after.attempts) attempts: \(after.lastError ?? "")")
        case .pending:
            logger.info("job \(delivery.job): webhook \(delivery.event.rawValue) attempt \(after.attempts) failed (\(after.lastError ?? "")); next in \(Int(after.nextAttemptAt.timeIntervalSince(now()).rounded())) s")
        }
        do { try store.finishAttempt(after) } catch {
            logger.warning("job \(delivery.job): webhook delivery \(delivery.id) not saved: \(error)")
        }
        return true
    }
}
