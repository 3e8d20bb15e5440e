/// A float32 image tensor of shape channels × height × width (row-major, CHW).
///
/// Deep Image Prior fits one image at a time, so the batch dimension of the
/// reference (always 1) is left out. Views of a channel range (used by Concat)
/// share the storage, which lives as long as any tensor over it.
public final class Tensor {
    public let channels: Int
    public let height: Int
    public let width: Int
    public let data: UnsafeMutablePointer<Float>
    let storage: Storage

    public var count: Int { channels * height * width }
    public var plane: Int { height * width }
    public var shape: Shape { Shape(channels, height, width) }

    /// A new zero-filled tensor.
    public convenience init(_ shape: Shape) {
        self.init(shape, storage: Storage(capacity: shape.count))
    }

    /// A tensor over existing storage (e.g. recycled from a pool), not cleared.
    init(_ shape: Shape, storage: Storage) {
        precondition(storage.capacity >= shape.count)
        channels = shape.channels; height = shape.height; width = shape.width
        self.storage = storage
        data = storage.pointer
    }

    public convenience init(channels: Int, height: Int, width: Int) {
        self.init(Shape(channels, height, width))
    }

    /// A tensor holding a copy of `values` (count must match the shape).
    public convenience init(_ shape: Shape, values: [Float]) {
        precondition(values.count == shape.count, "value count \(values.count) does not match \(shape)")
        self.init(shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    /// A view of channels [offset, offset + count) of `base`, sharing its storage.
    public init(viewOf base: Tensor, channelOffset offset: Int, channels count: Int) {
        precondition(offset >= 0 && offset + count <= base.channels)
        channels = count; height = base.height; width = base.width
        data = base.data + offset * base.plane
        storage = base.storage
    }

    public var isView: Bool { data != storage.pointer }

    public subscript(c: Int, y: Int, x: Int) -> Float {
        get { data[(c * height + y) * width + x] }
        set { data[(c * height + y) * width + x] = newValue }
    }

    public var values: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    public func fill(_ v: Float) { data.update(repeating: v, count: count) }
    public func zero() { fill(0) }
    public func copy(from other: Tensor) {
        precondition(other.count == count)
        data.update(from: other.data, count: count)
    }
    public func clone() -> Tensor { let t = Tensor(shape); t.copy(from: self); return t }
}

/// A zero-initialised float allocation shared by a tensor and its views.
final class Storage {
    let pointer: UnsafeMutablePointer<Float>
    let capacity: Int
    /// Belongs to a Workspace's gradient pool.
    var pooled = false
    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        pointer = .allocate(capacity: self.capacity)
        pointer.initialize(repeating: 0, count: self.capacity)
    }
    deinit { pointer.deallocate() }
}

/// The shape of a CHW tensor.
public struct Shape: Hashable, Sendable, CustomStringConvertible {
    public var channels: Int
    public var height: Int
    public var width: Int
    public init(_ channels: Int, _ height: Int, _ width: Int) {
        self.channels = channels; self.height = height; self.width = width
    }
    public var count: Int { channels * height * width }
    public var description: String { "\(channels)×\(height)×\(width)" }
}
