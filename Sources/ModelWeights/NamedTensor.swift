/// One tensor of a weights file: its name, its shape (outermost dimension
/// first, e.g. a convolution weight is out × in × kh × kw) and its values as
/// float32 in row-major order.
public struct NamedTensor: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
        self.name = name; self.shape = shape; self.values = values
    }

    public var count: Int { values.count }
}

/// Why a weights file cannot be read. Every case names the file's problem
/// in words an operator can act on.
public struct WeightsError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Half and bfloat16 to float32, exactly (every fp16/bf16 value is a float32 value).
enum HalfFloat {
    static func fromF16(_ h: UInt16) -> Float { Float(Float16(bitPattern: h)) }
    static func fromBF16(_ b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }
    static func toF16(_ f: Float) -> UInt16 { Float16(f).bitPattern }
    /// Round to nearest even, as PyTorch's float → bfloat16 conversion; NaN stays NaN.
    static func toBF16(_ f: Float) -> UInt16 {
        if f.isNaN { return 0x7FC0 }
        let bits = f.bitPattern
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }
}

/// Little-endian reads from a byte array with bounds checks.
struct ByteReader {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func uint16(at i: Int) -> UInt16 { UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8 }
    func uint32(at i: Int) -> UInt32 {
        UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
    }
    func uint64(at i: Int) -> UInt64 { UInt64(uint32(at: i)) | UInt64(uint32(at: i + 4)) << 32 }
    func float32(at i: Int) -> Float { Float(bitPattern: uint32(at: i)) }
}
