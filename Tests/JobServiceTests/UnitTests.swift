import Foundation
import Logging
import Testing
@testable import JobService

@Suite("job IDs")
struct JobIDTests {
    @Test func randomIDsAre26Base32CharactersAndDistinct() {
        let ids = (0..<2000).map { _ in JobID.random().rawValue }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.count == 26 && JobID($0) != nil })
    }

    @Test func encodingIsRFC4648Base32() {
        // 16 zero bytes, and 16 × 0xff (the last character carries 3 bits and 2 zero bits).
        #expect(JobID(bytes: [UInt8](repeating: 0, count: 16)).rawValue == String(repeating: "a", count: 26))
        #expect(JobID(bytes: [UInt8](repeating: 0xff, count: 16)).rawValue == String(repeating: "7", count: 25) + "4")
    }

    @Test func anythingElseIsRejectedBeforeItTouchesAPath() {
        for s in ["", "abc", "../../../../etc/passwd", String(repeating: "a", count: 25), String(repeating: "a", count: 27),
                  String(repeating: "A", count: 26), String(repeating: "a", count: 25) + "/", String(repeating: "a", count: 25) + "1",
                  String(repeating: "a", count: 25) + "b", "aaaaaaaaaaaaaaaaaaaaaaaa..", "aaaaaaaaaaaaaaaaaaaaaaaa\0a"] {
            #expect(JobID(s) == nil, "\(s)")
        }
    }
}

@Suite("task spec")
struct SpecParserTests {
    let parser = SpecParser(maxIterations: 10_000, maxSnapshots: 100)

    func field(_ body: () throws(SpecError) -> TaskSpec) -> String? {
        do { _ = try body(); return nil } catch { return error.field }
    }

    @Test func jsonSpecWithEveryField() throws {
        let spec = try parser.parse(json: Array(#"{"task":"super-resolution","factor":4,"iterations":2000,"snapshot_every":100,"seed":7,"learning_rate":0.01,"reg_noise":0.03,"exp_weight":0.99,"backtracking":false,"optimizer":"adam","network":{"channels_down":[8,8],"channels_up":[8,8],"channels_skip":[4,4],"upsample_mode":"nearest","padding":"zero","input_channels":8}}"#.utf8))
        #expect(spec.task == .superResolution && spec.factor == 4 && spec.iterations == 2000 && spec.seed == 7)
        #expect(spec.backtracking == false && spec.network?.channelsDown == [8, 8] && spec.network?.padding == .zero)
    }

    @Test func textFieldsAreTypedByField() throws {
        let spec = try parser.parse(text: [("task", "restore"), ("keep", "0.5"), ("backtracking", "true"), ("seed", "3")])
        #expect(spec.task == .restore && spec.keep == 0.5 && spec.backtracking == true && spec.seed == 3)
    }

    @Test func eachBadFieldIsNamed() {
        let cases: [(String, String)] = [
            (#"{"iterations":10}"#, "task"), (#"{"task":"blur"}"#, "task"), (#"{"task":"denoise","x":1}"#, "x"),
            (#"{"task":"denoise","iterations":"10"}"#, "iterations"), (#"{"task":"denoise","iterations":10001}"#, "iterations"),
            (#"{"task":"denoise","iterations":2.5}"#, "iterations"), (#"{"task":"denoise","seed":-1}"#, "seed"),
            (#"{"task":"denoise","learning_rate":0}"#, "learning_rate"), (#"{"task":"denoise","reg_noise":2}"#, "reg_noise"),
            (#"{"task":"denoise","exp_weight":1}"#, "exp_weight"), (#"{"task":"denoise","backtracking":1}"#, "backtracking"),
            (#"{"task":"super-resolution","factor":3}"#, "factor"), (#"{"task":"denoise","optimizer":"sgd"}"#, "optimizer"),
            (#"{"task":"denoise","network":{"depth":3}}"#, "network.depth"),
            (#"{"task":"denoise","network":{"channels_down":[8],"channels_up":[8,8]}}"#, "network"),
            (#"{"task":"denoise","network":{"channels_down":[0]}}"#, "network.channels_down"),
            (#"{"task":"denoise","iterations":1000,"snapshot_every":1}"#, "snapshot_every"),
            (#"[1]"#, "spec"), (#"{"#, "spec"),
        ]
        for (json, name) in cases {
            #expect(field { () throws(SpecError) in try parser.parse(json: Array(json.utf8)) } == name, "\(json)")
        }
        #expect(field { () throws(SpecError) in try parser.parse(text: [("task", "denoise"), ("task", "jpeg")]) } == "task")
        #expect(field { () throws(SpecError) in try parser.parse(text: [("task", "denoise"), ("iterations", "0x10")]) } == "iterations")
    }

    /// Named choices are decoded into the engine's own types once, at submission, and an
    /// unknown name is refused with the list of known ones.
    @Test func choicesAreDecodedIntoTheEnginesTypes() throws {
        let spec = try parser.parse(json: Array(#"{"task":"inpaint","preset":"fast","setup":"large-hole","optimizer":"lbfgs","network":{"upsample_mode":"bilinear","padding":"reflection"}}"#.utf8))
        #expect(spec.preset == .fast && spec.setup == .largeHole && spec.optimizer == .lbfgs)
        #expect(spec.network?.upsampleMode == .bilinear && spec.network?.padding == .reflection)
        #expect(try parser.parse(json: Array(#"{"task":"preimage","layer":"conv10"}"#.utf8)).layer == .conv10)
        func refusal(_ json: String) -> SpecError? {
            do { _ = try parser.parse(json: Array(json.utf8)); return nil } catch { return error }
        }
        #expect(refusal(#"{"task":"denoise","preset":"turbo"}"#) == SpecError("preset", "must be fast, balanced or reference"))
        #expect(refusal(#"{"task":"denoise","optimizer":"sgd"}"#) == SpecError("optimizer", "must be adam or lbfgs"))
        #expect(refusal(#"{"task":"denoise","optimizer":7}"#) == SpecError("optimizer", "must be adam or lbfgs"))
        #expect(refusal(#"{"task":"denoise","network":{"padding":"replication"}}"#) == SpecError("network.padding", "must be zero or reflection"))
        #expect(refusal(#"{"task":"preimage","layer":"logits"}"#)?.field == "layer")
        // The record on disk keeps the names users wrote.
        let stored = String(decoding: try JSONEncoder.service().encode(spec), as: UTF8.self)
        #expect(stored.contains(#""preset":"fast""#) && stored.contains(#""setup":"large-hole""#) && stored.contains(#""optimizer":"lbfgs""#))
        #expect(try JSONDecoder.service().decode(TaskSpec.self, from: Data(stored.utf8)) == spec)
    }

    @Test func taskInputsAreCheckedPerTask() {
        func check(_ json: String, mask: Bool = false, guide: Bool = false) -> String? {
            do {
                let spec = try parser.parse(json: Array(json.utf8))
                try TaskCatalog.check(spec, hasMask: mask, hasGuide: guide)
                return nil
            } catch { return error.field }
        }
        #expect(check(#"{"task":"inpaint"}"#) == "mask")
        #expect(check(#"{"task":"inpaint"}"#, mask: true) == nil)
        #expect(check(#"{"task":"denoise"}"#, mask: true) == "mask")
        #expect(check(#"{"task":"flash"}"#) == "guide")
        #expect(check(#"{"task":"restore"}"#) == "mask")
        #expect(check(#"{"task":"restore","keep":0.5}"#, mask: true) == "keep")
        #expect(check(#"{"task":"denoise","factor":2}"#) == "factor")
        for preset in ["fast", "balanced", "reference"] {
            for task in [#""denoise""#, #""jpeg""#, #""super-resolution","factor":4"#, #""inpaint""#] {
                #expect(check(#"{"task":\#(task),"preset":"\#(preset)"}"#, mask: task.contains("inpaint")) == nil)
            }
        }
        #expect(check(#"{"task":"denoise","preset":"jpeg"}"#) == "preset")
        #expect(check(#"{"task":"inpaint","preset":"text"}"#, mask: true) == "preset")
        #expect(check(#"{"task":"restore","keep":0.5,"preset":"fast"}"#) == "preset")
        #expect(check(#"{"task":"inpaint","setup":"large-hole"}"#, mask: true) == nil)
        #expect(check(#"{"task":"inpaint","setup":"vase"}"#, mask: true) == "setup")
        #expect(check(#"{"task":"denoise","setup":"text"}"#) == "setup")
    }
}

@Suite("job store")
struct FileJobStoreTests {
    static func record(_ id: JobID, sequence: UInt64 = 1, state: JobState = .queued) -> JobRecord {
        let p = EffectiveParameters(task: "denoise", preset: "balanced", setup: nil, iterations: 10, snapshotEvery: 5, seed: 0, learningRate: 0.01,
                                    regNoise: 0.03, expWeight: 0.99, backtracking: true, autoStop: true, maxSeconds: nil, factor: nil, keep: nil, layer: nil,
                                    optimizer: "adam", threads: 1,
                                    network: .init(inputChannels: 32, outputChannels: 3, channelsDown: [8], channelsUp: [8], channelsSkip: [4],
                                                   upsampleMode: ["bilinear"], downsampleMode: ["stride"], padding: "reflection"))
        return JobRecord(id: id, sequence: sequence, state: state, spec: TaskSpec(task: .denoise), parameters: p,
                         input: .init(width: 4, height: 4, channels: 3, hasAlpha: false, files: ["image": "image.png"]),
                         idempotencyKey: nil, createdAt: Date(timeIntervalSince1970: 1_700_000_000), attempts: 0,
                         progress: .init(iteration: 0, total: 10), snapshots: [])
    }

    @Test func recordsAndFilesRoundTripAndLeftoversAreCleaned() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dipd-store-\(UUID().uuidString)").path
        let store = try FileJobStore(root: root, logger: Logger(label: "test"))
        let id = JobID.random()
        var r = Self.record(id)
        try store.create(r, inputs: [("image.png", [1, 2, 3])])
        r.state = .running; r.attempts = 1
        try store.save(r)
        try store.writeSnapshot(id, iteration: 5, png: [9, 9])
        // What an interrupted creation, deletion or write leaves behind.
        try FileManager.default.createDirectory(atPath: root + "/jobs/.staging-\(JobID.random())", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/jobs/.trash-x", withIntermediateDirectories: true)
        try #require(FileManager.default.createFile(atPath: store.directory(id) + "/.job.json.tmp-1-2", contents: Data([1])))
        let loaded = store.loadAll()
        #expect(loaded == [r])
        #expect(try store.read(id, file: "image.png") == [1, 2, 3])
        #expect(DurableFiles.list(root + "/jobs") == [id.rawValue])
        #expect(!DurableFiles.list(store.directory(id)).contains { $0.hasPrefix(".") })
        store.delete(id)
        #expect(store.loadAll().isEmpty && DurableFiles.list(root + "/jobs").isEmpty)
    }

    @Test func corruptRecordsAreSkippedNotFatal() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dipd-store-\(UUID().uuidString)").path
        let store = try FileJobStore(root: root, logger: Logger(label: "test"))
        let good = JobID.random(), bad = JobID.random()
        try store.create(Self.record(good), inputs: [])
        try store.create(Self.record(bad, sequence: 2), inputs: [])
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: store.directory(bad) + "/job.json"))
        #expect(store.loadAll().map(\.id) == [good])
    }
}

/// config/dipd.json documents every default; it must say what the code does.
@Test func configurationFileListsTheDefaults() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("config/dipd.json")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    let d = ServiceConfiguration()
    let limits = try #require(json["limits"] as? [String: Any])
    #expect(json["host"] as? String == d.host && json["port"] as? Int == d.port)
    #expect(json["data_dir"] as? String == d.dataDirectory && json["public_base_url"] as? String == d.publicBaseURL)
    #expect(json["trusted_proxies"] as? [String] == d.trustedProxies && json["cors_allowed_origins"] as? [String] == d.corsAllowedOrigins)
    #expect(json["api_key"] as? String == "" && d.apiKey == nil && json["log_level"] as? String == d.logLevel)
    #expect(json["retention_seconds"] as? Int == d.retentionSeconds && json["sweep_interval_seconds"] as? Int == d.sweepIntervalSeconds)
    #expect(json["workers"] as? Int == d.workers && json["threads_per_worker"] as? Int == d.threadsPerWorker)
    #expect(json["worker_nice"] as? Int == d.workerNice && json["queue_capacity"] as? Int == d.queueCapacity)
    #expect(json["retry_after_seconds"] as? Int == d.retryAfterSeconds && json["shutdown_grace_seconds"] as? Int == d.shutdownGraceSeconds)
    #expect(json["preimage_weights"] as? String == d.preimageWeights && json["max_lost_runs"] as? Int == d.maxLostRuns)
    #expect(limits["max_upload_bytes"] as? Int == d.limits.maxUploadBytes && limits["max_image_pixels"] as? Int == d.limits.maxImagePixels)
    #expect(limits["max_image_side"] as? Int == d.limits.maxImageSide && limits["max_iterations"] as? Int == d.limits.maxIterations)
    #expect(limits["max_snapshots"] as? Int == d.limits.maxSnapshots && limits["max_wait_seconds"] as? Int == d.limits.maxWaitSeconds)
}

@Test func workersAreFittedToTheCores() {
    let d = ServiceConfiguration()
    #expect(d.resolvedWorkers(cores: 2) == (1, 2))
    #expect(d.resolvedWorkers(cores: 32) == (4, 8))
    var c = d; c.workers = 2
    #expect(c.resolvedWorkers(cores: 2) == (2, 1))
}

@Test func preferWaitIsParsedAndClamped() {
    #expect(JobRoutes.preferWait("wait=10", max: 55) == 10)
    #expect(JobRoutes.preferWait("respond-async, wait=100", max: 55) == 55)
    #expect(JobRoutes.preferWait("return=minimal", max: 55) == nil)
    #expect(JobRoutes.preferWait(nil, max: 55) == nil)
}

@Test func openAPIDocumentServedIsTheRepositorysFile() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("openapi.yaml")
    #expect(OpenAPIDocument.yaml == (try String(contentsOf: url, encoding: .utf8)))
}
