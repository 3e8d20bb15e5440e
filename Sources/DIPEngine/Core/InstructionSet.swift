import CKernels
import Synchronization

/// The instruction sets the engine's numeric kernels are written for. The
/// engine finds at run time which ones the CPU (and its operating system)
/// can run, from the CPU's own feature flags, never from a table of models.
public enum InstructionSet: String, CaseIterable, Comparable, Sendable, CustomStringConvertible {
    /// Portable code with 128-bit vectors: runs on any CPU.
    case generic
    /// AVX2 with FMA, 256-bit vectors.
    case avx2
    /// AVX-512F, 512-bit vectors.
    case avx512

    public var description: String { rawValue }

    public static func < (a: InstructionSet, b: InstructionSet) -> Bool { a.rank < b.rank }
    private var rank: Int { Self.allCases.firstIndex(of: self)! }

    var kernelID: dip_isa {
        switch self {
        case .generic: DIP_ISA_GENERIC
        case .avx2: DIP_ISA_AVX2
        case .avx512: DIP_ISA_AVX512
        }
    }

    /// Whether this machine can run the instruction set.
    public var isSupported: Bool { dip_isa_supported(kernelID) }

    /// Every instruction set this machine can run, slowest first.
    public static var supported: [InstructionSet] { allCases.filter(\.isSupported) }

    /// The fastest instruction set this machine can run.
    public static var best: InstructionSet { supported.last! }

    /// `name` ("generic", "avx2", "avx512"), or "auto" for `best`, checked against this machine.
    public static func named(_ name: String) throws -> InstructionSet {
        if name == "auto" { return best }
        guard let set = InstructionSet(rawValue: name) else { throw InstructionSetError.unknown(name) }
        return try set.checked()
    }

    /// The instruction set itself, or an error if this machine cannot run it.
    public func checked() throws -> InstructionSet {
        guard isSupported else { throw InstructionSetError.unsupported(self) }
        return self
    }

    // MARK: the process-wide choice

    private static let choice = Atomic<Int>(-1)     // -1: not chosen, use `best`

    /// The instruction set a `Compute` uses unless it is given one: `best`,
    /// or what `select` set. Programs choose once, at start.
    public static var selected: InstructionSet {
        let i = choice.load(ordering: .relaxed)
        return i < 0 ? best : allCases[i]
    }

    /// Makes `set` the process-wide default. Refuses one this machine cannot run.
    public static func select(_ set: InstructionSet) throws {
        _ = try set.checked()
        choice.store(allCases.firstIndex(of: set)!, ordering: .relaxed)
    }
}

public enum InstructionSetError: Error, CustomStringConvertible, Equatable {
    case unknown(String)
    case unsupported(InstructionSet)

    public var description: String {
        let options = (InstructionSet.allCases.map(\.rawValue) + ["auto"]).joined(separator: ", ")
        switch self {
        case .unknown(let name):
            return "unknown instruction set '\(name)' (one of: \(options))"
        case .unsupported(let set):
            let here = InstructionSet.supported.map(\.rawValue).joined(separator: ", ")
            return "this CPU cannot run the \(set) kernels (\(set.requirement)); it supports: \(here)"
        }
    }
}

extension InstructionSet {
    /// What the instruction set needs from the CPU and the operating system.
    var requirement: String {
        switch self {
        case .generic: "nothing"
        case .avx2: "AVX2 and FMA, with YMM state enabled by the OS"
        case .avx512: "AVX-512F, with ZMM and opmask state enabled by the OS"
        }
    }
}

/// The CPU's feature flags as cpuid and xgetbv report them.
public struct CPUFeatures: Sendable, CustomStringConvertible {
    public let vendor: String
    public let sse2, fma, avx, avx2: Bool
    public let avx512f, avx512dq, avx512bw, avx512vl, avx512bf16: Bool
    public let amxTile, amxBF16: Bool
    /// The operating system saves the YMM (AVX) / ZMM and opmask (AVX-512) registers.
    public let osSavesYMM, osSavesZMM: Bool

    public static let current: CPUFeatures = {
        var f = dip_cpu_features()
        dip_cpu_features_get(&f)
        let vendor = withUnsafeBytes(of: f.vendor) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return CPUFeatures(vendor: vendor, sse2: f.sse2, fma: f.fma, avx: f.avx, avx2: f.avx2,
                           avx512f: f.avx512f, avx512dq: f.avx512dq, avx512bw: f.avx512bw,
                           avx512vl: f.avx512vl, avx512bf16: f.avx512_bf16,
                           amxTile: f.amx_tile, amxBF16: f.amx_bf16,
                           osSavesYMM: f.os_ymm, osSavesZMM: f.os_zmm)
    }()

    /// The features present, by their usual names, e.g. "sse2 avx avx2 fma os-ymm".
    public var names: [String] {
        [("sse2", sse2), ("avx", avx), ("avx2", avx2), ("fma", fma),
         ("avx512f", avx512f), ("avx512dq", avx512dq), ("avx512bw", avx512bw), ("avx512vl", avx512vl),
         ("avx512_bf16", avx512bf16), ("amx_tile", amxTile), ("amx_bf16", amxBF16),
         ("os-ymm", osSavesYMM), ("os-zmm", osSavesZMM)].filter(\.1).map(\.0)
    }

    public var description: String { "\(vendor): \(names.joined(separator: " "))" }
}
