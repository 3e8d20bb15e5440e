import Configuration
import Foundation
import HTTPServer
import JobService

/// Builds the service's configuration from, highest first: command-line flags,
/// `DIPD_*` environment variables, the JSON configuration file, and the defaults of
/// `SettingsTable`. Every key of the file and every `DIPD_*` variable is checked against
/// the table: a misspelt or mistyped setting stops the start, and so does a value the
/// setting's rule refuses.
struct ConfigurationLoader {
    /// Values given on the command line, by key.
    var flags: [String: ConfigValue] = [:]
    var environment = ProcessInfo.processInfo.environment
    var configFile: String?

    /// Names the configuration file; not a setting itself.
    static let configFileVariable = "DIPD_CONFIG"

    func load() async throws -> (ServiceConfiguration, ServerConfiguration) {
        try checkEnvironment()
        let flagValues = Dictionary(uniqueKeysWithValues: flags.map { (AbsoluteConfigKey(ConfigKey($0.key)), $0.value) })
        var providers: [any ConfigProvider] = [InMemoryProvider(name: "flags", values: flagValues),
                                               EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: ["dipd"])]
        if let path = configFile {
            try checkFile(path)
            providers.append(try await FileProvider<JSONSnapshot>(filePath: .init(path)))
        }
        let config = ConfigReader(providers: providers)
        var s = SettingsTable.defaults
        for setting in SettingsTable.all {
            setting.store(Self.read(setting, from: config), into: &s)
        }
        try SettingsTable.validate(s)
        return (s, Self.serverConfiguration(s))
    }

    private static func read(_ setting: Setting, from config: ConfigReader) -> SettingValue {
        let key = ConfigKey(setting.key)
        switch setting.defaultValue {
        case .string(let d): return .string(config.string(forKey: key, isSecret: setting.isSecret, default: d))
        case .int(let d): return .int(config.int(forKey: key, isSecret: setting.isSecret, default: d))
        case .strings(let d): return .strings(config.stringArray(forKey: key, isSecret: setting.isSecret, default: d))
        }
    }

    /// The HTTP server's limits and timeouts from the service's `http.*` settings.
    static func serverConfiguration(_ s: ServiceConfiguration) -> ServerConfiguration {
        var http = ServerConfiguration()
        http.host = s.host
        http.port = s.port
        http.serverName = "dipd"
        http.maxConnections = s.http.maxConnections
        http.headerTimeout = .seconds(s.http.headerTimeoutSeconds)
        http.bodyIdleTimeout = .seconds(s.http.bodyIdleTimeoutSeconds)
        http.keepAliveTimeout = .seconds(s.http.keepAliveTimeoutSeconds)
        http.writeTimeout = .seconds(s.http.writeTimeoutSeconds)
        return http
    }

    /// Every DIPD_ variable must name a setting, and numbers must be numbers.
    func checkEnvironment() throws(InvalidSetting) {
        let byName = Dictionary(uniqueKeysWithValues: SettingsTable.all.map { ($0.environmentName, $0) })
        for (name, value) in environment where name.hasPrefix("DIPD_") && name != Self.configFileVariable {
            guard let setting = byName[name] else {
                throw InvalidSetting("environment variable \(name) is not a setting (known: \(byName.keys.sorted().joined(separator: ", ")), \(Self.configFileVariable))")
            }
            if setting.kind == .int, Int(value.trimmingCharacters(in: .whitespaces)) == nil {
                throw InvalidSetting("environment variable \(name)=\(value): not an integer")
            }
        }
    }

    /// The file must be a JSON object whose keys are all settings of the right type.
    func checkFile(_ path: String) throws(InvalidSetting) {
        guard let data = FileManager.default.contents(atPath: path) else { throw InvalidSetting("\(path): cannot read the configuration file") }
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw InvalidSetting("\(path): not a JSON object")
        }
        func walk(_ o: [String: JSONValue], _ prefix: String) throws(InvalidSetting) {
            for (k, v) in o.sorted(by: { $0.key < $1.key }) {
                let key = prefix.isEmpty ? k : prefix + "." + k
                if case .object(let nested) = v { try walk(nested, key); continue }
                guard let setting = SettingsTable.setting(key) else { throw InvalidSetting("\(path): unknown setting \(key)") }
                if !Self.hasKind(setting.kind, v) { throw InvalidSetting("\(path): \(key) must be \(setting.kind.noun)") }
            }
        }
        try walk(object, "")
    }

    private static func hasKind(_ kind: Setting.Kind, _ v: JSONValue) -> Bool {
        switch (kind, v) {
        case (.string, .string): true
        case (.int, .number(let d)): d == d.rounded() && abs(d) < 1e15
        case (.strings, .array(let items)): items.allSatisfy { if case .string = $0 { true } else { false } }
        default: false
        }
    }
}
