import Foundation
import Glibc
import Synchronization

/// A fixed number of worker threads, each running one job at a time on the engine's own
/// threads. Fitting threads run at a lower priority (a higher nice value, inherited by
/// the engine threads a worker starts; on Linux the nice value is per thread and
/// `setpriority(PRIO_PROCESS, 0, …)` sets the caller's), so request handling stays responsive.
final class WorkerPool: Sendable {
    private let manager: any JobScheduler
    private let runner: JobRunner
    private let count: Int
    private let nice: Int32
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchGroup()

    init(manager: any JobScheduler, runner: JobRunner, workers: Int, nice: Int) {
        self.manager = manager
        self.runner = runner
        self.count = workers
        self.nice = Int32(nice)
    }

    func start() {
        for n in 0..<count {
            finished.enter()
            let thread = Thread { [self] in
                if nice != 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice) }
                while let (record, cancel) = manager.takeNext(stopping: { self.isStopped }) {
                    runner.run(record, cancel: cancel)
                }
                finished.leave()
            }
            thread.name = "dipd-worker-\(n)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    private var isStopped: Bool { stopped.load(ordering: .acquiring) }

    /// Stops taking jobs; returns when every worker has finished its current fit, or after `timeout`.
    func stop(timeout: Duration) -> Bool {
        stopped.store(true, ordering: .releasing)
        manager.wakeWorkers()
        let (s, atto) = timeout.components
        return finished.wait(timeout: .now() + .nanoseconds(Int(s) * 1_000_000_000 + Int(atto / 1_000_000_000))) == .success
    }
}
