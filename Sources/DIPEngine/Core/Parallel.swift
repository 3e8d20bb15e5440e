import Dispatch

/// How much of the machine one network may use. The engine does its own
/// parallelism (BLAS runs single-threaded inside each worker thread), so a
/// service with several workers can divide the cores between them.
public struct Compute: Sendable {
    public var threads: Int
    public init(threads: Int) { self.threads = max(1, threads) }
    public static let serial = Compute(threads: 1)

    /// Splits 0..<count into at most `threads` contiguous chunks of at least
    /// `grain` items and runs `body` on each, in parallel when there is more than one.
    @inline(__always)
    public func forEachChunk(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(threads, max(1, count / max(grain, 1)))
        if chunks == 1 { body(0..<count); return }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: chunks) { t in
                body(Compute.chunk(t, of: chunks, count: count))
            }
        }
    }

    /// Runs `body(t)` for t in 0..<n in parallel.
    @inline(__always)
    public func forEachTask(_ n: Int, _ body: (Int) -> Void) {
        if n == 1 || threads == 1 { for t in 0..<n { body(t) }; return }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: n) { body($0) }
        }
    }

    @inline(__always)
    public static func chunk(_ t: Int, of chunks: Int, count: Int) -> Range<Int> {
        (t * count / chunks)..<((t + 1) * count / chunks)
    }
}
