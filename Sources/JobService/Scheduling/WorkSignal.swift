import Foundation

/// Wakes threads that wait for work. Waiters read the generation, look for work, and wait
/// for the generation to move on; a notification between the look and the wait is not lost.
final class WorkSignal: @unchecked Sendable {
    // Sound: `generation` is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var generation: UInt64 = 0

    var current: UInt64 {
        condition.lock(); defer { condition.unlock() }
        return generation
    }

    func notifyAll() {
        condition.lock()
        generation &+= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Returns once the generation has moved past `seen`, or after `timeout` (nil: none).
    func wait(past seen: UInt64, timeout: Duration? = nil) {
        let deadline = timeout.map { Date() + $0.seconds }
        condition.lock(); defer { condition.unlock() }
        while generation == seen {
            if let deadline {
                if !condition.wait(until: deadline) { return }
            } else {
                condition.wait()
            }
        }
    }
}
