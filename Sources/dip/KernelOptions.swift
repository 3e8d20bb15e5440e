import ArgumentParser
import DIPEngine

/// --isa: the instruction set of the engine's kernels, shared by the subcommands
/// that run a network. The choice is checked against this CPU before anything runs.
struct KernelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Kernels to run: auto (the fastest this CPU supports), generic, avx2 or avx512.",
                               valueName: "isa"))
    var isa = "auto"

    func validate() throws {
        do { _ = try InstructionSet.named(isa) } catch { throw ValidationError("--isa: \(error)") }
    }

    /// Makes the choice the process-wide default for the engine.
    func select() throws {
        try InstructionSet.select(InstructionSet.named(isa))
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
    }
}
