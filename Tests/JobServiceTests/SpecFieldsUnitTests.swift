import DIPEngine
import Foundation
import Testing
@testable import JobService

/// The spec fields that carry the CLI's --input-lr, --tv-weight, --stop-rule and --patience,
/// and the effective parameters computed from the image's channels alone.
@Suite("task spec: the CLI's knobs, parameters without pixels")
struct SpecFieldsUnitTests {
    let parser = SpecParser(maxIterations: 10_000, maxSnapshots: 100)

    func refusal(_ json: String) -> SpecError? {
        do { _ = try parser.parse(json: Array(json.utf8)); return nil } catch { return error }
    }

    @Test func newFieldsParseFromJSONAndForms() throws {
        let json = try parser.parse(json: Array(#"{"task":"denoise","input_learning_rate":0.05,"tv_weight":0.5,"auto_stop_rule":"variance","auto_stop_patience":120}"#.utf8))
        #expect(json.inputLearningRate == 0.05 && json.tvWeight == 0.5 && json.autoStopRule == .outputVariance && json.autoStopPatience == 120)
        let form = try parser.parse(text: [("task", "denoise"), ("input_learning_rate", "0"), ("tv_weight", "100"),
                                           ("auto_stop_rule", "held-out"), ("auto_stop_patience", "1")])
        #expect(form.inputLearningRate == 0 && form.tvWeight == 100 && form.autoStopRule == .heldOutPixels && form.autoStopPatience == 1)
        // The record on disk keeps them under the same names.
        let stored = String(decoding: try JSONEncoder.service().encode(json), as: UTF8.self)
        #expect(stored.contains(#""auto_stop_rule":"variance""#) && stored.contains(#""input_learning_rate":0.05"#))
        #expect(try JSONDecoder.service().decode(TaskSpec.self, from: Data(stored.utf8)) == json)
    }

    @Test func newFieldsHaveTheCLIsRanges() {
        for (json, field) in [(#""input_learning_rate":10"#, "input_learning_rate"), (#""input_learning_rate":-0.1"#, "input_learning_rate"),
                              (#""tv_weight":100.5"#, "tv_weight"), (#""tv_weight":-1"#, "tv_weight"),
                              (#""auto_stop_patience":0"#, "auto_stop_patience"), (#""auto_stop_patience":1000001"#, "auto_stop_patience"),
                              (#""auto_stop_patience":2.5"#, "auto_stop_patience"), (#""auto_stop_rule":true"#, "auto_stop_rule"),
                              (#""auto_stop":false,"auto_stop_rule":"variance""#, "auto_stop_rule"),
                              (#""auto_stop":false,"auto_stop_patience":10"#, "auto_stop_patience")] {
            #expect(refusal(#"{"task":"denoise",\#(json)}"#)?.field == field, "\(json)")
        }
        #expect(refusal(#"{"task":"denoise","auto_stop_rule":"sometimes"}"#) == SpecError("auto_stop_rule", "must be variance or held-out"))
        #expect(refusal(#"{"task":"denoise","input_learning_rate":9.99,"auto_stop_patience":1000000}"#) == nil)
    }

    @Test func effectiveParametersShowTheNewFields() throws {
        func parameters(_ json: String) throws -> EffectiveParameters {
            try TaskCatalog.parameters(parser.parse(json: Array(json.utf8)), imageChannels: 3, guideChannels: nil,
                                       threads: 1, classifier: { nil })
        }
        let set = try parameters(#"{"task":"denoise","input_learning_rate":0.05,"tv_weight":0.5,"auto_stop_rule":"variance","auto_stop_patience":120}"#)
        #expect(set.inputLearningRate == 0.05 && set.tvWeight == 0.5 && set.autoStopRule == "variance" && set.autoStopPatience == 120)
        let off = try parameters(#"{"task":"denoise","input_learning_rate":0,"tv_weight":0}"#)
        #expect(off.inputLearningRate == nil && off.tvWeight == nil && off.autoStopRule == "held-out")
        // JPEG artefacts are not independent per pixel: its fit watches the variance whatever is
        // asked; its presets stop at a fixed count, with no rule.
        #expect(try parameters(#"{"task":"jpeg","auto_stop":true,"auto_stop_rule":"held-out"}"#).autoStopRule == "variance")
        #expect(try parameters(#"{"task":"jpeg"}"#).autoStopRule == nil)
    }

    /// members: the ensemble's size, 1 to 8, denoise's default from its preset (2 with balanced, at
    /// most one a thread),
    /// refused above 1 where the task's fit is not an ensemble, and shown in the effective parameters.
    @Test func membersAreParsedCheckedAndShown() throws {
        #expect(try parser.parse(json: Array(#"{"task":"denoise","members":3}"#.utf8)).members == 3)
        #expect(try parser.parse(text: [("task", "denoise"), ("members", "1")]).members == 1)
        for bad in ["0", "9", "2.5", "\"two\""] { #expect(refusal(#"{"task":"denoise","members":\#(bad)}"#)?.field == "members", "\(bad)") }
        func parameters(_ json: String, threads: Int = 2) throws -> EffectiveParameters {
            try TaskCatalog.parameters(parser.parse(json: Array(json.utf8)), imageChannels: 3, guideChannels: nil,
                                       threads: threads, classifier: { nil })
        }
        #expect(try parameters(#"{"task":"denoise"}"#).members == 2)
        // One thread: the preset's ensemble would run its members one after the other; asked for, it does.
        #expect(try parameters(#"{"task":"denoise"}"#, threads: 1).members == nil)
        #expect(try parameters(#"{"task":"denoise","members":2}"#, threads: 1).members == 2)
        #expect(try parameters(#"{"task":"denoise","preset":"fast"}"#).members == nil)
        #expect(try parameters(#"{"task":"denoise","members":1}"#).members == nil)
        #expect(try parameters(#"{"task":"jpeg"}"#).members == nil)
        #expect(try parameters(#"{"task":"jpeg","members":2}"#).members == 2)
        var spec = TaskSpec(task: .inpaint)
        spec.members = 2
        #expect(throws: SpecError("members", "only denoise and jpeg fit an ensemble")) {
            try TaskCatalog.check(spec, hasImage: true, hasMask: true, hasGuide: false)
        }
        spec.members = 1
        try TaskCatalog.check(spec, hasImage: true, hasMask: true, hasGuide: false)
    }

    /// noise_level: the whole image's noise for a denoising fit (a tile's), read from JSON and
    /// forms within (0, 0.5], refused for other tasks, and the loss floor of auto stop's variance
    /// rule in place of the level estimated from the image fitted.
    @Test func noiseLevelIsParsedCheckedAndBecomesTheLossFloor() throws {
        let json = try parser.parse(json: Array(#"{"task":"denoise","noise_level":0.1}"#.utf8))
        #expect(json.noiseLevel == 0.1)
        #expect(try parser.parse(text: [("task", "denoise"), ("noise_level", "0.5")]).noiseLevel == 0.5)
        #expect(try parser.parse(json: Array(#"{"task":"denoise"}"#.utf8)).noiseLevel == nil)
        let stored = String(decoding: try JSONEncoder.service().encode(json), as: UTF8.self)
        #expect(stored.contains(#""noise_level":0.1"#))
        #expect(try JSONDecoder.service().decode(TaskSpec.self, from: Data(stored.utf8)) == json)

        #expect(refusal(#"{"task":"denoise","noise_level":0}"#) == SpecError("noise_level", "must be greater than 0.0, got 0.0"))
        #expect(refusal(#"{"task":"denoise","noise_level":0.51}"#) == SpecError("noise_level", "must be at most 0.5, got 0.51"))
        #expect(refusal(#"{"task":"denoise","noise_level":-0.1}"#)?.field == "noise_level")
        #expect(refusal(#"{"task":"denoise","noise_level":"0.1"}"#)?.field == "noise_level")
        #expect(throws: SpecError("noise_level", #"must be a number, got "low""#)) {
            try parser.parse(text: [("task", "denoise"), ("noise_level", "low")])
        }

        // Only denoise takes it: jpeg fits the same task, but its artefacts are not white noise.
        for task in TaskKind.allCases where task != .denoise {
            var spec = TaskSpec(task: task)
            if task == .superResolution { spec.factor = 4 }
            if task == .restore { spec.keep = 0.5 }
            if task == .activation { spec.class = 1 }
            let hasMask = TaskCatalog.mask(task) == .required, hasGuide = TaskCatalog.guide(task) == .required
            let hasImage = TaskCatalog.image(task) == .required
            #expect(throws: Never.self, "\(task)") { try TaskCatalog.check(spec, hasImage: hasImage, hasMask: hasMask, hasGuide: hasGuide) }
            spec.noiseLevel = 0.1
            #expect(throws: SpecError("noise_level", "only denoise takes a noise level"), "\(task)") {
                try TaskCatalog.check(spec, hasImage: hasImage, hasMask: hasMask, hasGuide: hasGuide)
            }
        }
        try TaskCatalog.check(json, hasMask: false, hasGuide: false)

        // The floor: noise_level², where the task would otherwise estimate σ from the image.
        let image = Tensor(channels: 3, height: 32, width: 32)
        var state: UInt32 = 7
        for i in 0..<image.count {
            state = state &* 1_664_525 &+ 1_013_904_223
            image.data[i] = 0.45 + 0.1 * Float(state >> 8) / Float(1 << 24)
        }
        func floor(_ json: String) throws -> Double? {
            let task = try TaskCatalog.build(parser.parse(json: Array(json.utf8)), inputs: TaskInputs(image: image), threads: 1,
                                             classifier: { nil })
            return try #require(task as? DenoisingTask).fitSettings.autoStop?.lossFloor
        }
        let estimate = NoiseLevel.estimate(image)
        #expect(abs(estimate - 0.1) > 0.01, "the estimate differs from the level given")
        #expect(try floor(#"{"task":"denoise","preset":"reference"}"#) == estimate * estimate)
        #expect(try floor(#"{"task":"denoise","preset":"reference","noise_level":0.1}"#) == 0.1 * 0.1)
        #expect(try floor(#"{"task":"denoise","auto_stop_rule":"variance","noise_level":0.25}"#) == 0.25 * 0.25)
        // With auto stop off there is no floor to set.
        #expect(try floor(#"{"task":"denoise","auto_stop":false,"noise_level":0.1}"#) == nil)
    }

    /// Submission computes the parameters from the channels alone; the job builds its task on
    /// the decoded pixels. Both must agree for every task.
    @Test func parametersFromChannelsEqualThoseOfTheBuiltTask() throws {
        let cases: [(String, Int, Int?)] = [
            (#"{"task":"denoise"}"#, 3, nil), (#"{"task":"denoise","preset":"reference"}"#, 1, nil),
            (#"{"task":"jpeg","preset":"fast","iterations":50}"#, 3, nil),
            (#"{"task":"super-resolution","factor":2}"#, 3, nil), (#"{"task":"super-resolution","factor":8}"#, 1, nil),
            (#"{"task":"inpaint","setup":"large-hole"}"#, 3, nil), (#"{"task":"inpaint","setup":"region"}"#, 1, nil),
            (#"{"task":"restore","keep":0.3}"#, 1, nil), (#"{"task":"restore"}"#, 3, nil),
            (#"{"task":"flash"}"#, 3, 1), (#"{"task":"flash","auto_stop":true,"network":{"input_channels":8}}"#, 1, 3),
        ]
        for (json, channels, guide) in cases {
            let spec = try parser.parse(json: Array(json.utf8))
            let hasMask = TaskCatalog.mask(spec.task) != .forbidden && spec.keep == nil
            let inputs = TaskInputs(image: Tensor(channels: channels, height: 20, width: 28), mask: hasMask ? Tensor(channels: 1, height: 20, width: 28) : nil,
                                    guide: guide.map { Tensor(channels: $0, height: 20, width: 28) })
            let built = TaskCatalog.parameters(spec, try TaskCatalog.build(spec, inputs: inputs, threads: 2, classifier: { nil }))
            let probed = try TaskCatalog.parameters(spec, imageChannels: channels, guideChannels: guide, threads: 2, classifier: { nil })
            #expect(probed == built, "\(json)")
        }
        #expect(throws: SpecError.self) {
            try TaskCatalog.parameters(TaskSpec(task: .preimage), imageChannels: 3, guideChannels: nil, threads: 1, classifier: { nil })
        }
    }
}
