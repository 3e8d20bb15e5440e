import DIPTasks
import Foundation
import HTTPServer
import Logging
import Synchronization
import Testing
@testable import JobService

/// Webhooks without the service around them: the spec's fields, the signature, the address
/// check, the retry policy, and the sender against a receiver on 127.0.0.1.
@Suite("webhooks", .serialized)
struct WebhookTests {
    static let logger = Logger(label: "test")
    static let loopback = AddressPolicy(allowed: [IPNetwork("127.0.0.0/8")!])

    /// A clock the test moves.
    final class Clock: Sendable {
        private let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var now: Date { time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
    }

    static func client(_ policy: AddressPolicy = loopback) -> WebhookClient {
        WebhookClient(policy: policy, connectTimeout: .seconds(2), timeout: .seconds(5), maxResponseBytes: 4096, tls: nil)
    }

    static func sender(_ store: any DeliveryStore, clock: Clock, secret: String = "s3cret", signal: WorkSignal = WorkSignal()) -> WebhookSender {
        WebhookSender(store: store, client: client(), signer: WebhookSigner(secret: secret),
                      policy: RetryPolicy(maxAttempts: 4, first: 1, max: 60), metrics: ServiceMetrics(), logger: logger,
                      signal: signal, idlePoll: .milliseconds(20), now: { clock.now })
    }

    static func job(webhook: String, events: [WebhookEvent]? = nil) -> JobSnapshot {
        var r = FileJobStoreTests.record(JobID.random())
        r.spec.webhook = webhook
        r.spec.webhookEvents = events
        return JobSnapshot(record: r, queuePosition: nil, iterationsPerSecond: nil)
    }

    /// Verifies a received request's signature as a receiver would.
    static func verifies(_ r: WebhookReceiver.Received, secret: String) -> Bool {
        guard let id = r.headers["Webhook-Id"], let ts = r.headers["Webhook-Timestamp"].flatMap(Int.init),
              let signature = r.headers["Webhook-Signature"] else { return false }
        return WebhookSigner(secret: secret).signature(id: id, timestamp: ts, body: r.body) == signature
    }

    // MARK: The spec

    @Test func specFieldsAreCheckedAtSubmission() throws {
        let parser = SpecParser(maxIterations: 1000, maxSnapshots: 100)
        func parse(_ json: String) throws(SpecError) -> TaskSpec { try parser.parse(json: Array(json.utf8)) }
        let spec = try parse(#"{"task":"denoise","webhook":"https://hooks.example.com/dip?x=1"}"#)
        #expect(spec.webhook == "https://hooks.example.com/dip?x=1" && spec.notifiedEvents == [.completed])
        let all = try parse(#"{"task":"denoise","webhook":"http://h.example/","webhook_events":["started","snapshot","completed"]}"#)
        #expect(all.notifiedEvents == [.started, .snapshot, .completed])
        #expect(try parser.parse(text: [(name: "task", value: "denoise"), (name: "webhook", value: "http://h.example/"), (name: "webhook_events", value: "started, completed")])
            .notifiedEvents == [.started, .completed])
        for (json, field) in [
            (#"{"task":"denoise","webhook":"ftp://h.example/"}"#, "webhook"),
            (#"{"task":"denoise","webhook":"http:///path"}"#, "webhook"),
            (#"{"task":"denoise","webhook":"http://user:pw@h.example/"}"#, "webhook"),
            (#"{"task":"denoise","webhook":"http://h.example/\#(String(repeating: "a", count: 2100))"}"#, "webhook"),
            (#"{"task":"denoise","webhook":7}"#, "webhook"),
            (#"{"task":"denoise","webhook":"http://h.example/","webhook_events":["finished"]}"#, "webhook_events"),
            (#"{"task":"denoise","webhook":"http://h.example/","webhook_events":[]}"#, "webhook_events"),
            (#"{"task":"denoise","webhook_events":["completed"]}"#, "webhook_events"),
        ] {
            #expect(throws: SpecError.self, "\(json)") { try parse(json) }
            do { _ = try parse(json) } catch { #expect(error.field == field, "\(json): \(error)") }
        }
    }

    @Test func urlsAreTakenApart() throws {
        let v6 = try #require(WebhookTarget("http://[::1]:8080/a/b?c=1"))
        #expect(!v6.secure && v6.host == "::1" && v6.port == 8080 && v6.requestTarget == "/a/b?c=1")
        #expect(v6.hostHeader == "[::1]:8080")
        let tls = try #require(WebhookTarget("https://hooks.example.com"))
        #expect(tls.port == 443 && tls.requestTarget == "/" && tls.hostHeader == "hooks.example.com")
        #expect(WebhookTarget("mailto:a@b") == nil)
    }

    // MARK: Signature

    @Test func hmacIsSHA256() {
        // RFC 4231, test case 2.
        let mac = WebhookSigner.hmacSHA256(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
        #expect(mac.map { String(format: "%02x", $0) }.joined() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // A whsec_ secret is its base64 part, decoded.
        #expect(WebhookSigner(secret: "whsec_" + Data("Jefe".utf8).base64EncodedString()).key == Array("Jefe".utf8))
        let signer = WebhookSigner(secret: "Jefe")
        #expect(signer.signature(id: "msg_1", timestamp: 1, body: Array("{}".utf8))
            == "v1," + Data(WebhookSigner.hmacSHA256(key: Array("Jefe".utf8), Array("msg_1.1.{}".utf8))).base64EncodedString())
    }

    // MARK: Addresses

    @Test func onlyGlobalAddressesArePermittedUnlessAllowed() throws {
        for text in ["127.0.0.1", "10.0.0.1", "169.254.169.254", "172.16.5.4", "192.168.1.1", "100.64.0.1", "0.0.0.0",
                     "224.0.0.1", "255.255.255.255", "198.18.0.1", "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1",
                     "::ffff:127.0.0.1", "::ffff:10.1.2.3", "64:ff9b::a00:1", "2001:db8::1", "2002:a00:1::1"] {
            #expect(!AddressPolicy.isGlobal(try #require(IPAddress(text))), "\(text)")
        }
        for text in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"] {
            #expect(AddressPolicy.isGlobal(try #require(IPAddress(text))), "\(text)")
        }
        let policy = AddressPolicy(allowed: ["127.0.0.0/8", "::1"].compactMap(IPNetwork.init))
        #expect(policy.permits(IPAddress("127.0.0.1")!) && policy.permits(IPAddress("::1")!))
        #expect(!policy.permits(IPAddress("10.0.0.1")!) && !policy.permits(IPAddress("169.254.169.254")!))
        #expect(IPNetwork("10.0.0.0/33") == nil && IPNetwork("example.com") == nil && IPNetwork("fc00::/7") != nil)
    }

    @Test func refusedAddressesAreNeverConnectedTo() async throws {
        let client = Self.client(AddressPolicy())
        for host in ["127.0.0.1", "10.0.0.1", "169.254.169.254", "[::1]", "localhost"] {
            let target = try #require(WebhookTarget("http://\(host):9/hook"))
            guard case .failure(let why) = client.addresses(target) else { Issue.record("\(host) permitted"); continue }
            #expect(why.description.contains("refused"), "\(host): \(why)")
        }
        // A receiver on loopback gets nothing from a client that does not allow loopback.
        let receiver = try WebhookReceiver()
        let outcome = client.post(receiver.url, headers: [], body: Array("{}".utf8))
        guard case .failed(let why) = outcome else { Issue.record("\(outcome)"); return }
        #expect(why.contains("refused"))
        usleep(100_000)
        #expect(receiver.requests.isEmpty)
        await receiver.stop()
    }

    // MARK: Retries and order

    @Test func backoffDoublesUpToItsMaximum() {
        let policy = RetryPolicy(maxAttempts: 6, first: 1, max: 10)
        #expect((1...5).map(policy.backoff(afterAttempt:)) == [1, 2, 4, 8, 10])
    }

    @Test func serverErrorsAreRetriedUntilDeliveredAndTheSignatureVerifies() async throws {
        let receiver = try WebhookReceiver { $0 <= 2 ? .internalServerError : .noContent }
        let clock = Clock()
        let store = InMemoryDeliveryStore()
        let sender = Self.sender(store, clock: clock)
        let job = JobID.random()
        let added = try store.add(Delivery(job: job, sequence: 0, event: .completed, url: receiver.url, body: #"{"type":"completed"}"#,
                                           createdAt: clock.now))
        #expect(sender.attemptNext())
        #expect(!sender.attemptNext())              // not due before its backoff
        clock.advance(1)
        #expect(sender.attemptNext())
        var d = try #require(try store.deliveries(job).first)
        #expect(d.state == .pending && d.attempts == 2 && d.lastStatus == 500 && d.nextAttemptAt == clock.now + 2)
        clock.advance(2)
        #expect(sender.attemptNext())
        d = try #require(try store.deliveries(job).first)
        #expect(d.state == .delivered && d.attempts == 3 && d.lastStatus == 204 && d.deliveredAt == clock.now)
        #expect(try store.nextDue() == nil)

        let got = receiver.requests
        #expect(got.map(\.status) == [500, 500, 204])
        #expect(Set(got.compactMap { $0.headers["Webhook-Id"] }) == [added.id])
        #expect(got.allSatisfy { $0.headers["Content-Type"] == "application/json" && $0.body == Array(#"{"type":"completed"}"#.utf8) })
        #expect(got.allSatisfy { Self.verifies($0, secret: "s3cret") })
        #expect(!got.contains { Self.verifies($0, secret: "another") })
        await receiver.stop()
    }

    @Test func aDeliveryIsGivenUpAfterItsLastAttempt() async throws {
        let receiver = try WebhookReceiver { _ in .serviceUnavailable }
        let clock = Clock()
        let store = InMemoryDeliveryStore()
        let sender = Self.sender(store, clock: clock)
        let job = JobID.random()
        _ = try store.add(Delivery(job: job, sequence: 0, event: .completed, url: receiver.url, body: "{}", createdAt: clock.now))
        for _ in 0..<4 { #expect(sender.attemptNext()); clock.advance(100) }
        #expect(!sender.attemptNext())
        let d = try #require(try store.deliveries(job).first)
        #expect(d.state == .failed && d.attempts == 4 && d.lastError == "HTTP 503")
        await receiver.stop()
    }

    @Test func redirectsAreNotFollowed() async throws {
        let receiver = try WebhookReceiver { _ in 302 }
        let outcome = Self.client().post(receiver.url, headers: [], body: Array("{}".utf8))
        #expect(outcome == .rejected(status: 302))
        usleep(100_000)
        #expect(receiver.requests.count == 1)
        await receiver.stop()
    }

    @Test func aJobsDeliveriesGoOneAtATimeInOrder() async throws {
        let receiver = try WebhookReceiver { $0 == 1 ? .internalServerError : .noContent }
        let clock = Clock()
        let store = InMemoryDeliveryStore()
        let outbox = WebhookOutbox(store: store, links: LinkBuilder(publicBaseURL: ""), snapshotInterval: 60,
                                   metrics: ServiceMetrics(), logger: Self.logger, now: { clock.now })
        var job = Self.job(webhook: receiver.url, events: [.started, .snapshot, .completed])
        outbox.notify(.started, job)
        job.record.snapshots = [.init(iteration: 5, loss: 0.1, psnrInput: 20, etag: "\"5\"")]
        outbox.notify(.snapshot, job)
        job.record.snapshots.append(.init(iteration: 10, loss: 0.1, psnrInput: 20, etag: "\"10\""))
        outbox.notify(.snapshot, job)               // within the snapshot interval: none
        job.record.state = .succeeded
        outbox.notify(.completed, job)
        // A job that asks only for `completed` gets no `started`.
        outbox.notify(.started, Self.job(webhook: receiver.url))
        #expect(try store.deliveries(job.record.id).map(\.event) == [.started, .snapshot, .completed])
        #expect(try store.deliveries(job.record.id).map(\.sequence) == [1, 2, 3])

        let sender = Self.sender(store, clock: clock)
        // The first fails: the job's later deliveries wait for it, however long it takes.
        #expect(sender.attemptNext())
        #expect(!sender.attemptNext())
        clock.advance(1)
        while sender.attemptNext() {}
        let got = receiver.requests
        #expect(got.map(\.type) == ["started", "started", "snapshot", "completed"])
        #expect(got.allSatisfy { $0.jobID == job.record.id.rawValue })
        #expect((got[2].json["snapshot"] as? [String: Any])?["iteration"] as? Int == 5)
        #expect(((got[3].json["data"] as? [String: Any])?["state"] as? String) == "succeeded")
        await receiver.stop()
    }

    // MARK: Several services

    @Test func onSharedStoresEachDeliveryIsSentByOneServiceOnce() async throws {
        let receiver = try WebhookReceiver()
        let table = InMemoryDeliveryStore.Table()
        let a = InMemoryDeliveryStore(table: table, owner: "a"), b = InMemoryDeliveryStore(table: table, owner: "b")
        let now = Date()
        let jobs = [JobID.random(), JobID.random()]
        for n in 1...5 {
            for job in jobs {
                _ = try a.add(Delivery(job: job, sequence: 0, event: .snapshot, url: receiver.url,
                                       body: #"{"type":"snapshot","data":{"id":"\#(job)"},"n":\#(n)}"#, createdAt: now))
            }
        }
        // A held delivery is no one else's, and holds its job's later ones back.
        let held = try #require(try a.claim(now: now, leaseSeconds: 30))
        let other = try #require(try b.claim(now: now, leaseSeconds: 30))
        #expect(held.sequence == 1 && other.sequence == 1 && held.job != other.job)
        #expect(try b.claim(now: now, leaseSeconds: 30) == nil)
        // Past its lease, another service may take it.
        #expect(try b.claim(now: now + 31, leaseSeconds: 30)?.id == held.id)
        #expect(throws: DeliveryLeaseLost.self) { try a.finishAttempt(held) }
        table.rows.withLock { rows in for i in rows.indices { rows[i].leaseOwner = nil; rows[i].leaseExpires = nil } }

        // Two services' senders, two threads each, against the same deliveries.
        let senders = [a, b].map { store in
            WebhookSender(store: store, client: Self.client(), signer: WebhookSigner(secret: "s3cret"),
                          policy: RetryPolicy(maxAttempts: 3, first: 1, max: 1), metrics: ServiceMetrics(), logger: Self.logger,
                          signal: WorkSignal(), idlePoll: .milliseconds(10))
        }
        for s in senders { s.start() }
        receiver.wait(for: 10)
        usleep(300_000)
        for s in senders { s.stop() }
        let got = receiver.requests
        #expect(got.count == 10)
        #expect(Set(got.compactMap { $0.headers["Webhook-Id"] }).count == 10)
        for job in jobs {
            #expect(got.filter { $0.jobID == job.rawValue }.map { $0.json["n"] as? Int } == [1, 2, 3, 4, 5])
        }
        #expect(try jobs.flatMap { try a.deliveries($0) }.allSatisfy { $0.state == .delivered })
        await receiver.stop()
    }
}
