import Configuration
import Foundation
import HTTPServer
import JobService

/// Builds the service's configuration from, highest first: command-line flags,
/// `DIPD_*` environment variables, the JSON configuration file, and the built-in
/// defaults (which `config/dipd.json` repeats). Every key of the file and every
/// `DIPD_*` variable is checked: a misspelt or mistyped setting stops the start.
struct ConfigurationLoader {
    enum Kind { case string, int, strings }

    /// Every key, as in the file (nested with dots); its environment variable is
    /// DIPD_ + the key in capitals with dots and dashes as underscores.
    static let keys: [String: Kind] = [
        "host": .string, "port": .int, "public_base_url": .string, "trusted_proxies": .strings,
        "cors_allowed_origins": .strings, "api_key": .string, "log_level": .string,
        "data_dir": .string, "database_url": .string, "retention_seconds": .int, "sweep_interval_seconds": .int,
        "workers": .int, "threads_per_worker": .int, "worker_nice": .int, "queue_capacity": .int,
        "retry_after_seconds": .int, "shutdown_grace_seconds": .int, "max_lost_runs": .int, "checkpoint_seconds": .int, "lease_seconds": .int, "replica_id": .string, "preimage_weights": .string, "isa": .string,
        "limits.max_upload_bytes": .int, "limits.max_image_pixels": .int, "limits.max_image_side": .int,
        "limits.max_iterations": .int, "limits.max_snapshots": .int, "limits.max_wait_seconds": .int,
        "http.max_connections": .int, "http.header_timeout_seconds": .int, "http.body_idle_timeout_seconds": .int,
        "http.keep_alive_timeout_seconds": .int, "http.write_timeout_seconds": .int,
    ]

    static func environmentName(_ key: String) -> String {
        "DIPD_" + key.uppercased().replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "-", with: "_")
    }

    struct Invalid: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// Values given on the command line, by key.
    var flags: [String: ConfigValue] = [:]
    var environment = ProcessInfo.processInfo.environment
    var configFile: String?

    func load() async throws -> (ServiceConfiguration, ServerConfiguration) {
        try checkEnvironment()
        var providers: [any ConfigProvider] = [InMemoryProvider(name: "flags", values: Dictionary(uniqueKeysWithValues: flags.map { (AbsoluteConfigKey($0.key.split(separator: ".").map(String.init)), $0.value) })),
                                               EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: ["dipd"])]
        if let path = configFile {
            try checkFile(path)
            providers.append(try await FileProvider<JSONSnapshot>(filePath: .init(path)))
        }
        let config = ConfigReader(providers: providers)
        let d = ServiceConfiguration()
        var s = ServiceConfiguration()
        s.host = config.string(forKey: "host", default: d.host)
        s.port = config.int(forKey: "port", default: d.port)
        s.publicBaseURL = config.string(forKey: "public_base_url", default: d.publicBaseURL)
        s.trustedProxies = config.stringArray(forKey: "trusted_proxies", default: d.trustedProxies)
        s.corsAllowedOrigins = config.stringArray(forKey: "cors_allowed_origins", default: d.corsAllowedOrigins)
        let key = config.string(forKey: "api_key", isSecret: true, default: "")
        s.apiKey = key.isEmpty ? nil : key
        s.logLevel = config.string(forKey: "log_level", default: d.logLevel)
        s.dataDirectory = config.string(forKey: "data_dir", default: d.dataDirectory)
        s.databaseURL = config.string(forKey: "database_url", default: d.databaseURL)
        s.retentionSeconds = config.int(forKey: "retention_seconds", default: d.retentionSeconds)
        s.sweepIntervalSeconds = config.int(forKey: "sweep_interval_seconds", default: d.sweepIntervalSeconds)
        s.workers = config.int(forKey: "workers", default: d.workers)
        s.threadsPerWorker = config.int(forKey: "threads_per_worker", default: d.threadsPerWorker)
        s.workerNice = config.int(forKey: "worker_nice", default: d.workerNice)
        s.queueCapacity = config.int(forKey: "queue_capacity", default: d.queueCapacity)
        s.retryAfterSeconds = config.int(forKey: "retry_after_seconds", default: d.retryAfterSeconds)
        s.shutdownGraceSeconds = config.int(forKey: "shutdown_grace_seconds", default: d.shutdownGraceSeconds)
        s.maxLostRuns = config.int(forKey: "max_lost_runs", default: d.maxLostRuns)
        s.checkpointSeconds = config.int(forKey: "checkpoint_seconds", default: d.checkpointSeconds)
        s.leaseSeconds = config.int(forKey: "lease_seconds", default: d.leaseSeconds)
        s.replicaID = config.string(forKey: "replica_id", default: d.replicaID)
        s.preimageWeights = config.string(forKey: "preimage_weights", default: d.preimageWeights)
        s.instructionSet = config.string(forKey: "isa", default: d.instructionSet)
        s.limits.maxUploadBytes = config.int(forKey: "limits.max_upload_bytes", default: d.limits.maxUploadBytes)
        s.limits.maxImagePixels = config.int(forKey: "limits.max_image_pixels", default: d.limits.maxImagePixels)
        s.limits.maxImageSide = config.int(forKey: "limits.max_image_side", default: d.limits.maxImageSide)
        s.limits.maxIterations = config.int(forKey: "limits.max_iterations", default: d.limits.maxIterations)
        s.limits.maxSnapshots = config.int(forKey: "limits.max_snapshots", default: d.limits.maxSnapshots)
        s.limits.maxWaitSeconds = config.int(forKey: "limits.max_wait_seconds", default: d.limits.maxWaitSeconds)

        var http = ServerConfiguration()
        http.host = s.host
        http.port = s.port
        http.serverName = "dipd"
        http.maxConnections = config.int(forKey: "http.max_connections", default: http.maxConnections)
        http.headerTimeout = .seconds(config.int(forKey: "http.header_timeout_seconds", default: 10))
        http.bodyIdleTimeout = .seconds(config.int(forKey: "http.body_idle_timeout_seconds", default: 30))
        http.keepAliveTimeout = .seconds(config.int(forKey: "http.keep_alive_timeout_seconds", default: 75))
        http.writeTimeout = .seconds(config.int(forKey: "http.write_timeout_seconds", default: 30))
        try validate(s)
        return (s, http)
    }

    func validate(_ s: ServiceConfiguration) throws {
        func check(_ ok: Bool, _ key: String, _ why: String) throws { if !ok { throw Invalid("\(key): \(why)") } }
        try check((0...65535).contains(s.port), "port", "must be 0...65535")
        try check(!s.dataDirectory.isEmpty, "data_dir", "must not be empty")
        try check(s.workers >= 0 && s.workers <= 64, "workers", "must be 0 (automatic) ... 64")
        try check(s.threadsPerWorker >= 0 && s.threadsPerWorker <= 256, "threads_per_worker", "must be 0 (automatic) ... 256")
        try check((-20...19).contains(s.workerNice), "worker_nice", "must be -20...19")
        try check(s.queueCapacity >= 1, "queue_capacity", "must be at least 1")
        try check(s.maxLostRuns >= 1, "max_lost_runs", "must be at least 1")
        try check(s.checkpointSeconds >= 0, "checkpoint_seconds", "must be 0 (off) or more")
        try check((2...3600).contains(s.leaseSeconds), "lease_seconds", "must be 2...3600 (the lease is renewed every second)")
        try check(s.limits.maxUploadBytes >= 1024, "limits.max_upload_bytes", "must be at least 1024")
        try check(s.limits.maxImagePixels >= 1, "limits.max_image_pixels", "must be at least 1")
        try check(s.limits.maxIterations >= 1, "limits.max_iterations", "must be at least 1")
        try check((0...55).contains(s.limits.maxWaitSeconds), "limits.max_wait_seconds", "must be 0...55 (under nginx's 60 s read timeout)")
        try check(["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(s.logLevel), "log_level",
                  "must be trace, debug, info, notice, warning, error or critical")
        try check(s.publicBaseURL.isEmpty || s.publicBaseURL.hasPrefix("http://") || s.publicBaseURL.hasPrefix("https://"),
                  "public_base_url", "must start with http:// or https://")
    }

    /// Every DIPD_ variable must name a setting, and numbers must be numbers.
    func checkEnvironment() throws {
        let byName = Dictionary(uniqueKeysWithValues: Self.keys.map { (Self.environmentName($0.key), $0) })
        for (name, value) in environment where name.hasPrefix("DIPD_") && name != "DIPD_CONFIG" {
            guard let (_, kind) = byName[name] else {
                throw Invalid("environment variable \(name) is not a setting (known: \(byName.keys.sorted().joined(separator: ", ")), DIPD_CONFIG)")
            }
            if kind == .int, Int(value.trimmingCharacters(in: .whitespaces)) == nil {
                throw Invalid("environment variable \(name)=\(value): not an integer")
            }
        }
    }

    /// The file must be a JSON object whose keys are all settings of the right type.
    func checkFile(_ path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw Invalid("\(path): cannot read the configuration file") }
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw Invalid("\(path): not a JSON object")
        }
        func walk(_ o: [String: JSONValue], _ prefix: String) throws {
            for (k, v) in o {
                let key = prefix.isEmpty ? k : prefix + "." + k
                if case .object(let nested) = v { try walk(nested, key); continue }
                guard let kind = Self.keys[key] else { throw Invalid("\(path): unknown setting \(key)") }
                let ok: Bool
                switch (kind, v) {
                case (.string, .string): ok = true
                case (.int, .number(let d)): ok = d == d.rounded() && abs(d) < 1e15
                case (.strings, .array(let items)): ok = items.allSatisfy { if case .string = $0 { true } else { false } }
                default: ok = false
                }
                if !ok { throw Invalid("\(path): \(key) must be \(kind == .string ? "a string" : kind == .int ? "an integer" : "a list of strings")") }
            }
        }
        try walk(object, "")
    }
}
