import ArgumentParser
import DIPEngine

/// --isa and --precision: the instruction set and number format of the engine's kernels,
/// shared by the subcommands that run a network. Both are checked against this CPU before
/// anything runs.
struct KernelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Kernels to run: auto (the fastest this CPU supports), generic, avx2 or avx512.",
                               valueName: "isa"))
    var isa = "auto"

    @Option(help: ArgumentHelp("Products of the large convolutions: fp32, bf16 (bf16 operands, fp32 sums; needs AVX512-BF16) or auto (bf16 where it measured faster here).",
                               valueName: "precision"))
    var precision = "fp32"

    func validate() throws {
        do { _ = try InstructionSet.named(isa) } catch { throw ValidationError("--isa: \(error)") }
        do { _ = try Precision.named(precision) } catch { throw ValidationError("--precision: \(error)") }
    }

    /// Makes the choice the process-wide default for the engine.
    func select() throws {
        try InstructionSet.select(InstructionSet.named(isa))
        try Precision.select(Precision.named(precision))
    }
}

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show the CPU features the engine detects and the kernels it runs.")

    @OptionGroup var kernels: KernelOptions

    func run() throws {
        try kernels.select()
        let f = CPUFeatures.current
        print("cpu: \(f.vendor)")
        print("features: \(f.names.joined(separator: " "))")
        print("supported kernels: \(InstructionSet.supported.map(\.rawValue).joined(separator: " "))")
        print("kernels: \(InstructionSet.selected)" + (kernels.isa == "auto" ? " (auto)" : ""))
        let precision = Precision.selected, resolved = precision.resolved(for: InstructionSet.selected)
        print("precision: \(resolved)" + (precision == .auto ? " (auto; bf16 product measured faster here: \(Precision.bf16MeasuredFaster))" : "")
              + (resolved == .bf16 ? " (Winograd products of layers with ≥ \(Precision.minimumChannels) channels and ≥ \(Precision.minimumTiles) tiles; the rest fp32)" : ""))
    }
}
