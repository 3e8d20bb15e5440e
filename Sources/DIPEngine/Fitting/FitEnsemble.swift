import Synchronization

/// A fit of `FitSettings.members` networks at once, each from its own seed, whose results are
/// averaged: the members' errors are partly independent, so their mean is closer to the clean
/// image than any one of them (docs/presets.md measures it). The cores are shared out among the
/// members, which run side by side: two fits of one thread each take far less than twice one fit
/// of two threads, because a network of a few channels keeps one core busier than two.
///
/// With one member the fit is exactly the plain one: same seed, threads, callbacks and checkpoints.
public enum FitEnsemble {
    /// The most members a fit takes: each holds a whole network's memory.
    public static let maxMembers = 8

    /// A member's fit: its settings (seed and threads), its checkpointing, and the callbacks it
    /// reports to; it builds its own network and objective.
    public typealias Member = (_ settings: FitSettings, _ checkpoints: FitCheckpointing?,
                               _ onProgress: ((FitProgress) -> Void)?, _ onSnapshot: ((FitProgress) -> Void)?) throws -> FitResult

    /// The settings of member `k` of `settings.members`: the first keeps the fit's seed (so a
    /// one-member fit is the plain fit), the others derive theirs from it; the threads are shared
    /// out, at least one each.
    public static func memberSettings(_ settings: FitSettings, _ k: Int) -> FitSettings {
        var s = settings
        s.members = 1
        s.threads = max(1, settings.threads / max(1, settings.members))
        if k > 0 { s.seed = settings.seed &+ UInt64(k) &* 0x9E37_79B9_7F4A_7C15 }
        return s
    }

    /// Runs the members (side by side when there are threads for each, else one after the other)
    /// and averages their results. Progress and snapshots are the first member's, and once it has
    /// ended, the progress of any member further on; one call at a time, never going back. A
    /// checkpoint holds every member's latest state (`FitCheckpoint.members`) and is saved whenever
    /// a member saves, once each has saved one (one after the other, from the second member's
    /// first save on); on resume each member goes on from its own.
    public static func run(settings: FitSettings, checkpoints: FitCheckpointing?,
                           onProgress: ((FitProgress) -> Void)?, onSnapshot: ((FitProgress) -> Void)?,
                           member: Member) throws -> FitResult {
        let n = max(1, settings.members)
        if n == 1 {
            if let resume = checkpoints?.resume, !resume.members.isEmpty {
                throw FitCheckpoint.DecodingError.doesNotFit("the checkpoint has \(resume.members.count) members, the fit 1")
            }
            return try member(settings, checkpoints, onProgress, onSnapshot)
        }
        if let resume = checkpoints?.resume, resume.members.count != n {
            throw FitCheckpoint.DecodingError.doesNotFit("the checkpoint has \(max(1, resume.members.count)) members, the fit \(n)")
        }
        // Each member's latest state: from the checkpoint resumed until the member saves anew, so
        // that a member which ends before its first save does not hold the others' saves back.
        let saved = Mutex(checkpoints?.resume?.members.map { Optional($0) } ?? [FitCheckpoint?](repeating: nil, count: n))
        // Progress and snapshots are the first member's, so that a seed repeats them (and a snapshot
        // is never behind the progress shown); once it has ended, the progress of the others that
        // are further on.
        let reported = Mutex((iteration: 0, firstEnded: false))
        // Member k alone writes slot k, and every slot is read after the members have joined.
        let outcomes = UnsafeMutablePointer<Result<FitResult, any Error>?>.allocate(capacity: n)
        outcomes.initialize(repeating: nil, count: n)
        defer { outcomes.deinitialize(count: n); outcomes.deallocate() }

        func runMember(_ k: Int) {
            let memberCheckpoints = checkpoints.map { outer in
                FitCheckpointing(resume: outer.resume?.members[k], interval: outer.interval) { state in
                    saved.withLock { latest in
                        latest[k] = state
                        let all = latest.compactMap { $0 }
                        if all.count == n { outer.save(FitCheckpoint(members: all)) }
                    }
                }
            }
            let progress = onProgress.map { report in
                { (p: FitProgress) in
                    reported.withLock { state in
                        guard k == 0 || state.firstEnded, p.iteration > state.iteration else { return }
                        state.iteration = p.iteration
                        report(p)
                    }
                }
            }
            let outcome = Result {
                try member(memberSettings(settings, k), memberCheckpoints, progress, k == 0 ? onSnapshot : nil)
            }
            if k == 0 { reported.withLock { $0.firstEnded = true } }
            outcomes[k] = outcome
        }
        if settings.threads >= n {
            Compute(threads: n).forEachTask(n, runMember)
        } else {
            for k in 0..<n { runMember(k) }
        }

        let results = try (0..<n).map { try outcomes[$0]!.get() }
        let image = results[0].image.clone()
        for r in results.dropFirst() {
            for i in 0..<image.count { image.data[i] += r.image.data[i] }
        }
        let scale = 1 / Float(n)
        for i in 0..<image.count { image.data[i] *= scale }
        let reasons = results.map(\.stopReason)
        let stop = reasons.contains(.canceled) ? .canceled : reasons.contains(.timeLimit) ? .timeLimit : reasons[0]
        return FitResult(image: image, lastOutput: results[0].lastOutput, iterations: results.map(\.iterations).max()!,
                         stopReason: stop, seconds: results.map(\.seconds).max()!, bestIteration: results[0].bestIteration)
    }
}
