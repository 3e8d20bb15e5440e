import DIPEngine
import DIPTasks
import Foundation
import Testing
@testable import dip

/// The CLI's flags and the API's spec fields of the same meaning build the same engine task:
/// both go through the task catalogue.
@Suite("CLI flags and API spec build the same task")
struct SpecEquivalenceTests {
    static let parser = SpecParser(maxIterations: 1_000_000, maxSnapshots: 1_000_000)
    static let common = ["in.png", "-o", "out.png", "--threads", "2"]

    /// The CLI's task for `flags` and the service's for `json`, on the same gray 24×24 image.
    static func both(_ command: ParsableFitCommand.Type, _ kind: TaskKind, flags: [String], json: String,
                     edit: (inout TaskSpec) -> Void = { _ in }) throws -> (cli: any FittingTask, api: any FittingTask) {
        let inputs = TaskInputs(image: Tensor(channels: 1, height: 24, width: 24), mask: kind == .inpaint ? Tensor(channels: 1, height: 24, width: 24) : nil)
        let fit = try command.fitOptions(Self.common + flags)
        var cliSpec = try fit.spec(kind)
        edit(&cliSpec)
        let cli = try fit.build(cliSpec, inputs)
        let api = try TaskCatalog.build(Self.parser.parse(json: Array(json.utf8)), inputs: inputs, threads: 2, classifier: { nil })
        return (cli, api)
    }

    @Test func theKnobsTheAPIGainedMatchTheirFlags() throws {
        let (cli, api) = try Self.both(DenoiseCommand.self, .denoise,
            flags: ["--input-lr", "0.05", "--tv-weight", "0.5", "--stop-rule", "variance", "--patience", "120",
                    "--lr", "0.02", "--iterations", "300", "--seed", "3", "--time-limit", "60"],
            json: #"{"task":"denoise","input_learning_rate":0.05,"tv_weight":0.5,"auto_stop_rule":"variance","auto_stop_patience":120,"learning_rate":0.02,"iterations":300,"seed":3,"max_seconds":60,"snapshot_every":0}"#)
        #expect(cli.settings == api.settings && cli.network == api.network)
        #expect(cli.settings.inputLearningRate == 0.05 && cli.settings.totalVariationWeight == 0.5)
        #expect(cli.settings.autoStop?.patience == 120 && cli.autoStopRule == .outputVariance && cli.settings.iterations == 300)
    }

    @Test func switchesAndPresetsMatch() throws {
        let (cli, api) = try Self.both(DenoiseCommand.self, .jpeg,
            flags: ["--preset", "fast", "--no-auto-stop", "--no-backtracking", "--exp-weight", "0", "--input-lr", "0",
                    "--network", #"{"input_channels":8,"upsample_mode":"nearest"}"#],
            json: #"{"task":"jpeg","preset":"fast","auto_stop":false,"backtracking":false,"exp_weight":0,"input_learning_rate":0,"network":{"input_channels":8,"upsample_mode":"nearest"},"seed":0,"snapshot_every":0}"#)
        #expect(cli.settings == api.settings && cli.network == api.network)
        #expect(cli.settings.autoStop == nil && cli.settings.backtracking == nil && cli.settings.expWeight == nil)
        #expect(cli.settings.inputLearningRate == nil && cli.network.inputChannels == 8 && cli.network.upsampleMode == [.nearest])
    }

    @Test func taskOptionsMatch() throws {
        let (cli, api) = try Self.both(InpaintCommand.self, .inpaint, flags: ["--mask", "m.png", "--setup", "region", "--stop-rule", "held-out"],
                                       json: #"{"task":"inpaint","setup":"region","auto_stop_rule":"held-out","seed":0,"snapshot_every":0}"#) {
            $0.setup = .region
        }
        #expect(cli.settings == api.settings && cli.network == api.network)
        // Inpainting holds known pixels out: the rule asked for is the one its fit watches.
        #expect(cli.autoStopRule == .heldOutPixels && api.autoStopRule == .heldOutPixels)
    }
}

/// A subcommand whose fit options can be parsed from arguments.
protocol ParsableFitCommand { static func fitOptions(_ arguments: [String]) throws -> FitOptions }
extension DenoiseCommand: ParsableFitCommand {
    static func fitOptions(_ arguments: [String]) throws -> FitOptions { try parse(arguments).fit }
}
extension InpaintCommand: ParsableFitCommand {
    static func fitOptions(_ arguments: [String]) throws -> FitOptions { try parse(arguments).fit }
}
