import DIPEngine
import Foundation

/// The applications of Deep Image Prior the service runs.
public enum TaskKind: String, Codable, Sendable, CaseIterable {
    case denoise, superResolution = "super-resolution", inpaint, restore, jpeg, flash, preimage
}

/// What a user asks for: the task and any settings that differ from the reference's.
/// Absent fields take the task's defaults; the job shows the effective values.
public struct TaskSpec: Codable, Sendable, Equatable {
    public var task: TaskKind
    public var iterations: Int?
    public var snapshotEvery: Int?
    public var seed: UInt64?
    public var learningRate: Double?
    public var regNoise: Double?
    public var expWeight: Double?
    public var backtracking: Bool?
    /// Stop where the outputs' moving variance has passed its minimum (default: on where the task allows it).
    public var autoStop: Bool?
    /// Stop after this many seconds of fitting, with the best result so far.
    public var maxSeconds: Double?
    /// fast, balanced or reference (tasks that take presets; default balanced).
    public var preset: Preset?
    /// Inpainting: which of the reference's setups the network follows (text, large-hole, region).
    public var setup: InpaintingTask.Setup?
    public var factor: Int?
    public var keep: Double?
    public var layer: SqueezeNetLayer?
    public var optimizer: FitSettings.Optimizer?
    public var network: NetworkOverrides?

    public init(task: TaskKind) { self.task = task }

    /// The field names users write (the record on disk uses the same, through snake_case coding).
    static let fieldNames = ["task", "iterations", "snapshot_every", "seed", "learning_rate", "reg_noise", "exp_weight",
                             "backtracking", "auto_stop", "max_seconds", "preset", "setup", "factor", "keep", "layer", "optimizer",
                             "network"]
}

/// A spec that cannot be run; `field` is named in the message.
public struct SpecError: Error, Equatable, CustomStringConvertible {
    public var field: String
    public var problem: String
    public init(_ field: String, _ problem: String) { self.field = field; self.problem = problem }
    public var description: String { "\(field): \(problem)" }
}

/// Reads a spec from a JSON object, or from text fields (form fields or a query string),
/// checking every field's type and range. Task-specific checks (which presets, which
/// inputs) are the task catalogue's.
public struct SpecParser: Sendable {
    public var maxIterations: Int
    public var maxSnapshots: Int

    public init(maxIterations: Int, maxSnapshots: Int) {
        self.maxIterations = maxIterations; self.maxSnapshots = maxSnapshots
    }

    public func parse(json bytes: [UInt8]) throws(SpecError) -> TaskSpec {
        let value: JSONValue
        do { value = try JSONDecoder().decode(JSONValue.self, from: Data(bytes)) } catch {
            throw SpecError("spec", "is not valid JSON")
        }
        guard case .object(let fields) = value else { throw SpecError("spec", "must be a JSON object, not \(value.kind)") }
        return try parse(fields: fields)
    }

    /// Text fields: numbers and booleans are parsed from their text, `network` is JSON text.
    public func parse(text fields: [(name: String, value: String)]) throws(SpecError) -> TaskSpec {
        var object: [String: JSONValue] = [:]
        for (name, text) in fields {
            guard object[name] == nil else { throw SpecError(name, "is given more than once") }
            object[name] = try Self.typed(name: name, text: text)
        }
        return try parse(fields: object)
    }

    static func typed(name: String, text: String) throws(SpecError) -> JSONValue {
        switch name {
        case "iterations", "snapshot_every", "seed", "factor", "learning_rate", "reg_noise", "exp_weight", "keep", "max_seconds":
            guard let d = Double(text), text.allSatisfy({ "0123456789.-+eE".contains($0) }) else {
                throw SpecError(name, "must be a number, got \"\(text.prefix(40))\"")
            }
            return .number(d)
        case "backtracking", "auto_stop":
            switch text.lowercased() {
            case "true", "1", "yes", "on": return .bool(true)
            case "false", "0", "no", "off": return .bool(false)
            default: throw SpecError(name, "must be true or false")
            }
        case "network":
            guard let v = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
                throw SpecError(name, "must be a JSON object")
            }
            return v
        default:
            return .string(text)
        }
    }

    func parse(fields: [String: JSONValue]) throws(SpecError) -> TaskSpec {
        if let unknown = fields.keys.sorted().first(where: { !TaskSpec.fieldNames.contains($0) }) {
            throw SpecError(unknown, "unknown field (known: \(TaskSpec.fieldNames.joined(separator: ", ")))")
        }
        guard let taskValue = fields["task"] else { throw SpecError("task", "is required (one of \(Self.taskNames))") }
        guard case .string(let name) = taskValue, let task = TaskKind(rawValue: name) else {
            throw SpecError("task", "must be one of \(Self.taskNames)")
        }
        var spec = TaskSpec(task: task)
        spec.iterations = try int(fields, "iterations", 1...maxIterations)
        spec.snapshotEvery = try int(fields, "snapshot_every", 0...maxIterations)
        spec.seed = try int(fields, "seed", 0...(1 << 53 - 1)).map(UInt64.init)
        spec.learningRate = try number(fields, "learning_rate", open: 0, 1)
        spec.regNoise = try number(fields, "reg_noise", 0, 1)
        spec.expWeight = try number(fields, "exp_weight", 0, below: 1)
        spec.backtracking = try bool(fields, "backtracking")
        spec.autoStop = try bool(fields, "auto_stop")
        spec.maxSeconds = try number(fields, "max_seconds", open: 0, 31_536_000)
        spec.preset = try choice(fields, "preset", Preset.allCases)
        spec.setup = try choice(fields, "setup", InpaintingTask.Setup.allCases)
        spec.factor = try int(fields, "factor", 2...8)
        if let f = spec.factor, ![2, 4, 8].contains(f) { throw SpecError("factor", "must be 2, 4 or 8") }
        spec.keep = try number(fields, "keep", open: 0, 1)
        spec.layer = try choice(fields, "layer", TaskCatalog.preimageLayers, "a SqueezeNet 1.1 layer: ")
        spec.optimizer = try choice(fields, "optimizer", FitSettings.Optimizer.allCases)
        if let n = fields["network"], n != .null { spec.network = try network(n) }
        if let every = spec.snapshotEvery, every > 0, let its = spec.iterations, its / every > maxSnapshots {
            throw SpecError("snapshot_every", "\(its) iterations every \(every) makes more than \(maxSnapshots) snapshots")
        }
        return spec
    }

    static var taskNames: String { TaskKind.allCases.map(\.rawValue).joined(separator: ", ") }

    private func int(_ f: [String: JSONValue], _ name: String, _ range: ClosedRange<Int>) throws(SpecError) -> Int? {
        guard let v = f[name], v != .null else { return nil }
        guard case .number(let d) = v, d == d.rounded(), abs(d) < 1e16 else { throw SpecError(name, "must be an integer, not \(v.kind == "a number" ? "a fraction" : v.kind)") }
        let i = Int(d)
        guard range.contains(i) else { throw SpecError(name, "must be between \(range.lowerBound) and \(range.upperBound), got \(i)") }
        return i
    }

    private func number(_ f: [String: JSONValue], _ name: String, open lo: Double? = nil, _ closedLo: Double? = nil,
                        _ hi: Double? = nil, below: Double? = nil) throws(SpecError) -> Double? {
        guard let v = f[name], v != .null else { return nil }
        guard case .number(let d) = v, d.isFinite else { throw SpecError(name, "must be a number, not \(v.kind)") }
        if let lo, !(d > lo) { throw SpecError(name, "must be greater than \(lo), got \(d)") }
        if let closedLo, !(d >= closedLo) { throw SpecError(name, "must be at least \(closedLo), got \(d)") }
        if let hi, !(d <= hi) { throw SpecError(name, "must be at most \(hi), got \(d)") }
        if let below, !(d < below) { throw SpecError(name, "must be less than \(below), got \(d)") }
        return d
    }

    private func number(_ f: [String: JSONValue], _ name: String, open lo: Double, _ hi: Double) throws(SpecError) -> Double? {
        try number(f, name, open: lo, nil, hi)
    }
    private func number(_ f: [String: JSONValue], _ name: String, _ lo: Double, _ hi: Double) throws(SpecError) -> Double? {
        try number(f, name, open: nil, lo, hi)
    }
    private func number(_ f: [String: JSONValue], _ name: String, _ lo: Double, below: Double) throws(SpecError) -> Double? {
        try number(f, name, open: nil, lo, nil, below: below)
    }

    private func bool(_ f: [String: JSONValue], _ name: String) throws(SpecError) -> Bool? {
        guard let v = f[name], v != .null else { return nil }
        guard case .bool(let b) = v else { throw SpecError(name, "must be true or false, not \(v.kind)") }
        return b
    }

    /// A string naming one of `choices`, decoded into the engine's own type.
    private func choice<Value: RawRepresentable>(_ f: [String: JSONValue], _ name: String, _ choices: [Value],
                                                 _ what: String = "", field: String? = nil) throws(SpecError) -> Value?
        where Value.RawValue == String {
        guard let v = f[name], v != .null else { return nil }
        let names = choices.map(\.rawValue)
        guard case .string(let s) = v, let value = choices.first(where: { $0.rawValue == s }) else {
            let list = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + names.last! : names.joined()
            throw SpecError(field ?? name, "must be \(what)\(list)")
        }
        return value
    }

    private func network(_ v: JSONValue) throws(SpecError) -> NetworkOverrides {
        guard case .object(let f) = v else { throw SpecError("network", "must be an object, not \(v.kind)") }
        if let unknown = f.keys.sorted().first(where: { !NetworkOverrides.fieldNames.contains($0) }) {
            throw SpecError("network.\(unknown)", "unknown field (known: \(NetworkOverrides.fieldNames.joined(separator: ", ")))")
        }
        var n = NetworkOverrides()
        n.channelsDown = try list(f, "channels_down", 1...256)
        n.channelsUp = try list(f, "channels_up", 1...256)
        n.channelsSkip = try list(f, "channels_skip", 0...256)
        let counts = [n.channelsDown?.count, n.channelsUp?.count, n.channelsSkip?.count].compactMap { $0 }
        if Set(counts).count > 1 { throw SpecError("network", "channels_down, channels_up and channels_skip must have the same length") }
        if let i = f["input_channels"], i != .null {
            guard case .number(let d) = i, d == d.rounded(), (1...64).contains(d) else { throw SpecError("network.input_channels", "must be an integer between 1 and 64") }
            n.inputChannels = Int(d)
        }
        n.upsampleMode = try choice(f, "upsample_mode", UpsampleMode.allCases, field: "network.upsample_mode")
        n.padding = try choice(f, "padding", [Padding.zero, .reflection], field: "network.padding")
        return n
    }

    private func list(_ f: [String: JSONValue], _ name: String, _ range: ClosedRange<Int>) throws(SpecError) -> [Int]? {
        guard let v = f[name], v != .null else { return nil }
        let field = "network.\(name)"
        guard case .array(let items) = v, (1...8).contains(items.count) else { throw SpecError(field, "must be an array of 1 to 8 integers") }
        var out: [Int] = []
        for item in items {
            guard case .number(let d) = item, d == d.rounded(), Double(range.lowerBound)...Double(range.upperBound) ~= d else {
                throw SpecError(field, "must hold integers between \(range.lowerBound) and \(range.upperBound)")
            }
            out.append(Int(d))
        }
        return out
    }
}
