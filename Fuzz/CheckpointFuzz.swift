// libFuzzer target for the fit checkpoint reader, `FitCheckpoint(decoding:)`. The first
// byte picks what the rest is:
//   0: a file as it is (mostly stopped by the magic or the checksum);
//   1: a body behind the magic, sealed with a correct checksum, so the reader's fields and
//      counts meet hostile values (the checksum is no defence: anyone can compute it);
//   2: a recipe for a valid checkpoint (an ensemble's of two or three members when its first
//      byte is odd), which is encoded, decoded and compared;
//   3: a body behind an ensemble's magic, sealed with a correct checksum (members' bytes
//      inside carry their own checksums).
// Properties: no crash and no allocation beyond the input's size (Fuzz/run sets a 64 MB
// malloc limit for inputs up to 1 MB); what decodes holds only values a fit can resume from
// (iteration and Adam's step not negative, seconds finite, not negative and convertible to
// nanoseconds); decode → encode → decode is stable; a valid checkpoint round-trips exactly,
// and every prefix of it and every one-byte change of it is refused.

@testable import DIPEngine

/// Reads the recipe; past its end every value is zero.
struct Recipe {
    var bytes: ArraySlice<UInt8>
    mutating func byte() -> UInt8 { bytes.popFirst() ?? 0 }
    mutating func small(_ limit: Int) -> Int { Int(byte()) % (limit + 1) }
    mutating func u64() -> UInt64 { (0..<8).reduce(0) { v, k in v | UInt64(byte()) << (8 * UInt64(k)) } }
    mutating func int() -> Int { Int(truncatingIfNeeded: u64()) }
    mutating func double() -> Double { Double(bitPattern: u64()) }
    mutating func floats(_ n: Int) -> [Float] { (0..<n).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: u64())) } }
    mutating func arrays(_ sizes: [Int]) -> [[Float]] { sizes.map { floats($0) } }
}

func makeCheckpoint(_ r: inout Recipe) -> FitCheckpoint {
    if r.byte() & 1 == 1 { return FitCheckpoint(members: (0..<(2 + r.small(1))).map { _ in makeMember(&r) }) }
    return makeMember(&r)
}

func makeMember(_ r: inout Recipe) -> FitCheckpoint {
    let sizes = (0..<r.small(4)).map { _ in r.small(12) }
    let pixels = r.small(20)
    let detector: StopDetectorState?
    switch r.small(2) {
    case 0: detector = nil
    case 1:
        detector = .outputVariance(.init(mean: r.floats(pixels), started: r.byte() & 1 == 1, variance: r.double(),
                                         bestVariance: r.double(), bestIteration: r.int(), floorIteration: r.int(),
                                         smoothedLoss: r.double()))
    default:
        detector = .heldOut(.init(error: r.double(), lowest: r.double(), pick: r.int()))
    }
    return FitCheckpoint(
        iteration: Int(r.u64() >> 34), seconds: Double(r.u64() >> 40) / 1024,
        parameters: r.arrays(sizes), adamStep: Int(r.u64() >> 34),
        adamFirstMoments: r.arrays(sizes), adamSecondMoments: r.arrays(sizes),
        average: r.floats(pixels), lastOutput: r.floats(pixels),
        backtrackingCopy: r.byte() & 1 == 1 ? r.arrays(sizes) : [], backtrackingPSNR: r.double(),
        detector: detector, best: r.byte() & 1 == 1 ? r.floats(pixels) : nil,
        picked: r.byte() & 1 == 1 ? Int(r.u64() >> 34) : nil, copyAt: r.byte() & 1 == 1 ? Int(r.u64() >> 34) : nil)
}

func decode(_ bytes: [UInt8]) -> FitCheckpoint? { try? FitCheckpoint(decoding: bytes) }

/// What a resumed fit relies on.
func checkResumable(_ cp: FitCheckpoint, inputSize: Int) {
    require(cp.iteration >= 0 && cp.adamStep >= 0, "negative iteration or Adam step decoded")
    require(cp.seconds.isFinite && cp.seconds >= 0 && cp.seconds * 1e9 < 9.2e18, "unusable seconds decoded: \(cp.seconds)")
    _ = Duration.nanoseconds(Int64(cp.seconds * 1e9))
    let floats = [cp.parameters, cp.adamFirstMoments, cp.adamSecondMoments, cp.backtrackingCopy].joined().map(\.count).reduce(0, +)
        + cp.average.count + cp.lastOutput.count + (cp.best?.count ?? 0) + (cp.detector?.imageCount ?? 0)
    require(4 * floats <= inputSize, "decoded more floats than the input holds")
    require(cp.members.count != 1 && cp.members.allSatisfy(\.members.isEmpty), "an ensemble of one, or of ensembles, decoded")
    for m in cp.members { checkResumable(m, inputSize: inputSize) }
}

/// Decode → encode → decode gives the same bytes again (bytes, not ==, so that NaNs compare).
func checkStable(_ cp: FitCheckpoint) {
    let once = cp.encoded()
    guard let again = decode(once) else { fatalError("a decoded checkpoint's encoding is refused") }
    require(again.encoded() == once, "decode → encode is not stable")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let rest = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 4 {
    case 0, 1, 3:
        var bytes = rest
        if data[0] % 4 != 0 {
            bytes = (data[0] % 4 == 1 ? FitCheckpoint.magic : FitCheckpoint.ensembleMagic) + rest
            withUnsafeBytes(of: FNV1a.hash(bytes).littleEndian) { bytes += $0 }
        }
        guard let cp = decode(bytes) else { return 0 }
        checkResumable(cp, inputSize: bytes.count)
        checkStable(cp)
    default:
        var recipe = Recipe(bytes: rest[...])
        let cp = makeCheckpoint(&recipe)
        let bytes = cp.encoded()
        guard let back = decode(bytes) else { fatalError("a valid checkpoint is refused") }
        require(back.encoded() == bytes && back.iteration == cp.iteration && back.seconds == cp.seconds,
                     "a valid checkpoint does not round-trip")
        checkResumable(back, inputSize: bytes.count)
        // Cuts and one-byte changes at places the recipe's tail picks.
        for _ in 0..<8 {
            let at = Int(recipe.u64() % UInt64(bytes.count))
            require(decode(Array(bytes[..<at])) == nil, "a checkpoint cut at \(at) of \(bytes.count) bytes is accepted")
            var changed = bytes
            changed[at] ^= recipe.byte() | 1
            require(decode(changed) == nil, "a checkpoint with byte \(at) changed is accepted")
        }
    }
    return 0
}
