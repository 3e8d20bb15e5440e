import Foundation

/// The safetensors format: an 8-byte little-endian header length N, N bytes of
/// JSON (`{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …,
/// "__metadata__": {…}}`), then the data buffer the offsets point into.
///
/// The reader trusts nothing in the file: the header size is capped, offsets
/// must lie inside the buffer, tensors must tile the buffer without gaps or
/// overlaps, and each tensor's byte length must equal its shape's element
/// count times its dtype's size (computed with overflow checks).
public enum SafeTensors {
    public enum DType: String, Sendable, CaseIterable {
        case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64"
        public var size: Int { switch self { case .f32: 4; case .f16, .bf16: 2; case .f64: 8 } }
    }

    /// The reference implementation's limit on the JSON header.
    public static let maxHeaderBytes = 100_000_000

    /// Reads every tensor, converted to float32, in the order of their data in the file.
    public static func read(_ bytes: [UInt8]) throws -> [NamedTensor] {
        guard bytes.count >= 8 else { throw WeightsError("safetensors: file of \(bytes.count) bytes is shorter than its 8-byte header length") }
        let r = ByteReader(bytes)
        let n64 = r.uint64(at: 0)
        guard n64 <= UInt64(maxHeaderBytes) else { throw WeightsError("safetensors: header length \(n64) is over the limit of \(maxHeaderBytes) bytes") }
        let n = Int(n64)
        guard n >= 2 else { throw WeightsError("safetensors: header length \(n) is too short for a JSON object") }
        guard n <= bytes.count - 8 else { throw WeightsError("safetensors: header length \(n) runs past the end of the \(bytes.count)-byte file") }
        let dataStart = 8 + n, dataSize = bytes.count - dataStart
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]))
        } catch {
            throw WeightsError("safetensors: the header is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw WeightsError("safetensors: the header is not a JSON object") }

        struct Entry { let name: String; let dtype: DType; let shape: [Int]; let begin: Int; let end: Int }
        var entries: [Entry] = []
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any] else { throw WeightsError("safetensors: '\(name)' is not an object") }
            guard let dt = info["dtype"] as? String else { throw WeightsError("safetensors: '\(name)' has no dtype") }
            guard let dtype = DType(rawValue: dt) else {
                throw WeightsError("safetensors: '\(name)' has dtype \(dt); only \(DType.allCases.map(\.rawValue).joined(separator: ", ")) are read")
            }
            guard let shapeList = info["shape"] as? [Any], let shape = integers(shapeList) else {
                throw WeightsError("safetensors: '\(name)' has no valid shape (a list of non-negative integers)")
            }
            guard let offsetList = info["data_offsets"] as? [Any], let offsets = integers(offsetList), offsets.count == 2 else {
                throw WeightsError("safetensors: '\(name)' has no valid data_offsets (two non-negative integers)")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin <= end, end <= dataSize else {
                throw WeightsError("safetensors: '\(name)' data_offsets [\(begin), \(end)] lie outside the \(dataSize)-byte data buffer")
            }
            var bytesNeeded = dtype.size, overflow = false
            for d in shape {
                (bytesNeeded, overflow) = bytesNeeded.multipliedReportingOverflow(by: d)
                if overflow || bytesNeeded > dataSize { break }
            }
            guard !overflow, bytesNeeded == end - begin else {
                throw WeightsError("safetensors: '\(name)' shape \(shape) of \(dt) does not match its \(end - begin) bytes of data")
            }
            entries.append(Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end))
        }
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var covered = 0
        for e in entries {
            guard e.begin >= covered else { throw WeightsError("safetensors: '\(e.name)' overlaps the tensor before it") }
            guard e.begin == covered else { throw WeightsError("safetensors: the data buffer has a gap before '\(e.name)'") }
            covered = e.end
        }
        guard covered == dataSize else { throw WeightsError("safetensors: \(dataSize - covered) bytes at the end of the data buffer belong to no tensor") }

        return entries.map { e in
            let count = (e.end - e.begin) / e.dtype.size, base = dataStart + e.begin
            var values = [Float](repeating: 0, count: count)
            switch e.dtype {
            case .f32: for i in 0..<count { values[i] = r.float32(at: base + 4 * i) }
            case .f16: for i in 0..<count { values[i] = HalfFloat.fromF16(r.uint16(at: base + 2 * i)) }
            case .bf16: for i in 0..<count { values[i] = HalfFloat.fromBF16(r.uint16(at: base + 2 * i)) }
            case .f64: for i in 0..<count { values[i] = Float(Double(bitPattern: r.uint64(at: base + 8 * i))) }
            }
            return NamedTensor(name: e.name, shape: e.shape, values: values)
        }
    }

    /// Non-negative integers, or nil (JSON floats that are not whole numbers, strings and negatives are refused).
    private static func integers(_ list: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in list {
            guard let i = v as? Int, i >= 0 else { return nil }
            out.append(i)
        }
        return out
    }

    /// The file bytes for `tensors`, stored in `dtype` (F64 is written as F32), in the given order.
    /// The header is padded with spaces to a multiple of 8 bytes, as the reference writer does.
    public static func write(_ tensors: [NamedTensor], dtype: DType = .f32, metadata: [String: String] = [:]) throws -> [UInt8] {
        let dtype = dtype == .f64 ? .f32 : dtype
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for t in tensors {
            guard t.name != "__metadata__", header[t.name] == nil else { throw WeightsError("safetensors: duplicate or reserved tensor name '\(t.name)'") }
            let size = t.count * dtype.size
            header[t.name] = ["dtype": dtype.rawValue, "shape": t.shape, "data_offsets": [offset, offset + size]] as [String: Any]
            offset += size
        }
        var json = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while json.count % 8 != 0 { json.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + offset)
        appendLE(UInt64(json.count), 8, to: &out)
        out += json
        for t in tensors {
            for v in t.values {
                switch dtype {
                case .f32, .f64: appendLE(UInt64(v.bitPattern), 4, to: &out)
                case .f16: appendLE(UInt64(HalfFloat.toF16(v)), 2, to: &out)
                case .bf16: appendLE(UInt64(HalfFloat.toBF16(v)), 2, to: &out)
                }
            }
        }
        return out
    }

    private static func appendLE(_ v: UInt64, _ bytes: Int, to out: inout [UInt8]) {
        for i in 0..<bytes { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }
}
