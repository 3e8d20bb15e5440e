// libFuzzer target for the task spec parser, on JSON bodies and on form fields. The first
// byte picks the form (even: JSON, odd: text fields, one `name=value` per line).
// Properties: no crash; an accepted spec is within every documented range; its canonical
// form (the snake_case JSON the service stores, or text fields) parses back to the same spec;
// a refusal names a known field, `spec`, or a field the input itself gave.

@testable import DIPEngine
import Foundation

let maxIterations = 5000, maxSnapshots = 40
let parser = SpecParser(maxIterations: maxIterations, maxSnapshots: maxSnapshots)

func attempt(_ body: () throws(SpecError) -> TaskSpec) -> Result<TaskSpec, SpecError> {
    do { return .success(try body()) } catch { return .failure(error) }
}

func within(_ v: Double?, _ ok: (Double) -> Bool, _ name: String) {
    if let v { require(v.isFinite && ok(v), "\(name) accepted out of range: \(v)") }
}

func checkRanges(_ s: TaskSpec) {
    if let v = s.iterations { require((1...maxIterations).contains(v), "iterations accepted out of range: \(v)") }
    if let v = s.snapshotEvery { require((0...maxIterations).contains(v), "snapshot_every accepted out of range: \(v)") }
    if let every = s.snapshotEvery, every > 0, let its = s.iterations {
        require(its / every <= maxSnapshots, "more than \(maxSnapshots) snapshots accepted")
    }
    if let v = s.seed { require(v < 1 << 53, "seed accepted out of range: \(v)") }
    within(s.learningRate, { $0 > 0 && $0 <= 1 }, "learning_rate")
    within(s.regNoise, { $0 >= 0 && $0 <= 1 }, "reg_noise")
    within(s.expWeight, { $0 >= 0 && $0 < 1 }, "exp_weight")
    within(s.inputLearningRate, { $0 >= 0 && $0 < 10 }, "input_learning_rate")
    within(s.tvWeight, { $0 >= 0 && $0 <= 100 }, "tv_weight")
    within(s.maxSeconds, { $0 > 0 && $0 <= 31_536_000 }, "max_seconds")
    within(s.keep, { $0 > 0 && $0 <= 1 }, "keep")
    within(s.noiseLevel, { $0 > 0 && $0 <= 0.5 }, "noise_level")
    if let v = s.autoStopPatience { require((1...1_000_000).contains(v), "auto_stop_patience accepted out of range: \(v)") }
    if s.autoStop == false { require(s.autoStopRule == nil && s.autoStopPatience == nil, "auto stop options without auto stop") }
    if let v = s.factor { require([2, 4, 8].contains(v), "factor accepted: \(v)") }
    if let v = s.class { require((0..<ImageNetClasses.words.count).contains(v), "class accepted out of range: \(v)") }
    if let v = s.size { require((32...1024).contains(v), "size accepted out of range: \(v)") }
    if let n = s.network {
        let lists = [(n.channelsDown, 1), (n.channelsUp, 1), (n.channelsSkip, 0)]
        for case let (list?, low) in lists {
            require((1...8).contains(list.count) && list.allSatisfy { (low...256).contains($0) }, "network channels accepted: \(list)")
        }
        require(Set(lists.compactMap { $0.0?.count }).count <= 1, "network channel lists of different lengths accepted")
        if let v = n.inputChannels { require((1...64).contains(v), "network.input_channels accepted: \(v)") }
    }
}

func encoder() -> JSONEncoder {
    let e = JSONEncoder()
    e.keyEncodingStrategy = .convertToSnakeCase
    e.outputFormatting = [.sortedKeys]
    return e
}

/// The record's form: what the service stores and shows.
func canonicalJSON(_ spec: TaskSpec) -> [UInt8] {
    do { return Array(try encoder().encode(spec)) } catch { fatalError("an accepted spec does not encode: \(error)") }
}

/// The same spec as form fields: every top-level value as text, `network` as JSON text.
func canonicalText(_ spec: TaskSpec) -> [(name: String, value: String)] {
    guard case .object(let fields)? = try? JSONDecoder().decode(JSONValue.self, from: Data(canonicalJSON(spec))) else {
        fatalError("canonical JSON is not an object")
    }
    return fields.keys.sorted().map { name in
        switch fields[name]! {
        case .string(let s): return (name, s)
        case .bool(let b): return (name, b ? "true" : "false")
        case .number(let d): return (name, d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : "\(d)")
        default:
            guard let network = spec.network, let json = try? encoder().encode(network) else {
                fatalError("unexpected canonical field \(name)")
            }
            return (name, String(decoding: json, as: UTF8.self))
        }
    }
}

let knownFields: Set<String> = Set(TaskSpec.fieldNames).union(["spec"])
    .union(NetworkOverrides.fieldNames.map { "network.\($0)" })

func checkRefusal(_ e: SpecError, given names: [String]) {
    require(!e.problem.isEmpty, "a refusal without a reason")
    if knownFields.contains(e.field) { return }
    let unknown = e.problem.hasPrefix("unknown field") || e.problem.hasPrefix("is given more than once")
    let named = names.contains(e.field) || (e.field.hasPrefix("network.") && unknown)
    require(unknown && named, "refusal names \"\(e.field)\": \(e.problem)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let result: Result<TaskSpec, SpecError>
    var names: [String] = []
    if data[0] & 1 == 0 {
        result = attempt { () throws(SpecError) in try parser.parse(json: input) }
        if case .object(let f)? = try? JSONDecoder().decode(JSONValue.self, from: Data(input)) { names = Array(f.keys) }
    } else {
        let fields = String(decoding: input, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map { line in
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (name: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : "")
        }
        names = fields.map(\.name)
        result = attempt { () throws(SpecError) in try parser.parse(text: fields) }
    }
    switch result {
    case .failure(let e):
        checkRefusal(e, given: names)
    case .success(let spec):
        checkRanges(spec)
        let json = canonicalJSON(spec)
        let again = attempt { () throws(SpecError) in try parser.parse(json: json) }
        require(again == .success(spec), "canonical JSON \(String(decoding: json, as: UTF8.self)) parses to \(again)")
        let text = canonicalText(spec)
        let fromText = attempt { () throws(SpecError) in try parser.parse(text: text) }
        require(fromText == .success(spec), "canonical text fields \(text) parse to \(fromText)")
    }
    return 0
}
