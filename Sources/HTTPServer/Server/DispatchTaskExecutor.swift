import Dispatch

/// Runs handler tasks on a Dispatch queue instead of Swift's cooperative pool, so that
/// long work elsewhere in the process (compute jobs, blocking calls on the pool) cannot
/// stop the server from answering; awaits inside a handler resume here too.
@available(macOS 15.0, *)
final class DispatchTaskExecutor: TaskExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    init(queue: DispatchQueue) { self.queue = queue }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

enum HandlerTask {
    static func start(_ operation: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        if #available(macOS 15.0, *) {
            return Task(executorPreference: shared) { await operation() }
        }
        return Task { await operation() }
    }

    /// Handlers of all connections share one executor over the global queue.
    @available(macOS 15.0, *)
    private static let shared = DispatchTaskExecutor(queue: DispatchQueue.global())
}
