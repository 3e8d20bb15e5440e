import Foundation
import Synchronization

/// The embedded store's deliveries: one file per delivery, `jobs/<id>/deliveries/<n>.json`,
/// each replaced atomically (`DurableFiles`), so a crash leaves every delivery as its last
/// write had it. Removing a job removes its deliveries. All of them are read at start and
/// indexed in memory; only this process sends them, so a lease is a mark in memory.
final class FileDeliveryStore: DeliveryStore {
    private struct Index {
        var byJob: [JobID: [Delivery]] = [:]
        var held: Set<String> = []
    }

    let jobsDirectory: String
    private let index: Mutex<Index>

    init(jobsDirectory: String) {
        self.jobsDirectory = jobsDirectory
        var found = Index()
        for name in DurableFiles.list(jobsDirectory) {
            guard let job = JobID(name) else { continue }
            let dir = "\(jobsDirectory)/\(name)/deliveries"
            let read = DurableFiles.list(dir).filter { $0.hasSuffix(".json") }.compactMap { file -> Delivery? in
                guard let bytes = try? DurableFiles.read("\(dir)/\(file)") else { return nil }
                return try? JSONDecoder.service().decode(Delivery.self, from: Data(bytes))
            }
            if !read.isEmpty { found.byJob[job] = read.sorted { $0.sequence < $1.sequence } }
        }
        index = Mutex(found)
    }

    private func path(_ d: Delivery) -> String { "\(jobsDirectory)/\(d.job.rawValue)/deliveries/\(d.sequence).json" }

    private func write(_ d: Delivery) throws {
        try DurableFiles.write(Array(try JSONEncoder.service().encode(d)), to: path(d))
    }

    func add(_ delivery: Delivery) throws -> Delivery {
        try index.withLock { ix in
            var d = delivery
            d.sequence = (ix.byJob[d.job]?.last?.sequence ?? 0) + 1
            try DurableFiles.makeDirectory("\(jobsDirectory)/\(d.job.rawValue)/deliveries")
            try write(d)
            ix.byJob[d.job, default: []].append(d)
            return d
        }
    }

    func claim(now: Date, leaseSeconds: Int) throws -> Delivery? {
        index.withLock { ix in
            while true {
                let rows = ix.byJob.values.flatMap { $0 }.map { ($0, ix.held.contains($0.id)) }
                guard let i = Delivery.pick(rows, now: now) else { return nil }
                let d = rows[i].0
                // The job was removed (with its files): its deliveries go with it.
                guard DurableFiles.exists("\(jobsDirectory)/\(d.job.rawValue)") else {
                    ix.byJob[d.job] = nil
                    continue
                }
                ix.held.insert(d.id)
                return d
            }
        }
    }

    func finishAttempt(_ delivery: Delivery) throws {
        try index.withLock { ix in
            ix.held.remove(delivery.id)
            guard let i = ix.byJob[delivery.job]?.firstIndex(where: { $0.id == delivery.id }) else {
                throw DeliveryLeaseLost(id: delivery.id)
            }
            do { try write(delivery) } catch {
                if !DurableFiles.exists("\(jobsDirectory)/\(delivery.job.rawValue)") { ix.byJob[delivery.job] = nil }
                throw error
            }
            ix.byJob[delivery.job]?[i] = delivery
        }
    }

    func deliveries(_ job: JobID) throws -> [Delivery] {
        index.withLock { $0.byJob[job] ?? [] }
    }

    func nextDue() throws -> Date? {
        index.withLock { ix in ix.byJob.values.flatMap { $0 }.filter { $0.state == .pending }.map(\.nextAttemptAt).min() }
    }
}
