/// A spec that cannot be run; `field` is named in the message.
public struct SpecError: Error, Equatable, CustomStringConvertible {
    public var field: String
    public var problem: String
    public init(_ field: String, _ problem: String) { self.field = field; self.problem = problem }
    public var description: String { "\(field): \(problem)" }
}
