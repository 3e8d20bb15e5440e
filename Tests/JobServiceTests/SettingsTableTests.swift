import Foundation
import HTTPServer
import Testing
@testable import dipd
@testable import JobService

/// The settings table is the one statement of every setting: the configuration file and
/// the README are generated from it, the loader reads and checks exactly its keys, and
/// `ServiceConfiguration` holds exactly its settings.
@Suite("settings table")
struct SettingsTableTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    // MARK: Generated files

    /// When this fails, run scripts/generate-settings.
    @Test func configFileIsTheGeneratedOne() throws {
        let file = try String(contentsOf: Self.repository.appendingPathComponent("config/dipd.json"), encoding: .utf8)
        #expect(file == SettingsTable.defaultConfigJSON())
    }

    /// When this fails, run scripts/generate-settings.
    @Test func readmeTableIsTheGeneratedOne() throws {
        let readme = try String(contentsOf: Self.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let begin = try #require(readme.range(of: SettingsTable.markdownBegin + "\n"))
        let end = try #require(readme.range(of: SettingsTable.markdownEnd, range: begin.upperBound..<readme.endIndex))
        #expect(String(readme[begin.upperBound..<end.lowerBound]) == SettingsTable.markdownTable())
    }

    @Test func generatedFileIsValidJSONWithNestedGroups() throws {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(SettingsTable.defaultConfigJSON().utf8)) as? [String: Any])
        #expect(json["port"] as? Int == 8080)
        #expect((json["limits"] as? [String: Any])?["max_wait_seconds"] as? Int == 55)
        #expect((json["http"] as? [String: Any])?["keep_alive_timeout_seconds"] as? Int == 75)
        #expect(json["trusted_proxies"] as? [String] == ["127.0.0.1", "::1"])
    }

    // MARK: The table and ServiceConfiguration

    @Test func keysAndEnvironmentNamesAreUnique() {
        let keys = SettingsTable.all.map(\.key)
        #expect(Set(keys).count == keys.count)
        let names = SettingsTable.all.map(\.environmentName)
        #expect(Set(names).count == names.count)
        #expect(SettingsTable.setting("limits.max_image_pixels")?.environmentName == "DIPD_LIMITS_MAX_IMAGE_PIXELS")
        #expect(SettingsTable.setting("http.header_timeout_seconds")?.environmentName == "DIPD_HTTP_HEADER_TIMEOUT_SECONDS")
    }

    @Test func defaultsAreTheTables() {
        #expect(ServiceConfiguration() == SettingsTable.defaults)
        for s in SettingsTable.all {
            #expect(s.value(in: ServiceConfiguration()) == s.defaultValue, "\(s.key)")
            #expect(s.problem(with: s.defaultValue) == nil, "\(s.key)'s default is refused")
        }
        #expect(throws: Never.self) { try SettingsTable.validate(SettingsTable.defaults) }
    }

    /// Each setting writes one property of its own, and every property is some setting's.
    @Test func everyPropertyIsExactlyOneSetting() {
        let base = ServiceConfiguration()
        let properties = Set(Self.leaves(base).keys)
        var written = Set<String>()
        for s in SettingsTable.all {
            var c = base
            s.store(Self.otherValue(s), into: &c)
            let changed = Self.leaves(c).filter { Self.leaves(base)[$0.key] != $0.value }.map(\.key)
            #expect(changed.count == 1, "\(s.key) changes \(changed)")
            written.formUnion(changed)
        }
        #expect(written == properties, "not settings: \(properties.subtracting(written).sorted())")
    }

    // MARK: Loading

    @Test func everyKeyRoundTripsThroughTheFile() async throws {
        var sample = ServiceConfiguration()
        for s in SettingsTable.all { s.store(Self.otherValue(s), into: &sample) }
        #expect(sample != ServiceConfiguration())
        let (loaded, _) = try await Self.load(file: SettingsTable.configJSON(sample))
        #expect(loaded == sample)
        for s in SettingsTable.all { #expect(s.value(in: loaded) == Self.otherValue(s), "\(s.key)") }
    }

    @Test func everyKeyRoundTripsThroughTheEnvironment() async throws {
        var environment: [String: String] = [:]
        for s in SettingsTable.all {
            switch Self.otherValue(s) {
            case .string(let v): environment[s.environmentName] = v
            case .int(let n): environment[s.environmentName] = String(n)
            case .strings(let items): environment[s.environmentName] = items.joined(separator: ",")
            }
        }
        let (loaded, _) = try await Self.load(environment: environment)
        for s in SettingsTable.all { #expect(s.value(in: loaded) == Self.otherValue(s), "\(s.key)") }
    }

    @Test func environmentOverridesTheFileAndFlagsOverrideBoth() async throws {
        var loader = ConfigurationLoader()
        loader.environment = ["DIPD_WORKERS": "3", "DIPD_QUEUE_CAPACITY": "7"]
        loader.configFile = try Self.write(#"{"workers": 2, "queue_capacity": 5, "retry_after_seconds": 9}"#)
        loader.flags["queue_capacity"] = .init(.int(8), isSecret: false)
        let (loaded, _) = try await loader.load()
        #expect(loaded.workers == 3 && loaded.queueCapacity == 8 && loaded.retryAfterSeconds == 9)
    }

    @Test func serverConfigurationComesFromTheHTTPSettings() async throws {
        let (service, server) = try await Self.load(file: #"{"port": 9000, "http": {"max_connections": 5, "header_timeout_seconds": 3, "write_timeout_seconds": 4}}"#)
        #expect(service.http.maxConnections == 5)
        #expect(server.port == 9000 && server.maxConnections == 5)
        #expect(server.headerTimeout == .seconds(3) && server.writeTimeout == .seconds(4))
        #expect(server.bodyIdleTimeout == .seconds(30) && server.keepAliveTimeout == .seconds(75))
    }

    // MARK: Refusals

    /// A value just outside a setting's range is refused with a message naming the key; the
    /// bounds themselves are accepted.
    @Test func everyRangeIsEnforced() async throws {
        for s in SettingsTable.all {
            guard case .integers(let range, _, _) = s.rule else { continue }
            var outside = [range.lowerBound - 1]
            if range.upperBound < 1_000_000_000 { outside.append(range.upperBound + 1) }
            for value in outside {
                let message = try await Self.refusal(file: "{\(Self.member(s.key, String(value)))}")
                #expect(message.hasPrefix("\(s.key): must be "), "\(s.key)=\(value): \(message)")
            }
            for value in [range.lowerBound, min(range.upperBound, 1_000_000_000)] {
                // lease_renew_seconds may reach its top only under the longest lease.
                let lease = s.key == "lease_seconds" ? "" : #", "lease_seconds": 3600"#
                let file = "{\(Self.member(s.key, String(value)))\(lease)}"
                await #expect(throws: Never.self, "\(s.key)=\(value)") { try await Self.load(file: file) }
            }
        }
    }

    @Test func stringRulesAreEnforced() async throws {
        #expect(try await Self.refusal(file: #"{"log_level": "loud"}"#)
            == #"log_level: must be trace, debug, info, notice, warning, error or critical (not "loud")"#)
        #expect(try await Self.refusal(file: #"{"isa": "avx9000"}"#).hasPrefix("isa: must be auto, generic, avx2 or avx512"))
        #expect(try await Self.refusal(file: #"{"public_base_url": "dip.example.com"}"#)
            == "public_base_url: must start with http:// or https://")
        #expect(try await Self.refusal(file: #"{"data_dir": ""}"#) == "data_dir: must not be empty")
        #expect(try await Self.refusal(file: #"{"webhook_allowed_networks": ["10.0.0.0/8", "intranet"]}"#)
            == #"webhook_allowed_networks: must be IP addresses or networks (`10.0.0.0/8`, `fc00::/7`) (not "intranet")"#)
        #expect(try await Self.load(file: #"{"public_base_url": "https://dip.example.com"}"#).0.publicBaseURL == "https://dip.example.com")
    }

    @Test func leaseRenewalMustLeaveRoomForOneLateRenewal() async throws {
        #expect(try await Self.refusal(file: #"{"lease_seconds": 10, "lease_renew_seconds": 6}"#)
            == "lease_renew_seconds: must be at most half of lease_seconds (10)")
        let (loaded, _) = try await Self.load(file: #"{"lease_seconds": 10, "lease_renew_seconds": 5}"#)
        #expect(loaded.leaseRenewSeconds == 5)
    }

    @Test func unknownKeysInTheFileAreRefused() async throws {
        #expect(try await Self.refusal(file: #"{"workerz": 2}"#).hasSuffix(": unknown setting workerz"))
        #expect(try await Self.refusal(file: #"{"limits": {"max_pixels": 2}}"#).hasSuffix(": unknown setting limits.max_pixels"))
        #expect(try await Self.refusal(file: #"{"workers": "2"}"#).hasSuffix(": workers must be an integer"))
        #expect(try await Self.refusal(file: #"{"trusted_proxies": "::1"}"#).hasSuffix(": trusted_proxies must be a list of strings"))
    }

    @Test func unknownEnvironmentVariablesAreRefused() async throws {
        let message = try await Self.refusal(environment: ["DIPD_WORKERZ": "2"])
        #expect(message.hasPrefix("environment variable DIPD_WORKERZ is not a setting"))
        #expect(message.contains("DIPD_SSE_HEARTBEAT_SECONDS"))
        #expect(try await Self.refusal(environment: ["DIPD_WORKERS": "many"]) == "environment variable DIPD_WORKERS=many: not an integer")
        // The variable naming the file is no setting, and is allowed.
        #expect(try await Self.load(environment: ["DIPD_CONFIG": "unused", "DIPD_WORKERS": "2"]).0.workers == 2)
    }

    // MARK: Sample values, files and loads

    /// A valid value of `s` other than its default.
    static func otherValue(_ s: Setting) -> SettingValue {
        switch (s.rule, s.defaultValue) {
        case (.integers(let range, _, _), .int(let d)): return .int(range.contains(d + 1) ? d + 1 : d - 1)
        case (.oneOf(let allowed), .string(let d)): return .string(allowed.first { $0 != d }!)
        case (.emptyOrPrefixed(let prefixes), _): return .string(prefixes[0] + "settings.example")
        case (.networks, _): return .strings(["10.1.0.0/16", "::1"])
        case (_, .string): return .string("value-of-\(s.key)")
        case (_, .strings): return .strings(["first-\(s.key)", "second"])
        case (_, .int(let d)): return .int(d + 1)
        }
    }

    /// `"key": value`, nested for dotted keys.
    static func member(_ key: String, _ value: String) -> String {
        let parts = key.split(separator: ".").map(String.init)
        return parts.dropLast().reversed().reduce("\"\(parts.last!)\": \(value)") { "\"\($1)\": {\($0)}" }
    }

    /// The configuration's stored leaves by path ("limits.maxImagePixels"), as text.
    static func leaves(_ value: Any, _ prefix: String = "") -> [String: String] {
        var out: [String: String] = [:]
        for child in Mirror(reflecting: value).children {
            guard let label = child.label else { continue }
            let path = prefix.isEmpty ? label : prefix + "." + label
            if Mirror(reflecting: child.value).displayStyle == .struct {
                out.merge(leaves(child.value, path)) { $1 }
            } else {
                out[path] = String(describing: child.value)
            }
        }
        return out
    }

    static func write(_ json: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dipd-settings-\(UUID().uuidString).json")
        try Data(json.utf8).write(to: url)
        return url.path
    }

    @discardableResult
    static func load(file: String? = nil, environment: [String: String] = [:]) async throws -> (ServiceConfiguration, ServerConfiguration) {
        var loader = ConfigurationLoader()
        loader.environment = environment
        loader.configFile = try file.map(write)
        return try await loader.load()
    }

    /// The message of the refusal these settings must meet.
    static func refusal(file: String? = nil, environment: [String: String] = [:]) async throws -> String {
        do {
            try await load(file: file, environment: environment)
        } catch let e as InvalidSetting {
            return e.description
        }
        Issue.record("accepted: \(file ?? "") \(environment)")
        return ""
    }
}
