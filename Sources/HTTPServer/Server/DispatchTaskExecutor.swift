import Dispatch

/// Runs a connection's handler tasks on the connection's own serial queue instead of
/// Swift's cooperative pool. The request is parsed, handled and answered by one thread
/// in one queue drain, without waking another thread, and long work elsewhere in the
/// process (compute jobs, blocking calls on the pool) cannot stop the server from
/// answering. Handlers still see only their own copy of the request.
@available(macOS 15.0, *)
final class DispatchTaskExecutor: TaskExecutor, Sendable {
    private let queue: DispatchQueue

    init(queue: DispatchQueue) { self.queue = queue }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

enum HandlerTask {
    /// `executor` is a `DispatchTaskExecutor` where available (always on Linux).
    static func makeExecutor(queue: DispatchQueue) -> (any Sendable)? {
        if #available(macOS 15.0, *) { return DispatchTaskExecutor(queue: queue) }
        return nil
    }

    static func start(on executor: (any Sendable)?, _ operation: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        if #available(macOS 15.0, *), let executor = executor as? DispatchTaskExecutor {
            return Task(executorPreference: executor) { await operation() }
        }
        return Task { await operation() }
    }
}
