import DIPEngine
import Foundation

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
        case "iterations", "snapshot_every", "seed", "factor", "size", "learning_rate", "reg_noise", "exp_weight", "keep", "max_seconds",
             "input_learning_rate", "tv_weight", "auto_stop_patience", "noise_level", "members":
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
        case "webhook_events":
            // A form field lists them separated by commas.
            return .array(text.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) })
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
        // The CLI's ranges (--input-lr, --tv-weight, --patience, --stop-rule).
        spec.inputLearningRate = try number(fields, "input_learning_rate", 0, below: 10)
        spec.tvWeight = try number(fields, "tv_weight", 0, 100)
        spec.autoStop = try bool(fields, "auto_stop")
        spec.autoStopRule = try choice(fields, "auto_stop_rule", AutoStop.Criterion.allCases)
        spec.autoStopPatience = try int(fields, "auto_stop_patience", 1...1_000_000)
        if spec.autoStop == false {
            if spec.autoStopRule != nil { throw SpecError("auto_stop_rule", "has no effect with auto_stop false") }
            if spec.autoStopPatience != nil { throw SpecError("auto_stop_patience", "has no effect with auto_stop false") }
        }
        // σ on the [0, 1] scale (σ = 25 of 255 is 0.098); beyond 0.5 the noise would outspread the image itself.
        spec.noiseLevel = try number(fields, "noise_level", open: 0, 0.5)
        spec.maxSeconds = try number(fields, "max_seconds", open: 0, 31_536_000)
        spec.members = try int(fields, "members", 1...FitEnsemble.maxMembers)
        spec.preset = try choice(fields, "preset", Preset.allCases)
        spec.setup = try choice(fields, "setup", InpaintingTask.Setup.allCases)
        spec.factor = try int(fields, "factor", 2...8)
        if let f = spec.factor, ![2, 4, 8].contains(f) { throw SpecError("factor", "must be 2, 4 or 8") }
        spec.keep = try number(fields, "keep", open: 0, 1)
        spec.layer = try choice(fields, "layer", TaskCatalog.preimageLayers, "a SqueezeNet 1.1 layer: ")
        spec.class = try imageNetClass(fields)
        spec.size = try int(fields, "size", 32...1024)
        spec.optimizer = try choice(fields, "optimizer", FitSettings.Optimizer.allCases)
        if let n = fields["network"], n != .null { spec.network = try network(n) }
        if let every = spec.snapshotEvery, every > 0, let its = spec.iterations, its / every > maxSnapshots {
            throw SpecError("snapshot_every", "\(its) iterations every \(every) makes more than \(maxSnapshots) snapshots")
        }
        if let w = fields["webhook"], w != .null {
            guard case .string(let url) = w else { throw SpecError("webhook", "must be a string, not \(w.kind)") }
            if let problem = Self.webhookProblem(url) { throw SpecError("webhook", problem) }
            spec.webhook = url
        }
        spec.webhookEvents = try webhookEvents(fields)
        if spec.webhookEvents != nil && spec.webhook == nil { throw SpecError("webhook_events", "has no effect without webhook") }
        return spec
    }

    /// The longest webhook URL taken.
    public static let maxWebhookLength = 2048

    /// Why `url` cannot be a webhook: an absolute http or https URL with a host, no user
    /// name or password (they would travel in the clear in logs), no fragment.
    public static func webhookProblem(_ url: String) -> String? {
        guard url.utf8.count <= maxWebhookLength else { return "must be at most \(maxWebhookLength) bytes long" }
        guard url.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            return "must be an absolute http or https URL without spaces or non-ASCII characters"
        }
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            return "must be an absolute http or https URL"
        }
        guard let host = parts.host, !host.isEmpty else { return "must name a host" }
        if parts.user != nil || parts.password != nil { return "must not hold a user name or password" }
        if parts.fragment != nil { return "must not hold a fragment" }
        if let port = parts.port, !(1...65535).contains(port) { return "must have a port between 1 and 65535" }
        return nil
    }

    private func webhookEvents(_ f: [String: JSONValue]) throws(SpecError) -> [WebhookEvent]? {
        guard let v = f["webhook_events"], v != .null else { return nil }
        let names = WebhookEvent.allCases.map(\.rawValue).joined(separator: ", ")
        guard case .array(let items) = v, !items.isEmpty else { throw SpecError("webhook_events", "must be a non-empty list of \(names)") }
        var events: [WebhookEvent] = []
        for item in items {
            guard case .string(let s) = item, let e = WebhookEvent(rawValue: s) else {
                throw SpecError("webhook_events", "must hold only \(names)")
            }
            if !events.contains(e) { events.append(e) }
        }
        return events
    }

    /// `class`: an index (a JSON number, or text as forms give it) or a class's name.
    private func imageNetClass(_ f: [String: JSONValue]) throws(SpecError) -> Int? {
        guard let v = f["class"], v != .null else { return nil }
        switch v {
        case .string(let name):
            return try ImageNetClasses.index(named: name)
        case .number(let d) where d == d.rounded() && d >= 0 && d < Double(ImageNetClasses.words.count):
            return Int(d)
        case .number(let d):
            throw SpecError("class", "must be an ImageNet class index between 0 and \(ImageNetClasses.words.count - 1) or a class name, got \(d)")
        default:
            throw SpecError("class", "must be an ImageNet class: an index between 0 and \(ImageNetClasses.words.count - 1) or a name, not \(v.kind)")
        }
    }

    public static var taskNames: String { TaskKind.allCases.map(\.rawValue).joined(separator: ", ") }

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
