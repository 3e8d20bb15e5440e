/// A route path such as `/v1/jobs/{id}/result`: literal segments and `{name}` captures,
/// each capture matching exactly one non-empty segment.
public struct PathPattern: Sendable, CustomStringConvertible {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    let segments: [Segment]
    public let description: String

    public init(_ pattern: String) {
        precondition(pattern.hasPrefix("/"), "route patterns start with '/'")
        description = pattern
        segments = pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { s in
            if s.hasPrefix("{") && s.hasSuffix("}") && s.count > 2 {
                return .parameter(String(s.dropFirst().dropLast()))
            }
            return .literal(String(s))
        }
    }

    /// Matches already-decoded path segments, returning the captures.
    func match(_ path: [String]) -> [String: String]? {
        guard path.count == segments.count else { return nil }
        var captures: [String: String] = [:]
        for (segment, value) in zip(segments, path) {
            switch segment {
            case .literal(let l): if l != value { return nil }
            case .parameter(let name):
                if value.isEmpty { return nil }
                captures[name] = value
            }
        }
        return captures
    }
}
