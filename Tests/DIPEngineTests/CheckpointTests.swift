import Testing
@testable import DIPEngine

/// A fit resumed from a checkpoint ends exactly where the uninterrupted fit ends.
@Suite("Fit checkpoints")
struct CheckpointTests {
    static func settings(_ rule: AutoStop.Criterion = .outputVariance) -> FitSettings {
        var s = FitSettings()
        s.iterations = 40; s.seed = 3; s.threads = 2
        s.autoStop = AutoStop(criterion: rule, heldOutFraction: 0.1, alpha: 0.1, patience: 1000, minIterations: 5)
        s.backtracking = FitSettings.Backtracking(period: 7, dropDB: 0.01)   // restores now and then
        return s
    }

    static func fit(resume: FitCheckpoint? = nil, cancel: CancellationFlag? = nil, cancelAt: Int? = nil,
                    settings: FitSettings = settings(), saved: inout [FitCheckpoint]) throws -> FitResult {
        var kept: [FitCheckpoint] = []
        let checkpoints = FitCheckpointing(resume: resume, interval: 0) { kept.append($0) }
        var task = DenoisingTask(image: FitLoopTests.target(), network: FitLoopTests.tiny, settings: settings)
        task.additiveWhiteNoise = true     // additive noise: the held-out rule applies
        let result = try task.run(cancel: cancel, checkpoints: checkpoints, onProgress: { p in
            if p.iteration == cancelAt { cancel?.cancel() }
        }, onSnapshot: nil)
        saved = kept
        return result
    }

    /// Bit for bit (a Bool, so that a failure does not print both images).
    static func identical(_ a: Tensor, _ b: Tensor) -> Bool { a.shape == b.shape && a.values == b.values }

    @Test(arguments: AutoStop.Criterion.allCases)
    func resumedFitEqualsTheUninterruptedOne(rule: AutoStop.Criterion) throws {
        var saved: [FitCheckpoint] = []
        let whole = try Self.fit(settings: Self.settings(rule), saved: &saved)
        // A checkpoint after every step but the last, each taken after the step's update.
        #expect(saved.map(\.iteration) == Array(1..<40))
        let middle = try #require(saved.first { $0.iteration == 17 })
        let decoded = try FitCheckpoint(decoding: middle.encoded())
        #expect(decoded == middle)
        #expect(decoded.detector?.rule == rule)
        var more: [FitCheckpoint] = []
        let resumed = try Self.fit(resume: decoded, settings: Self.settings(rule), saved: &more)
        #expect(more.first?.iteration == 18)
        #expect(resumed.iterations == 40 && resumed.bestIteration == whole.bestIteration)
        #expect(Self.identical(resumed.image, whole.image), "the result differs")
        #expect(Self.identical(resumed.lastOutput, whole.lastOutput), "the last output differs")
    }

    /// With the input fitted and a TV term: the checkpoint holds the input after the network's
    /// parameters, and the resumed fit still ends bit for bit where the whole one does.
    @Test func aFittedInputIsCheckpointedWithTheParameters() throws {
        var settings = Self.settings(.heldOutPixels)
        settings.inputLearningRate = 0.05; settings.totalVariationWeight = 0.2
        var saved: [FitCheckpoint] = []
        let whole = try Self.fit(settings: settings, saved: &saved)
        let middle = try #require(saved.first { $0.iteration == 17 })
        let network = try SkipNetwork(FitLoopTests.tiny)
        #expect(middle.parameters.count == network.parameters.count + 1)
        #expect(middle.parameters.last?.count == FitLoopTests.tiny.inputChannels * 16 * 16)
        var more: [FitCheckpoint] = []
        let resumed = try Self.fit(resume: try FitCheckpoint(decoding: middle.encoded()), settings: settings, saved: &more)
        #expect(Self.identical(resumed.image, whole.image), "the result differs")
        // A checkpoint of the fixed-input fit does not fit this one.
        var fixed: [FitCheckpoint] = []
        _ = try Self.fit(settings: Self.settings(.heldOutPixels), saved: &fixed)
        #expect(throws: FitCheckpoint.DecodingError.self) { _ = try Self.fit(resume: fixed.last, settings: settings, saved: &more) }
    }

    @Test func aCancelSavesWhereItStopped() throws {
        var saved: [FitCheckpoint] = []
        let whole = try Self.fit(saved: &saved)
        let flag = CancellationFlag()
        let cut = try Self.fit(cancel: flag, cancelAt: 23, saved: &saved)
        #expect(cut.stopReason == .canceled && cut.iterations == 23)
        let last = try #require(saved.last)
        #expect(last.iteration == 23)
        var more: [FitCheckpoint] = []
        let resumed = try Self.fit(resume: last, saved: &more)
        #expect(Self.identical(resumed.image, whole.image), "the result differs")
    }

    /// A checkpoint with these values and a correct checksum: the checksum is no defence
    /// against a crafted file, so the reader's own checks must hold.
    static func crafted(seconds: Double = 1, adamStep: Int = 0, patch: (inout [UInt8]) -> Void = { _ in }) -> [UInt8] {
        let cp = FitCheckpoint(iteration: 1, seconds: seconds, parameters: [[0.5]], adamStep: adamStep,
                               adamFirstMoments: [[0]], adamSecondMoments: [[0]], average: [0], lastOutput: [0],
                               backtrackingCopy: [], backtrackingPSNR: 0, detector: nil, best: nil, picked: nil, copyAt: nil)
        var bytes = cp.encoded()
        bytes.removeLast(8)
        patch(&bytes)
        withUnsafeBytes(of: FNV1a.hash(bytes).littleEndian) { bytes += $0 }
        return bytes
    }

    @Test func craftedCheckpointsAreRefused() throws {
        #expect(try FitCheckpoint(decoding: Self.crafted()).iteration == 1)
        for seconds in [Double.nan, .infinity, -1, 1e300] {
            #expect(throws: FitCheckpoint.DecodingError.invalid("fitting time \(seconds) s")) {
                try FitCheckpoint(decoding: Self.crafted(seconds: seconds))
            }
        }
        #expect(throws: FitCheckpoint.DecodingError.invalid("negative Adam step -3")) {
            try FitCheckpoint(decoding: Self.crafted(adamStep: -3))
        }
        // The first parameter's float count (after the magic, iteration, seconds and the array
        // count) claiming 2^40 floats is refused before anything that size is allocated.
        let huge = Self.crafted { bytes in withUnsafeBytes(of: Int64(1 << 40).littleEndian) { bytes.replaceSubrange(32..<40, with: $0) } }
        #expect(throws: FitCheckpoint.DecodingError.truncated) { try FitCheckpoint(decoding: huge) }
    }

    @Test func damagedOrForeignCheckpointsAreRefused() throws {
        var saved: [FitCheckpoint] = []
        _ = try Self.fit(saved: &saved)
        let bytes = try #require(saved.last).encoded()
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x10
        #expect(throws: FitCheckpoint.DecodingError.checksumMismatch) { try FitCheckpoint(decoding: flipped) }
        #expect(throws: FitCheckpoint.DecodingError.notACheckpoint) { try FitCheckpoint(decoding: Array(bytes.prefix(6))) }
        #expect(throws: FitCheckpoint.DecodingError.checksumMismatch) { try FitCheckpoint(decoding: Array(bytes.dropLast(9))) }
        // Taken without auto stop: this fit keeps auto stop's state, so it cannot go on from it.
        var plain = Self.settings()
        plain.autoStop = nil
        var other: [FitCheckpoint] = []
        _ = try Self.fit(settings: plain, saved: &other)
        #expect(throws: FitCheckpoint.DecodingError.self) { _ = try Self.fit(resume: other.last, saved: &saved) }
        // Taken further than this fit goes (a checkpoint from a longer fit, or a crafted one).
        var shorter = Self.settings()
        shorter.iterations = 10
        #expect(throws: FitCheckpoint.DecodingError.doesNotFit("the checkpoint is at iteration 40, past the fit's 10")) {
            _ = try Self.fit(resume: saved.last.map { cp in var c = cp; c.iteration = 40; return c }, settings: shorter, saved: &other)
        }
        // Taken with the other auto-stop rule: its state is not this rule's.
        var heldOut: [FitCheckpoint] = []
        _ = try Self.fit(settings: Self.settings(.heldOutPixels), saved: &heldOut)
        #expect(throws: FitCheckpoint.DecodingError.doesNotFit("auto stop differs")) {
            _ = try Self.fit(resume: heldOut.last, saved: &saved)
        }
    }
}

/// An ensemble (`FitSettings.members`) is the mean of its members' own fits, and its
/// checkpoint, which holds every member's state, resumes each member where it was.
@Suite("Fit ensembles")
struct FitEnsembleTests {
    static func ensemble(members: Int = 2) -> FitSettings {
        var s = CheckpointTests.settings(.heldOutPixels)
        s.inputLearningRate = 0.05; s.totalVariationWeight = 0.2
        s.members = members
        return s
    }

    /// Side by side (two threads) or one after the other (one).
    @Test(arguments: [2, 1])
    func anEnsembleIsTheMeanOfItsMembersFits(threads: Int) throws {
        var saved: [FitCheckpoint] = []
        var settings = Self.ensemble()
        settings.threads = threads
        let whole = try CheckpointTests.fit(settings: settings, saved: &saved)
        let first = try CheckpointTests.fit(settings: FitEnsemble.memberSettings(settings, 0), saved: &saved)
        let second = try CheckpointTests.fit(settings: FitEnsemble.memberSettings(settings, 1), saved: &saved)
        #expect(FitEnsemble.memberSettings(settings, 0).seed == settings.seed)
        #expect(FitEnsemble.memberSettings(settings, 1).seed != settings.seed)
        #expect(FitEnsemble.memberSettings(settings, 1).threads == 1 && FitEnsemble.memberSettings(settings, 1).members == 1)
        #expect(!CheckpointTests.identical(first.image, second.image), "the members must differ")
        let mean = Tensor(first.image.shape)
        for i in 0..<mean.count { mean.data[i] = (first.image.data[i] + second.image.data[i]) * 0.5 }
        #expect(CheckpointTests.identical(whole.image, mean), "the ensemble's result is not its members' mean")
        #expect(whole.bestIteration == first.bestIteration)
        #expect(whole.iterations == max(first.iterations, second.iterations))
    }

    @Test func anEnsemblesCheckpointResumesEveryMember() throws {
        var saved: [FitCheckpoint] = []
        let settings = Self.ensemble()
        let whole = try CheckpointTests.fit(settings: settings, saved: &saved)
        #expect(!saved.isEmpty && saved.allSatisfy { $0.members.count == 2 })
        let middle = try #require(saved.first { $0.members.allSatisfy { $0.iteration >= 15 } })
        let decoded = try FitCheckpoint(decoding: middle.encoded())
        #expect(decoded == middle)
        #expect(decoded.iteration == middle.members[0].iteration)
        var more: [FitCheckpoint] = []
        let resumed = try CheckpointTests.fit(resume: decoded, settings: settings, saved: &more)
        #expect(CheckpointTests.identical(resumed.image, whole.image), "the resumed ensemble's result differs")

        // A member resumed at its last step ends without saving: the other's saves still go out,
        // holding the finished member's resumed state, and the result is still the whole fit's.
        let late = try #require(saved.last?.members[1])
        #expect(late.iteration == 39)
        var mixed: [FitCheckpoint] = []
        let both = try CheckpointTests.fit(resume: FitCheckpoint(members: [middle.members[0], late]), settings: settings, saved: &mixed)
        #expect(!mixed.isEmpty && mixed.allSatisfy { $0.members[1] == late }, "\(mixed.count) saves")
        #expect(CheckpointTests.identical(both.image, whole.image), "the result differs")

        // A member's checkpoint does not resume an ensemble, nor an ensemble's a single fit.
        #expect(throws: FitCheckpoint.DecodingError.self) {
            _ = try CheckpointTests.fit(resume: middle.members[0], settings: settings, saved: &more)
        }
        #expect(throws: FitCheckpoint.DecodingError.self) {
            _ = try CheckpointTests.fit(resume: middle, settings: Self.ensemble(members: 1), saved: &more)
        }
        #expect(throws: FitCheckpoint.DecodingError.self) {
            _ = try CheckpointTests.fit(resume: middle, settings: Self.ensemble(members: 3), saved: &more)
        }
        // A damaged one is refused.
        var bytes = middle.encoded()
        bytes[40] ^= 0xFF
        #expect(throws: FitCheckpoint.DecodingError.self) { _ = try FitCheckpoint(decoding: bytes) }
    }
}
