#if canImport(Glibc)
import Glibc
#endif
import CKernels
import Synchronization

/// The number format of the convolutions' matrix products. Sums, weights (the fp32
/// master copy Adam updates), batch norm, losses and all other layers stay fp32.
public enum Precision: String, CaseIterable, Sendable, CustomStringConvertible {
    /// fp32 operands and sums.
    case fp32
    /// The Winograd convolutions' products with bf16 operands (rounded to nearest even as
    /// they are packed, 8 significant bits) and fp32 sums, on AVX512-BF16. Small layers
    /// (fewer than `Precision.minimumChannels` channels on either side, or fewer than
    /// `Precision.minimumTiles` output tiles) and the 1×1 and strided ones stay fp32.
    case bf16
    /// bf16 where this CPU has AVX512-BF16, the kernels are AVX-512 and the bf16 product
    /// measured faster than the fp32 one here (`bf16MeasuredFaster`); fp32 elsewhere.
    case auto

    public var description: String { rawValue }

    /// Below this many channels on either side a Winograd layer's products stay fp32.
    public static let minimumChannels = 16
    /// Below this many 4×4 output tiles (about 64×64 pixels) a layer's products stay fp32:
    /// at 32 channels their share of an iteration is too small to repay the bf16 packing.
    public static let minimumTiles = 256

    /// Whether this CPU and its operating system run the bf16 kernels (AVX512-BF16).
    public static var bf16Supported: Bool { dip_bf16_supported() }

    /// What the products of large layers run in with these kernels: `.fp32` or `.bf16`.
    public func resolved(for kernels: InstructionSet) -> Precision {
        switch self {
        case .fp32: .fp32
        case .bf16: .bf16
        case .auto: Self.bf16Supported && kernels == .avx512 && Self.bf16MeasuredFaster ? .bf16 : .fp32
        }
    }

    /// `name` ("fp32", "bf16" or "auto"), checked against this machine.
    public static func named(_ name: String) throws -> Precision {
        guard let p = Precision(rawValue: name) else { throw PrecisionError.unknown(name) }
        return try p.checked()
    }

    /// The precision itself, or an error if this machine cannot run it.
    public func checked() throws -> Precision {
        if self == .bf16 && !Self.bf16Supported { throw PrecisionError.unsupported(self) }
        return self
    }

    /// Whether a Winograd-sized product (128×128, 132 deep) ran at least 1.2× faster in bf16
    /// than in fp32 on this CPU, timed once per process (a few milliseconds of one thread's
    /// CPU time). Not every AVX512-BF16 CPU multiplies bf16 faster than fp32: some issue
    /// vdpbf16ps at half the rate of fp32 FMAs, which leaves bf16 at half fp32's speed.
    public static let bf16MeasuredFaster: Bool = {
        guard bf16Supported, InstructionSet.avx512.isSupported else { return false }
        let (m, n, k) = (128, 128, 132)
        let a = UnsafeMutablePointer<Float>.allocate(capacity: k * m), b = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: gemmScratchCount(.avx512, .bf16))
        defer { a.deallocate(); b.deallocate(); c.deallocate(); scratch.deallocate() }
        for i in 0..<(k * m) { a[i] = Float(i % 7) / 7 - 0.5 }
        for i in 0..<(k * n) { b[i] = Float(i % 5) / 5 - 0.5 }
        func seconds(_ bf16: Bool) -> Double {
            var best = Double.infinity
            for _ in 0..<5 {
                var t0 = timespec(), t1 = timespec()
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0)
                for _ in 0..<20 {
                    if bf16 { _ = dip_gemm_bf16(true, false, m, n, k, 1, a, m, b, n, 0, c, n, scratch) }
                    else { _ = dip_sgemm(DIP_ISA_AVX512, true, false, m, n, k, 1, a, m, b, n, 0, c, n, scratch) }
                }
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1)
                best = min(best, Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) / 1e9)
            }
            return best
        }
        _ = seconds(false); _ = seconds(true)     // warm the caches and the vector units
        return seconds(true) * 1.2 < seconds(false)
    }()

    // MARK: the process-wide choice

    private static let choice = Atomic<Int>(0)     // fp32 unless a program selects another

    /// The precision a `Compute` starts with: fp32, or what `select` set.
    public static var selected: Precision { allCases[choice.load(ordering: .relaxed)] }

    /// Makes `precision` the process-wide default. Refuses bf16 where this machine cannot run it.
    public static func select(_ precision: Precision) throws {
        _ = try precision.checked()
        choice.store(allCases.firstIndex(of: precision)!, ordering: .relaxed)
    }
}

public enum PrecisionError: Error, CustomStringConvertible, Equatable {
    case unknown(String)
    case unsupported(Precision)

    public var description: String {
        switch self {
        case .unknown(let name):
            return "unknown precision '\(name)' (one of: \(Precision.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .unsupported(let p):
            return "this CPU cannot run the \(p) kernels (AVX512-BF16 with AVX-512F/BW/VL, ZMM state enabled by the OS)"
        }
    }
}

extension Precision {
    var kernelID: dip_precision { self == .bf16 ? DIP_PRECISION_BF16 : DIP_PRECISION_FP32 }
}
