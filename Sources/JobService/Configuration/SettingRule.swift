import HTTPServer

/// What values a setting accepts. The same rule refuses a bad value at start-up
/// ("key: must be ...") and is printed in the settings documentation.
public enum SettingRule: Sendable {
    /// Any value of the setting's type.
    case any
    /// Integers in `range` (an upper bound of `Int.max`: no upper bound). `zero` names what 0
    /// means when it is special ("automatic", "off"); `note` says why the bounds are where they are.
    case integers(ClosedRange<Int>, zero: String? = nil, note: String? = nil)
    /// One of these strings.
    case oneOf([String])
    /// A string that is not empty.
    case nonEmpty
    /// Empty, or a string that starts with one of these prefixes.
    case emptyOrPrefixed([String])
    /// A list of IP addresses or networks in CIDR notation (`10.0.0.0/8`, `::1`).
    case networks

    /// Why `value` is refused ("must be ..."), or nil when it is accepted.
    public func problem(with value: SettingValue) -> String? {
        let accepted: Bool
        switch (self, value) {
        case (.any, _): accepted = true
        case (.integers(let range, _, _), .int(let n)): accepted = range.contains(n)
        case (.oneOf(let allowed), .string(let s)):
            return allowed.contains(s) ? nil : "\(requirement) (not \(JSONString.quoted(s)))"
        case (.nonEmpty, .string(let s)): accepted = !s.isEmpty
        case (.emptyOrPrefixed(let prefixes), .string(let s)): accepted = s.isEmpty || prefixes.contains { s.hasPrefix($0) }
        case (.networks, .strings(let items)):
            return items.first { IPNetwork($0) == nil }.map { "\(requirement) (not \(JSONString.quoted($0)))" }
        default: accepted = false
        }
        return accepted ? nil : requirement
    }

    /// The rule as a sentence: "must be 2...3600", "must be at least 1", ...
    public var requirement: String {
        switch self {
        case .any:
            return "may be anything"
        case .integers(let range, let zero, let note):
            let zeroText = zero.map { "0 (\($0))" }
            let bounds: String
            if range.upperBound == Int.max {
                bounds = range.lowerBound == 0 ? "\(zeroText ?? "0") or more" : "at least \(range.lowerBound)"
            } else if range.lowerBound == 0, let zeroText {
                bounds = "\(zeroText) ... \(range.upperBound)"
            } else {
                bounds = "\(range.lowerBound)...\(range.upperBound)"
            }
            return "must be " + bounds + (note.map { " (\($0))" } ?? "")
        case .oneOf(let allowed):
            return "must be " + Self.alternatives(allowed)
        case .nonEmpty:
            return "must not be empty"
        case .emptyOrPrefixed(let prefixes):
            return "must start with " + Self.alternatives(prefixes)
        case .networks:
            return "must be IP addresses or networks (`10.0.0.0/8`, `fc00::/7`)"
        }
    }

    /// "a, b or c".
    static func alternatives(_ items: [String]) -> String {
        guard let last = items.last, items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " or " + last
    }
}
