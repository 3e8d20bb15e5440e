import Foundation
import Logging
import Testing
@testable import JobService

/// Several dipd services on one PostgreSQL, as behind a load balancer: they share the
/// queue, the jobs, their files and their events, and a job whose service dies goes on
/// elsewhere from its checkpoint. Leases are 5 s here so that a takeover comes quickly.
@Suite("replicas on one PostgreSQL", .serialized)
struct ReplicaTests {
    static let smallNetwork = EndToEndTests.smallNetwork

    static func replicas(_ n: Int, _ server: TemporaryPostgres, lease: Int = 5) throws -> [Dipd] {
        try (0..<n).map {
            try Dipd(environment: ["DIPD_DATABASE_URL": server.url, "DIPD_REPLICA_ID": "replica-\($0)",
                                   "DIPD_LEASE_SECONDS": String(lease), "DIPD_CHECKPOINT_SECONDS": "1",
                                   "DIPD_WORKERS": "1", "DIPD_THREADS_PER_WORKER": "1"])
        }
    }

    /// The lease history, straight from the database.
    static func leases(_ server: TemporaryPostgres) throws -> [PostgresJobStore.Lease] {
        try PostgresJobStore(url: server.url, logger: Logger(label: "test")).leases()
    }

    /// No job was ever held by two services at once: each lease ended (or expired) before
    /// the next one on the same job started.
    static func expectNoOverlap(_ leases: [PostgresJobStore.Lease]) {
        for (_, held) in Dictionary(grouping: leases, by: \.jobID) {
            let ordered = held.sorted { $0.startedAt < $1.startedAt }
            for (a, b) in zip(ordered, ordered.dropFirst()) {
                #expect((a.endedAt ?? a.expiresAt) <= b.startedAt, "job \(a.jobID): \(a.owner)'s lease overlaps \(b.owner)'s")
                #expect(a.endedAt != nil, "job \(a.jobID): a lease before the last one never ended")
            }
        }
    }

    struct Event { var id: Int; var name: String; var data: [String: Any] }

    /// The events of a Server-Sent Events body.
    static func events(_ body: Data) -> [Event] {
        String(decoding: body, as: UTF8.self).components(separatedBy: "\n\n").compactMap { block in
            var id = 0, name = "", data = ""
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = Int(line.dropFirst(4)) ?? 0 }
                if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            guard !name.isEmpty else { return nil }
            return Event(id: id, name: name, data: (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] ?? [:])
        }
    }

    static func submit(_ dipd: Dipd, _ image: String, _ fields: [String: String]) throws -> String {
        let r = try EndToEndTests.submit(dipd, image: image, fields: fields)
        return try #require(r.json["id"] as? String, "\(r.status) \(r.json)")
    }

    /// Three services, a dozen jobs, the service running the longest one killed mid-fit:
    /// every job succeeds, every surviving service serves every job's result and snapshots,
    /// the killed job went on from its checkpoint on another service, and a client
    /// following that job on the third service saw it happen.
    @Test func threeReplicasShareOneQueueAndSurviveAKill() throws {
        let server = try TemporaryPostgres()
        defer { server.stop() }
        let all = try Self.replicas(3, server)
        let (path, _, _) = try EndToEndTests.images()
        let long = try Self.submit(all[0], path, ["iterations": "600", "snapshot_every": "100", "seed": "4",
                                                   "auto_stop": "false", "network": Self.smallNetwork])
        var ids = [long]
        for n in 1..<12 {
            ids.append(try Self.submit(all[n % 3], path, ["iterations": "60", "snapshot_every": "30", "seed": "\(n)",
                                                           "auto_stop": "false", "network": Self.smallNetwork]))
        }
        // Every service lists the same twelve jobs.
        for dipd in all {
            let listed = try curl(["\(dipd.base)/v1/jobs?limit=100"]).json["jobs"] as? [[String: Any]] ?? []
            #expect(Set(listed.compactMap { $0["id"] as? String }) == Set(ids))
        }

        let cut = try poll(all[1], long) { job in
            guard let saved = job["checkpoint_iteration"] as? Int else { return false }
            return state(job) == "running" && iteration(job) >= saved + 20
        }
        #expect(iteration(cut) < 600, "the fit ended before it could be killed: \(cut)")
        let holder = try #require(try Self.leases(server).last { $0.jobID == long && $0.endedAt == nil }).owner
        let victim = try #require(Int(holder.dropFirst("replica-".count)))
        all[victim].kill9()
        let survivors = all.indices.filter { $0 != victim }.map { all[$0] }
        let checkpoint = try #require(try curl(["\(survivors[0].base)/v1/jobs/\(long)"]).json["checkpoint_iteration"] as? Int)

        // A client follows the job on a survivor from now to its end.
        let followed = try curl(["-N", "\(survivors[1].base)/v1/jobs/\(long)/events"], timeout: 200)
        let seen = Self.events(followed.body)
        #expect(seen.first?.name == "status" && seen.last?.name == "done", "\(seen.map(\.name))")
        let progress = seen.filter { $0.name == "progress" }.compactMap { $0.data["iteration"] as? Int }
        #expect(!progress.isEmpty && progress.allSatisfy { $0 >= checkpoint }, "after the kill, progress \(progress) against checkpoint \(checkpoint)")
        #expect(seen.contains { $0.name == "snapshot" }, "\(seen.map(\.name))")

        for (n, id) in ids.enumerated() { _ = try poll(survivors[n % 2], id, timeout: 300) { state($0) == "succeeded" } }
        let done = try curl(["\(survivors[0].base)/v1/jobs/\(long)"]).json
        #expect(done["attempts"] as? Int == 2 && iteration(done) == 600, "\(done)")
        let resumedOn = survivors.first { $0.logText.contains("job \(long) goes on from its checkpoint at iteration") }
        #expect(resumedOn != nil, "no survivor says it resumed the job")

        // The stored event log, read back from the start through the other survivor: both runs'
        // starts, their snapshots, the end; of a finished job's progress only the last is kept.
        let log = Self.events(try curl(["-N", "-H", "Last-Event-ID: 0", "\(survivors[0].base)/v1/jobs/\(long)/events"]).body)
        let starts = log.filter { $0.name == "state" && $0.data["state"] as? String == "running" }
        #expect(starts.count == 2 && log.last?.name == "done", "\(log.map(\.name))")
        let kept = log.filter { $0.name == "progress" }.compactMap { $0.data["iteration"] as? Int }
        #expect(kept.last == 600 && kept.count <= 3, "progress kept: \(kept)")
        #expect(log.contains { $0.name == "snapshot" && $0.data["iteration"] as? Int == 600 })

        for id in ids {
            let results = try survivors.map { try curl(["\($0.base)/v1/jobs/\(id)/result.png"]) }
            #expect(results.allSatisfy { $0.status == 200 && !$0.body.isEmpty } && results[0].body == results[1].body)
            let snapshots = try curl(["\(survivors[1].base)/v1/jobs/\(id)/snapshots"]).json["snapshots"] as? [[String: Any]] ?? []
            #expect(snapshots.count == (id == long ? 6 : 2), "\(id): \(snapshots.count) snapshots")
            if let n = snapshots.last?["iteration"] as? Int {
                let images = try survivors.map { try curl(["\($0.base)/v1/jobs/\(id)/snapshots/\(n).png"]) }
                #expect(images.allSatisfy { $0.status == 200 } && images[0].body == images[1].body)
            }
        }

        let leases = try Self.leases(server)
        Self.expectNoOverlap(leases)
        let longLeases = leases.filter { $0.jobID == long }
        #expect(longLeases.count == 2 && longLeases.first?.owner == holder && longLeases.first?.endReason == "expired")
        #expect(longLeases.last?.owner != holder && longLeases.last?.endReason == "succeeded")
        #expect(Set(leases.map(\.jobID)) == Set(ids) && leases.allSatisfy { $0.endedAt != nil })
        for dipd in survivors { #expect(dipd.stop() == 0) }
    }

    /// A cancel sent to any service stops the fit on the service running it, at once.
    @Test func aCancelReachesTheServiceRunningTheJob() throws {
        let server = try TemporaryPostgres()
        defer { server.stop() }
        let all = try Self.replicas(2, server)
        let (path, _, _) = try EndToEndTests.images()
        let id = try Self.submit(all[0], path, ["iterations": "20000", "auto_stop": "false", "network": Self.smallNetwork])
        _ = try poll(all[0], id) { state($0) == "running" && iteration($0) >= 5 }
        let holder = try #require(try Self.leases(server).last { $0.jobID == id }).owner
        let other = holder == "replica-0" ? all[1] : all[0]
        let start = Date()
        let canceled = try curl(["-X", "POST", "\(other.base)/v1/jobs/\(id)/cancel"])
        #expect(canceled.status == 200 && state(canceled.json) == "canceled", "\(canceled.json)")
        print("cancel through the other service answered in \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
        #expect(try Self.leases(server).last { $0.jobID == id }?.endReason == "canceled")

        // Delete too: a running job deleted through the other service stops where it runs.
        let doomed = try Self.submit(other, path, ["iterations": "20000", "auto_stop": "false", "network": Self.smallNetwork])
        _ = try poll(other, doomed) { state($0) == "running" }
        #expect(try curl(["-X", "DELETE", "\(all[0].base)/v1/jobs/\(doomed)"]).status == 204)
        for dipd in all { #expect(try curl(["\(dipd.base)/v1/jobs/\(doomed)"]).status == 404) }
        let next = try Self.submit(all[1], path, ["iterations": "20", "network": Self.smallNetwork])
        _ = try poll(all[0], next) { state($0) == "succeeded" }
        for dipd in all { #expect(dipd.stop() == 0) }
    }

    /// A deploy: SIGTERM on the service running a job drains it — a checkpoint, the job back
    /// in the queue — and the other service takes it at once and goes on from there.
    @Test func aDrainedServiceHandsItsJobToAnother() throws {
        let server = try TemporaryPostgres()
        defer { server.stop() }
        let all = try Self.replicas(2, server, lease: 30)
        let (path, _, _) = try EndToEndTests.images()
        let id = try Self.submit(all[0], path, ["iterations": "600", "snapshot_every": "100", "seed": "2",
                                                 "auto_stop": "false", "network": Self.smallNetwork])
        _ = try poll(all[0], id) { state($0) == "running" && iteration($0) >= 50 }
        let holder = try #require(try Self.leases(server).last { $0.jobID == id }).owner
        let (leaving, staying) = holder == "replica-0" ? (all[0], all[1]) : (all[1], all[0])
        #expect(leaving.stop() == 0)
        let resumed = try poll(staying, id) { state($0) == "running" && ($0["attempts"] as? Int) == 2 }
        let saved = try #require(resumed["checkpoint_iteration"] as? Int, "\(resumed)")
        #expect(saved >= 50 && iteration(resumed) >= saved)
        _ = try poll(staying, id) { state($0) == "succeeded" }
        let leases = try Self.leases(server).filter { $0.jobID == id }
        // The first lease was given up by the drain (not left to expire), so the job was free at once.
        #expect(leases.map(\.endReason) == ["drained", "succeeded"] && leases.last?.owner != holder, "\(leases)")
        #expect(staying.logText.contains("job \(id) goes on from its checkpoint at iteration \(saved)"))
        #expect(staying.stop() == 0)
    }

    /// The database stops and starts again while three services run jobs: they answer 503
    /// meanwhile, none crashes, every job finishes, and none ran under two leases at once.
    @Test func theDatabaseRestartsUnderThreeReplicas() throws {
        let server = try TemporaryPostgres()
        defer { server.stop() }
        let all = try Self.replicas(3, server, lease: 5)
        let (path, _, _) = try EndToEndTests.images()
        var ids: [String] = []
        for n in 0..<6 {
            ids.append(try Self.submit(all[n % 3], path, ["iterations": "300", "snapshot_every": "100", "seed": "\(n)",
                                                           "auto_stop": "false", "network": Self.smallNetwork]))
        }
        _ = try poll(all[0], ids[0]) { state($0) == "running" && iteration($0) >= 20 }
        server.stop()
        for dipd in all {
            let r = try curl(["\(dipd.base)/v1/jobs/\(ids[0])"])
            #expect(r.status == 503 && r.errorCode == "storage_unavailable" && r.header("Retry-After") != nil, "\(r.status) \(r.json)")
            #expect(try curl(["\(dipd.base)/healthz"]).status == 200)
        }
        sleep(3)
        try server.start()
        for (n, id) in ids.enumerated() { _ = try poll(all[n % 3], id, timeout: 300) { state($0) == "succeeded" } }
        for id in ids {
            let job = try curl(["\(all[2].base)/v1/jobs/\(id)"]).json
            let snapshots = try curl(["\(all[1].base)/v1/jobs/\(id)/snapshots"]).json["snapshots"] as? [Any]
            #expect(iteration(job) == 300 && snapshots?.count == 3, "\(job) \(snapshots ?? [])")
            #expect(try curl(["\(all[0].base)/v1/jobs/\(id)/result.png"]).status == 200)
        }
        Self.expectNoOverlap(try Self.leases(server))
        for dipd in all { #expect(dipd.stop() == 0) }
    }
}
