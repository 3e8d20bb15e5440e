import Foundation
import Logging
import Testing
@testable import JobService

/// The delivery stores: in order per job, one sender at a time, what a restart reads back.
@Suite("delivery stores", .serialized)
struct DeliveryStoreTests {
    static func delivery(_ job: JobID, _ n: Int, at date: Date) -> Delivery {
        Delivery(job: job, sequence: 0, event: .snapshot, url: "http://h.example/", body: #"{"n":\#(n)}"#, createdAt: date)
    }

    @Test func theFileStoreKeepsDeliveriesAcrossARestart() throws {
        let root = try temporaryDirectory("dipd-deliveries").path
        let jobs = try FileJobStore(root: root, logger: Logger(label: "test"))
        let id = JobID.random()
        try jobs.create(FileJobStoreTests.record(id), inputs: [])
        let store = FileDeliveryStore(jobsDirectory: jobs.jobsDirectory)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for n in 1...2 { _ = try store.add(Self.delivery(id, n, at: now)) }
        let first = try #require(try store.claim(now: now, leaseSeconds: 30))
        #expect(first.sequence == 1)
        #expect(try store.claim(now: now, leaseSeconds: 30) == nil)
        try store.finishAttempt(first.after(.rejected(status: 500), at: now, policy: RetryPolicy(maxAttempts: 3, first: 5, max: 5)))

        let reopened = FileDeliveryStore(jobsDirectory: jobs.jobsDirectory)
        let read = try reopened.deliveries(id)
        #expect(read.map(\.sequence) == [1, 2])
        #expect(read.first?.attempts == 1 && read.first?.lastStatus == 500)
        #expect(try reopened.claim(now: now, leaseSeconds: 30) == nil)      // the first is not due yet, the second waits for it
        #expect(try reopened.claim(now: now + 5, leaseSeconds: 30)?.sequence == 1)
        jobs.delete(id)
        #expect(try reopened.claim(now: now + 60, leaseSeconds: 30) == nil)
    }

    @Test func postgresClaimsEachDeliveryForOneServiceInOrder() throws {
        let server = try TemporaryPostgres()
        defer { server.stop() }
        let a = try PostgresJobStore(url: server.url, owner: "a", logger: Logger(label: "test"))
        let b = try PostgresJobStore(url: server.url, owner: "b", logger: Logger(label: "test"))
        let id = JobID.random()
        try a.create(FileJobStoreTests.record(id), inputs: [])
        let past = Date() - 60
        for n in 1...2 { #expect(try a.add(Self.delivery(id, n, at: past)).sequence == n) }
        let first = try #require(try a.claim(now: Date(), leaseSeconds: 30))
        #expect(first.sequence == 1)
        #expect(try b.claim(now: Date(), leaseSeconds: 30) == nil)
        #expect(throws: DeliveryLeaseLost.self) { try b.finishAttempt(first) }
        try a.finishAttempt(first.after(.delivered(status: 204), at: Date(), policy: RetryPolicy(maxAttempts: 3, first: 1, max: 1)))
        #expect(try b.claim(now: Date(), leaseSeconds: 30)?.sequence == 2)
        #expect(try a.deliveries(id).map(\.state) == [.delivered, .pending])
        a.delete(id)
        #expect(try a.deliveries(id).isEmpty)
    }
}
