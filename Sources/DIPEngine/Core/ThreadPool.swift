#if canImport(Glibc)
import Glibc
#endif

/// A fixed set of threads for fork–join loops. The engine owns its threads
/// (rather than borrowing Dispatch's shared pool) so a fit uses exactly the
/// cores it was given, whatever else the process — an HTTP server — is doing.
/// A loop started from inside another loop runs inline on the calling thread.
///
/// The lock is a pthread mutex, not `Mutex`: the sleeping workers and the join wait on
/// condition variables, which need one.
// Sound to share: every `var` is read and written only under `mutexPtr`, except `workers`,
// which the workers never touch (init, run and shutdown come from one user at a time). The non-Sendable `body` runs
// on the workers only between its publication and the join in `run`, which returns after
// every task is done; callers write disjoint ranges from it.
final class ThreadPool: @unchecked Sendable {
    let size: Int
    private var workers: [pthread_t] = []
    private let mutexPtr = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakePtr = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let finishedPtr = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var generation = 0
    private var pending = 0
    private var tasks = 0
    private var next = 0
    private var body: ((Int) -> Void)?
    private var stopping = false
    private var running = false

    init(size: Int) {
        self.size = max(1, size)
        pthread_mutex_init(mutexPtr, nil)
        pthread_cond_init(wakePtr, nil)
        pthread_cond_init(finishedPtr, nil)
        for _ in 1..<self.size {
            var t = pthread_t()
            // The box goes to the new thread as a raw pointer; it is Sendable, so that is safe.
            let box = Unmanaged.passRetained(WorkerBox(self))
            pthread_create(&t, nil, { arg in
                let box = Unmanaged<WorkerBox>.fromOpaque(arg!).takeRetainedValue()
                box.pool?.workerLoop()
                return nil
            }, box.toOpaque())
            workers.append(t)
        }
    }

    /// Stops and joins the workers; call before dropping the last reference.
    func shutdown() {
        pthread_mutex_lock(mutexPtr)
        stopping = true
        pthread_cond_broadcast(wakePtr)
        pthread_mutex_unlock(mutexPtr)
        for t in workers { pthread_join(t, nil) }
        workers = []
    }

    deinit {
        pthread_cond_destroy(wakePtr); pthread_cond_destroy(finishedPtr); pthread_mutex_destroy(mutexPtr)
        wakePtr.deallocate(); finishedPtr.deallocate(); mutexPtr.deallocate()
    }

    /// Runs body(0..<n), spread over the pool's threads and the caller's.
    func run(_ n: Int, _ body: (Int) -> Void) {
        pthread_mutex_lock(mutexPtr)
        if running || workers.isEmpty || n == 1 {     // nested or trivial: inline
            pthread_mutex_unlock(mutexPtr)
            for i in 0..<n { body(i) }
            return
        }
        running = true
        withoutActuallyEscaping(body) { body in
            self.body = body
            tasks = n; next = 0; pending = n
            generation += 1
            pthread_cond_broadcast(wakePtr)
            pthread_mutex_unlock(mutexPtr)
            drain()
            pthread_mutex_lock(mutexPtr)
            while pending > 0 { pthread_cond_wait(finishedPtr, mutexPtr) }
            self.body = nil
        }
        running = false
        pthread_mutex_unlock(mutexPtr)
    }

    /// Takes task indices until none are left (caller and workers alike).
    private func drain() {
        while true {
            // The closure reference is dropped before the task counts as done, so the
            // caller's non-escaping closure is never outlived.
            do {
                pthread_mutex_lock(mutexPtr)
                guard next < tasks, let task = body else { pthread_mutex_unlock(mutexPtr); return }
                let i = next
                next += 1
                pthread_mutex_unlock(mutexPtr)
                task(i)
            }
            pthread_mutex_lock(mutexPtr)
            pending -= 1
            if pending == 0 { pthread_cond_signal(finishedPtr) }
            pthread_mutex_unlock(mutexPtr)
        }
    }

    private func workerLoop() {
        var seen = 0
        while true {
            pthread_mutex_lock(mutexPtr)
            while generation == seen && !stopping { pthread_cond_wait(wakePtr, mutexPtr) }
            if stopping { pthread_mutex_unlock(mutexPtr); return }
            seen = generation
            pthread_mutex_unlock(mutexPtr)
            drain()
        }
    }
}

private final class WorkerBox: Sendable {
    weak let pool: ThreadPool?
    init(_ pool: ThreadPool) { self.pool = pool }
}
