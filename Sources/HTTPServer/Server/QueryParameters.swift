/// Decoded `name=value` pairs of a query string, in order; names may repeat.
public struct QueryParameters: Sendable, Equatable {
    public var pairs: [(name: String, value: String)] = []

    public init() {}

    /// nil if an escape is malformed.
    public init?(parsing query: Substring) {
        for item in query.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = PercentDecoding.decode(kv[0], plusAsSpace: true),
                  let value = PercentDecoding.decode(kv.count > 1 ? kv[1] : "", plusAsSpace: true)
            else { return nil }
            pairs.append((name, value))
        }
    }

    public subscript(name: String) -> String? { pairs.first { $0.name == name }?.value }
    public func values(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }
    public var isEmpty: Bool { pairs.isEmpty }

    public static func == (a: QueryParameters, b: QueryParameters) -> Bool {
        a.pairs.elementsEqual(b.pairs) { $0.name == $1.name && $0.value == $1.value }
    }
}
