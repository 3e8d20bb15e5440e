/// A trainable tensor and its gradient. `shape` keeps the reference's logical
/// shape (e.g. a conv weight is out × in × k × k) for naming and checks.
public final class Parameter {
    public let name: String
    public let shape: [Int]
    public let value: UnsafeMutablePointer<Float>
    public let grad: UnsafeMutablePointer<Float>
    public let count: Int

    public init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
        count = shape.reduce(1, *)
        value = .allocate(capacity: count); value.initialize(repeating: 0, count: count)
        grad = .allocate(capacity: count); grad.initialize(repeating: 0, count: count)
    }

    deinit { value.deallocate(); grad.deallocate() }

    public var values: [Float] {
        get { Array(UnsafeBufferPointer(start: value, count: count)) }
        set {
            precondition(newValue.count == count, "\(name): \(newValue.count) values for \(count)")
            newValue.withUnsafeBufferPointer { value.update(from: $0.baseAddress!, count: count) }
        }
    }
    public var gradients: [Float] { Array(UnsafeBufferPointer(start: grad, count: count)) }
    public func zeroGrad() { grad.update(repeating: 0, count: count) }
}
