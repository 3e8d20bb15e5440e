/// A setting's value as the configuration file, the environment and the flags give it,
/// before it is stored into `ServiceConfiguration`.
public enum SettingValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case strings([String])

    /// The value in JSON, as `config/dipd.json` writes it (lists on one line).
    public var json: String {
        switch self {
        case .string(let s): return Self.quoted(s)
        case .int(let n): return String(n)
        case .strings(let items): return "[" + items.map(Self.quoted).joined(separator: ", ") + "]"
        }
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
