/// One setting of the service: its key in the configuration file, its type, default, the
/// values it accepts, and where it lives in `ServiceConfiguration`.
public struct Setting: Sendable {
    public enum Kind: Sendable, Equatable {
        case string, int, strings

        /// "a string", "an integer", "a list of strings": for messages about mistyped values.
        public var noun: String {
            switch self {
            case .string: "a string"
            case .int: "an integer"
            case .strings: "a list of strings"
            }
        }
    }

    /// As in the file, nested with dots: `limits.max_image_pixels`.
    public let key: String
    public let kind: Kind
    public let defaultValue: SettingValue
    public let rule: SettingRule
    /// Kept out of logs and access reports (it is, or contains, a password or a key).
    public let isSecret: Bool
    /// One line for the documentation.
    public let summary: String
    private let get: @Sendable (ServiceConfiguration) -> SettingValue
    private let set: @Sendable (inout ServiceConfiguration, SettingValue) -> Void

    /// DIPD_ + the key in capitals, dots (and dashes) as underscores: `DIPD_LIMITS_MAX_IMAGE_PIXELS`.
    public var environmentName: String {
        "DIPD_" + String(key.uppercased().map { $0 == "." || $0 == "-" ? "_" : $0 })
    }

    /// The setting's value in `configuration`.
    public func value(in configuration: ServiceConfiguration) -> SettingValue { get(configuration) }

    /// Stores `value` into `configuration`; a value of another kind is ignored.
    public func store(_ value: SettingValue, into configuration: inout ServiceConfiguration) { set(&configuration, value) }

    /// Why `value` is refused, as "key: must be ...", or nil.
    public func problem(with value: SettingValue) -> String? {
        rule.problem(with: value).map { "\(key): \($0)" }
    }
}

extension Setting {
    static func string(_ key: String, _ path: WritableKeyPath<ServiceConfiguration, String> & Sendable, default value: String,
                       _ rule: SettingRule, secret: Bool = false, _ summary: String) -> Setting {
        Setting(key: key, kind: .string, defaultValue: .string(value), rule: rule, isSecret: secret, summary: summary,
                get: { .string($0[keyPath: path]) },
                set: { c, v in if case .string(let s) = v { c[keyPath: path] = s } })
    }

    /// A string that is unset (nil) when empty.
    static func optionalString(_ key: String, _ path: WritableKeyPath<ServiceConfiguration, String?> & Sendable,
                               secret: Bool = false, _ summary: String) -> Setting {
        Setting(key: key, kind: .string, defaultValue: .string(""), rule: .any, isSecret: secret, summary: summary,
                get: { .string($0[keyPath: path] ?? "") },
                set: { c, v in if case .string(let s) = v { c[keyPath: path] = s.isEmpty ? nil : s } })
    }

    static func int(_ key: String, _ path: WritableKeyPath<ServiceConfiguration, Int> & Sendable, default value: Int,
                    _ rule: SettingRule, _ summary: String) -> Setting {
        Setting(key: key, kind: .int, defaultValue: .int(value), rule: rule, isSecret: false, summary: summary,
                get: { .int($0[keyPath: path]) },
                set: { c, v in if case .int(let n) = v { c[keyPath: path] = n } })
    }

    static func strings(_ key: String, _ path: WritableKeyPath<ServiceConfiguration, [String]> & Sendable, default value: [String],
                        _ summary: String) -> Setting {
        strings(key, path, default: value, .any, summary)
    }

    static func strings(_ key: String, _ path: WritableKeyPath<ServiceConfiguration, [String]> & Sendable, default value: [String],
                        _ rule: SettingRule, _ summary: String) -> Setting {
        Setting(key: key, kind: .strings, defaultValue: .strings(value), rule: rule, isSecret: false, summary: summary,
                get: { .strings($0[keyPath: path]) },
                set: { c, v in if case .strings(let items) = v { c[keyPath: path] = items } })
    }
}
