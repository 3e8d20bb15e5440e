import HTTPServer

/// A setting's value as the configuration file, the environment and the flags give it,
/// before it is stored into `ServiceConfiguration`.
public enum SettingValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case strings([String])

    /// The value in JSON, as `config/dipd.json` writes it (lists on one line).
    public var json: String {
        switch self {
        case .string(let s): return JSONString.quoted(s)
        case .int(let n): return String(n)
        case .strings(let items): return "[" + items.map(JSONString.quoted).joined(separator: ", ") + "]"
        }
    }
}
