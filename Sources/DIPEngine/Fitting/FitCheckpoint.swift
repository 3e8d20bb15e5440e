/// Everything an Adam fit needs to go on from where it stopped: the parameters, Adam's
/// moments, the averaged output, the backtracking copy, auto stop's running state and
/// its pick. The input jitter depends only on the seed and the step, so a fit resumed
/// from a checkpoint takes exactly the steps the uninterrupted fit would have taken.
public struct FitCheckpoint: Equatable, Sendable {
    /// Steps done.
    public internal(set) var iteration: Int
    /// Fitting time so far: a time limit counts it.
    public internal(set) var seconds: Double
    var parameters: [[Float]]
    var adamStep: Int
    var adamFirstMoments: [[Float]]
    var adamSecondMoments: [[Float]]
    var average: [Float]
    var lastOutput: [Float]
    var backtrackingCopy: [[Float]]
    var backtrackingPSNR: Double
    var detector: StopDetectorState?
    var best: [Float]?
    var picked: Int?
    var copyAt: Int?
    /// An ensemble's checkpoint (`FitEnsemble`): each member's own, and nothing else above
    /// (`iteration` is the first member's, whose progress the fit shows; `seconds` the longest
    /// member's); empty for a plain fit.
    public internal(set) var members: [FitCheckpoint] = []

    public enum DecodingError: Error, Equatable, CustomStringConvertible {
        case notACheckpoint, truncated, checksumMismatch, doesNotFit(String)
        /// A field holds a value no fit writes (a negative count, seconds that are not a time).
        case invalid(String)

        public var description: String {
            switch self {
            case .notACheckpoint: return "not a fit checkpoint"
            case .truncated: return "the checkpoint is truncated"
            case .checksumMismatch: return "the checkpoint is damaged (checksum mismatch)"
            case let .doesNotFit(what): return "the checkpoint does not fit this fit: \(what)"
            case let .invalid(what): return "the checkpoint is invalid: \(what)"
            }
        }
    }
}

/// How a fit saves and resumes: `save` is called with the fit's state every `interval`
/// seconds of fitting, and once more when a cancel ends the fit (a shutdown keeps it;
/// a user's cancel may drop it). Adam fits only: an L-BFGS fit neither saves nor resumes.
public struct FitCheckpointing {
    public var resume: FitCheckpoint?
    public var interval: Double
    public var save: (FitCheckpoint) -> Void

    public init(resume: FitCheckpoint?, interval: Double, save: @escaping (FitCheckpoint) -> Void) {
        self.resume = resume; self.interval = interval; self.save = save
    }
}

extension FitCheckpoint {
    /// The checkpoint of an ensemble of these members' states.
    init(members: [FitCheckpoint]) {
        self.init(iteration: members.first?.iteration ?? 0, seconds: members.map(\.seconds).max() ?? 0,
                  parameters: [], adamStep: 0, adamFirstMoments: [], adamSecondMoments: [], average: [], lastOutput: [],
                  backtrackingCopy: [], backtrackingPSNR: 0, detector: nil, best: nil, picked: nil, copyAt: nil,
                  members: members)
    }
}

// MARK: - Bytes

extension FitCheckpoint {
    static let magic: [UInt8] = Array("DIPFIT01".utf8)
    /// An ensemble's: the member count, then each member's own bytes, length first.
    static let ensembleMagic: [UInt8] = Array("DIPFITE1".utf8)

    /// A little-endian binary form, closed by an FNV-1a checksum of everything before it.
    public func encoded() -> [UInt8] {
        var w = CheckpointWriter()
        if !members.isEmpty {
            w.bytes(Self.ensembleMagic)
            w.int(members.count)
            for m in members { let b = m.encoded(); w.int(b.count); w.bytes(b) }
            w.int(Int(bitPattern: UInt(FNV1a.hash(w.out))))
            return w.out
        }
        w.bytes(Self.magic)
        w.int(iteration); w.double(seconds)
        w.arrays(parameters)
        w.int(adamStep); w.arrays(adamFirstMoments); w.arrays(adamSecondMoments)
        w.floats(average); w.floats(lastOutput)
        w.arrays(backtrackingCopy); w.double(backtrackingPSNR)
        switch detector {
        case nil:
            w.int(0)
        case let .outputVariance(d):
            w.int(1)
            w.floats(d.mean); w.int(d.started ? 1 : 0); w.double(d.variance); w.double(d.bestVariance)
            w.int(d.bestIteration); w.int(d.floorIteration); w.double(d.smoothedLoss)
        case let .heldOut(d):
            w.int(2)
            w.double(d.error); w.double(d.lowest); w.int(d.pick)
        }
        w.int(best == nil ? 0 : 1)
        if let best { w.floats(best) }
        w.int(picked ?? -1); w.int(copyAt ?? -1)
        w.int(Int(bitPattern: UInt(FNV1a.hash(w.out))))
        return w.out
    }

    public init(decoding bytes: [UInt8]) throws(DecodingError) {
        guard bytes.count >= Self.ensembleMagic.count + 8, Array(bytes.prefix(Self.ensembleMagic.count)) == Self.ensembleMagic else {
            try self.init(decodingOne: bytes)
            return
        }
        let body = bytes.count - 8
        var r = CheckpointReader(bytes: bytes, position: Self.ensembleMagic.count, end: body)
        guard UInt64(littleEndianBytes: bytes[body...]) == FNV1a.hash(bytes[..<body]) else { throw .checksumMismatch }
        let n = try r.int()
        guard (2...FitEnsemble.maxMembers).contains(n) else { throw .invalid("\(n) ensemble members") }
        var members: [FitCheckpoint] = []
        for _ in 0..<n { members.append(try FitCheckpoint(decodingOne: Array(try r.take(try r.int())))) }
        guard r.position == body else { throw .truncated }
        self.init(members: members)
    }

    /// One fit's checkpoint (not an ensemble's).
    init(decodingOne bytes: [UInt8]) throws(DecodingError) {
        guard bytes.count >= Self.magic.count + 8, Array(bytes.prefix(Self.magic.count)) == Self.magic else {
            throw .notACheckpoint
        }
        let body = bytes.count - 8
        var r = CheckpointReader(bytes: bytes, position: Self.magic.count, end: body)
        let stored = UInt64(littleEndianBytes: bytes[body...])
        guard stored == FNV1a.hash(bytes[..<body]) else { throw .checksumMismatch }
        iteration = try r.int(); seconds = try r.double()
        parameters = try r.arrays()
        adamStep = try r.int(); adamFirstMoments = try r.arrays(); adamSecondMoments = try r.arrays()
        average = try r.floats(); lastOutput = try r.floats()
        backtrackingCopy = try r.arrays(); backtrackingPSNR = try r.double()
        switch try r.int() {
        case 0: detector = nil
        case 1:
            detector = .outputVariance(.init(mean: try r.floats(), started: try r.int() == 1, variance: try r.double(),
                                             bestVariance: try r.double(), bestIteration: try r.int(),
                                             floorIteration: try r.int(), smoothedLoss: try r.double()))
        case 2:
            detector = .heldOut(.init(error: try r.double(), lowest: try r.double(), pick: try r.int()))
        default: throw .truncated
        }
        best = try r.int() == 1 ? try r.floats() : nil
        let p = try r.int(), c = try r.int()
        picked = p < 0 ? nil : p
        copyAt = c < 0 ? nil : c
        guard r.position == body else { throw .truncated }
        // The checksum is no defence against a crafted file, so the values a resumed fit does
        // arithmetic with are checked here: seconds become nanoseconds in an Int64.
        guard iteration >= 0 else { throw .invalid("negative iteration \(iteration)") }
        guard adamStep >= 0 else { throw .invalid("negative Adam step \(adamStep)") }
        guard seconds.isFinite, seconds >= 0, seconds <= Self.maxSeconds else { throw .invalid("fitting time \(seconds) s") }
    }

    /// About 31 years: far beyond any fit, far below the 292 years of nanoseconds an Int64 holds.
    static let maxSeconds = 1e9
}

struct CheckpointWriter {
    var out: [UInt8] = []

    mutating func bytes(_ b: [UInt8]) { out += b }
    mutating func int(_ v: Int) { withUnsafeBytes(of: Int64(v).littleEndian) { out += $0 } }
    mutating func double(_ v: Double) { withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 } }
    mutating func floats(_ v: [Float]) {
        int(v.count)
        #if _endian(little)
        v.withUnsafeBytes { out.append(contentsOf: $0) }     // tens of megabytes: one copy
        #else
        for x in v { withUnsafeBytes(of: x.bitPattern.littleEndian) { out += $0 } }
        #endif
    }
    mutating func arrays(_ v: [[Float]]) { int(v.count); for a in v { floats(a) } }
}

struct CheckpointReader {
    let bytes: [UInt8]
    var position: Int
    let end: Int

    mutating func take(_ n: Int) throws(FitCheckpoint.DecodingError) -> ArraySlice<UInt8> {
        guard n >= 0, end - position >= n else { throw .truncated }
        defer { position += n }
        return bytes[position..<(position + n)]
    }
    mutating func int() throws(FitCheckpoint.DecodingError) -> Int { Int(Int64(bitPattern: UInt64(littleEndianBytes: try take(8)))) }
    mutating func double() throws(FitCheckpoint.DecodingError) -> Double { Double(bitPattern: UInt64(littleEndianBytes: try take(8))) }
    mutating func floats() throws(FitCheckpoint.DecodingError) -> [Float] {
        let n = try int()
        guard n >= 0, n <= (end - position) / 4 else { throw .truncated }
        let raw = try take(4 * n)
        return raw.withUnsafeBytes { b in
            [Float](unsafeUninitializedCapacity: n) { dst, count in
                #if _endian(little)
                UnsafeMutableRawBufferPointer(dst).copyMemory(from: b)
                #else
                for i in 0..<n { dst[i] = Float(bitPattern: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
                #endif
                count = n
            }
        }
    }
    mutating func arrays() throws(FitCheckpoint.DecodingError) -> [[Float]] {
        let n = try int()
        guard n >= 0, n <= (end - position) / 8 else { throw .truncated }
        return try (0..<n).map { _ throws(FitCheckpoint.DecodingError) in try floats() }
    }
}

extension UInt64 {
    init(littleEndianBytes b: ArraySlice<UInt8>) {
        var v: UInt64 = 0
        for (k, byte) in b.prefix(8).enumerated() { v |= UInt64(byte) << (8 * UInt64(k)) }
        self = v
    }
}
