import Foundation
import Testing
@testable import ModelWeights

@Suite("safetensors")
struct SafeTensorsTests {
    static let tensors = [
        NamedTensor(name: "conv.weight", shape: [2, 1, 3, 3], values: (0..<18).map { Float($0) * 0.25 - 2 }),
        NamedTensor(name: "conv.bias", shape: [2], values: [0.5, -1.5]),
        NamedTensor(name: "scalar", shape: [], values: [3]),
        NamedTensor(name: "empty", shape: [0, 4], values: []),
    ]

    /// A file from a header given as text and a data buffer.
    static func file(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
        let h = [UInt8](header.utf8)
        let n = length ?? UInt64(h.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + h + data
    }

    @Test(arguments: [SafeTensors.DType.f32, .f16, .bf16])
    func roundTrip(_ dtype: SafeTensors.DType) throws {
        let bytes = try SafeTensors.write(Self.tensors, dtype: dtype, metadata: ["format": "pt"])
        let n = Int(bytes[0]) | Int(bytes[1]) << 8
        #expect(n % 8 == 0)
        let back = try SafeTensors.read(bytes)
        // Every value above is exact in fp16 and bf16 too.
        #expect(Set(back.map(\.name)) == Set(Self.tensors.map(\.name)))
        for t in Self.tensors {
            let b = try #require(back.first { $0.name == t.name })
            #expect(b.shape == t.shape && b.values == t.values, "\(t.name)")
        }
    }

    @Test func halfPrecisionRounding() throws {
        let t = [NamedTensor(name: "x", shape: [4], values: [1.0 / 3, 65504, 1e-8, -0.1])]
        let f16 = try SafeTensors.read(SafeTensors.write(t, dtype: .f16))[0].values
        #expect(f16 == t[0].values.map { Float(Float16($0)) })
        let bf16 = try SafeTensors.read(SafeTensors.write(t, dtype: .bf16))[0].values
        for (a, b) in zip(bf16, t[0].values) { #expect(abs(a - b) <= abs(b) / 128) }
    }

    @Test func readsAFileWrittenByHand() throws {
        // {"a": F32 [2] at [0, 8], "b": BF16 [1] at [8, 10]} with metadata.
        var data: [UInt8] = []
        for v: Float in [1.5, -2] { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
        data += [0x80, 0x3F]       // bf16 1.0
        let header = #"{"__metadata__":{"format":"pt"},"b":{"dtype":"BF16","shape":[1],"data_offsets":[8,10]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let t = try SafeTensors.read(Self.file(header, data: data))
        #expect(t.map(\.name) == ["a", "b"])
        #expect(t[0].values == [1.5, -2] && t[1].values == [1])
    }

    static let hostile: [(String, [UInt8], String)] = [
        ("empty file", [], "shorter than its 8-byte header"),
        ("truncated length", [1, 0, 0], "shorter than its 8-byte header"),
        ("header past the end", file("{}", length: 100), "runs past the end"),
        ("huge header length", file("{}", length: UInt64.max), "over the limit"),
        ("not JSON", file("{\"a\":"), "not valid JSON"),
        ("not an object", file("[1,2]"), "not a JSON object"),
        ("unknown dtype", file(#"{"a":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}}"#, data: [0]), "dtype I8"),
        ("negative dimension", file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "no valid shape"),
        ("fractional offset", file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0.5,4]}}"#, data: [0, 0, 0, 0]), "no valid data_offsets"),
        ("offsets out of range", file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0]), "outside"),
        ("offsets reversed", file(#"{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#, data: [0, 0, 0, 0]), "outside"),
        ("shape and size disagree", file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "does not match"),
        ("huge shape overflows", file(#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "does not match"),
        ("huge shape, zero product trick", file(#"{"a":{"dtype":"F32","shape":[9223372036854775807,2,0],"data_offsets":[0,0]}}"#), "does not match"),
        ("overlapping", file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                             data: [UInt8](repeating: 0, count: 8)), "overlaps"),
        ("gap", file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: [UInt8](repeating: 0, count: 8)), "gap"),
        ("trailing bytes", file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [UInt8](repeating: 0, count: 6)), "belong to no tensor"),
        ("entry not an object", file(#"{"a":3}"#), "not an object"),
    ]

    @Test func hostileFilesAreRefusedWithAReason() {
        for (what, bytes, expected) in Self.hostile {
            do {
                _ = try SafeTensors.read(bytes)
                Issue.record("\(what): accepted")
            } catch let e as WeightsError {
                #expect(e.description.contains(expected), "\(what): \(e.description)")
            } catch {
                Issue.record("\(what): \(error)")
            }
        }
    }

    @Test func writerRefusesDuplicateNames() {
        let t = NamedTensor(name: "a", shape: [1], values: [1])
        #expect(throws: WeightsError.self) { try SafeTensors.write([t, t]) }
    }
}
