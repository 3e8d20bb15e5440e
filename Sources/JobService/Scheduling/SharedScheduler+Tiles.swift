import Foundation

/// What `TiledScheduler` needs of the shared scheduler: a tiled job stored with its tile jobs,
/// its tile jobs read back, and its parent settled through the store's fence.
extension SharedScheduler {
    func submitTiled(idempotencyKey: String?, parent: JobRecord, inputs: [(file: String, bytes: [UInt8])],
                     tiles: [TileSubmission]) throws -> SubmitOutcome {
        if let key = idempotencyKey, let r = try shared.find(idempotencyKey: key) { return .existing(r) }
        try admissionCheck()
        if (try shared.countByState()[.queued] ?? 0) >= configuration.queueCapacity { throw JobRejection.queueFull }
        var record = parent
        record.sequence = try shared.nextSequence()
        do {
            try shared.submit(record, inputs: inputs)
        } catch is DuplicateIdempotencyKey {
            if let key = idempotencyKey, let r = try shared.find(idempotencyKey: key) { return .existing(r) }
            throw JobStoreUnavailable(description: "a job with the same idempotency key was removed meanwhile")
        }
        // The parent first: a tile whose parent is missing is never stored. A failure on the
        // way removes what was stored (a crash leaves a parent whose missing tiles fail it).
        var stored = [record.id]
        do {
            for t in tiles {
                var tile = t.record
                tile.sequence = try shared.nextSequence()
                try shared.submit(tile, inputs: t.inputs)
                stored.append(tile.id)
            }
        } catch {
            for id in stored.reversed() { _ = try? shared.remove(id) }
            throw error
        }
        metrics.jobSubmitted(task: record.spec.task.rawValue)
        return .created(record)
    }

    func tiles(of parent: JobRecord) throws -> [JobRecord] {
        try shared.records(parent.tiling?.jobs.compactMap { $0 } ?? [])
    }

    func settle(_ id: JobID, _ event: JobLifecycle.Event) throws -> JobRecord? {
        guard let (before, _) = try shared.find(id) else { return nil }
        var record = before
        guard let effects = try? JobLifecycle.apply(event, to: &record) else { return nil }
        guard try shared.replace(record, ifState: before.state) else { return nil }
        carryOut(effects, record)
        return record
    }
}
