/// How much of the machine one network may use, the memory it runs in, and
/// the instruction set of its kernels. The engine does its own parallelism on
/// its own threads (each matrix multiply runs single-threaded inside them), so
/// a service with several workers can divide the cores between them. One
/// Compute serves one network at a time.
public struct Compute {
    public let threads: Int
    /// Scratch memory and the gradient pool of the network being run.
    public let workspace: Workspace
    /// The kernels the network's matrix multiplies use.
    public let instructionSet: InstructionSet
    /// Once set, composite modules run no further layer and return at once, so a cancel
    /// lands within one layer rather than one whole iteration. Whoever sets it discards
    /// the pass it cut short (its output and gradients are incomplete).
    public var interrupt: CancellationFlag?
    /// Stride-1 3×3 convolutions by Winograd F(4×4, 3×3) (about a quarter of the
    /// multiply-adds; results differ from the direct sums by float rounding only).
    /// False: every convolution on the implicit-GEMM path.
    public var winograd = true
    /// The number format of the large convolutions' matrix products (see `Precision`);
    /// starts as the process-wide `Precision.selected`.
    public var precision: Precision = Precision.selected
    /// What the large convolutions' products run in here: `.fp32` or `.bf16`.
    public var productPrecision: Precision { precision.resolved(for: instructionSet) }
    /// Where composite modules add each layer's time (benchmarks; nil: not timed).
    public var profile: LayerProfile?
    private let pool: PoolOwner

    /// True once `interrupt` is set.
    @inline(__always) public var isInterrupted: Bool { interrupt?.isCancelled == true }

    /// Uses the process-wide `InstructionSet.selected`.
    public init(threads: Int, workspace: Workspace = Workspace()) {
        self.init(threads: threads, checked: InstructionSet.selected, workspace: workspace)
    }

    /// Uses the given instruction set; throws if this machine cannot run it.
    public init(threads: Int, instructionSet: InstructionSet, workspace: Workspace = Workspace()) throws {
        self.init(threads: threads, checked: try instructionSet.checked(), workspace: workspace)
    }

    private init(threads: Int, checked instructionSet: InstructionSet, workspace: Workspace) {
        self.threads = max(1, threads); self.workspace = workspace
        self.instructionSet = instructionSet
        pool = PoolOwner(ThreadPool(size: self.threads))
    }
    public static var serial: Compute { Compute(threads: 1) }

    /// Splits 0..<count into at most `threads` contiguous chunks of at least
    /// `grain` items and runs `body` on each, in parallel when there is more than one.
    @inline(__always)
    public func forEachChunk(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(threads, max(1, count / max(grain, 1)))
        if chunks == 1 { body(0..<count); return }
        pool.pool.run(chunks) { t in body(Compute.chunk(t, of: chunks, count: count)) }
    }

    /// Runs `body(t)` for t in 0..<n in parallel.
    @inline(__always)
    public func forEachTask(_ n: Int, _ body: (Int) -> Void) {
        if n == 1 || threads == 1 { for t in 0..<n { body(t) }; return }
        pool.pool.run(n, body)
    }

    @inline(__always)
    public static func chunk(_ t: Int, of chunks: Int, count: Int) -> Range<Int> {
        (t * count / chunks)..<((t + 1) * count / chunks)
    }
}

/// Shuts the pool's threads down when the last copy of a Compute goes away.
private final class PoolOwner {
    let pool: ThreadPool
    init(_ pool: ThreadPool) { self.pool = pool }
    deinit { pool.shutdown() }
}
