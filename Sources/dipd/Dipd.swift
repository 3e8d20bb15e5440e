import ArgumentParser
import Configuration
import Foundation
import HTTPServer
import JobService
import Logging

/// `dipd`: the Deep Image Prior job service.
@main
struct Dipd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dipd",
        abstract: "Deep Image Prior as an HTTP job service.",
        discussion: """
        Settings come from, highest first: these flags, DIPD_* environment variables (DIPD_PORT, \
        DIPD_DATA_DIR, DIPD_LIMITS_MAX_UPLOAD_BYTES, ...), the configuration file (--config or \
        DIPD_CONFIG; config/dipd.json lists every setting with its default), and the built-in defaults.
        """,
        version: DIPService.version)

    @Option(help: "Address to listen on (:: for every IPv6 and IPv4 address).") var host: String?
    @Option(help: "TCP port (0 picks a free one).") var port: Int?
    @Option(name: .customLong("data-dir"), help: "Directory of the job store.") var dataDir: String?
    @Option(help: "JSON configuration file.") var config: String?
    @Option(help: "Jobs fitted at once (0: one per 8 cores).") var workers: Int?
    @Option(name: .customLong("threads-per-worker"), help: "Engine threads per worker (0: the cores shared among workers).") var threadsPerWorker: Int?
    @Option(name: .customLong("queue-capacity"), help: "Jobs that may wait; one more is answered 429.") var queueCapacity: Int?
    @Option(name: .customLong("public-base-url"), help: "Absolute URL prefix for links, e.g. https://dip.example.com.") var publicBaseURL: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.") var logLevel: String?
    @Option(help: "Engine kernels: auto (the fastest this CPU runs), generic, avx2 or avx512.") var isa: String?
    @Option(name: .customLong("print-port-file"), help: "Write the bound port to this file once listening (for scripts that use --port 0).")
    var portFile: String?
    @Flag(help: "Check the service running on this machine with these settings (GET /healthz on its port) and exit 0 if it is healthy, 1 if not: a container health check that follows DIPD_PORT.")
    var healthcheck = false
    @Flag(name: .customLong("print-default-config"), help: "Print the configuration file with every setting at its default (config/dipd.json) and exit.")
    var printDefaultConfig = false
    @Flag(name: .customLong("print-settings-table"), help: "Print every setting as a Markdown table (key, environment variable, default, meaning) and exit.")
    var printSettingsTable = false

    func run() async throws {
        if printDefaultConfig { print(SettingsTable.defaultConfigJSON(), terminator: ""); return }
        if printSettingsTable { print(SettingsTable.markdownTable(), terminator: ""); return }
        var loader = ConfigurationLoader()
        loader.configFile = config ?? loader.environment[ConfigurationLoader.configFileVariable]
        func flag(_ key: String, _ v: String?) { if let v { loader.flags[key] = .init(.string(v), isSecret: false) } }
        func flag(_ key: String, _ v: Int?) { if let v { loader.flags[key] = .init(.int(v), isSecret: false) } }
        flag("host", host); flag("port", port); flag("data_dir", dataDir); flag("workers", workers)
        flag("threads_per_worker", threadsPerWorker); flag("queue_capacity", queueCapacity)
        flag("public_base_url", publicBaseURL); flag("log_level", logLevel); flag("isa", isa)

        let service: ServiceConfiguration, http: ServerConfiguration
        do {
            (service, http) = try await loader.load()
        } catch {
            throw Self.startFailed("\(error)", status: 64)     // EX_USAGE
        }
        if healthcheck { throw ExitCode(HealthCheck.run(host: http.host, port: http.port) ? 0 : 1) }
        let level = Logger.Level(rawValue: service.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "dipd")
        let dip: DIPService
        do {
            dip = try DIPService(configuration: service, logger: logger)
        } catch let e as StartupError {
            throw Self.startFailed(e.description, status: e.exitStatus)
        }
        let server = HTTPServer(configuration: http, router: dip.makeRouter(), logger: Logger(label: "dipd.http"))
        dip.start()
        do {
            try server.start()
        } catch let e as SocketError where e.errno == EADDRINUSE {
            throw Self.startFailed("cannot listen on \(http.host):\(http.port): the port is in use by another process", status: 69)  // EX_UNAVAILABLE
        } catch {
            throw Self.startFailed("cannot listen on \(http.host):\(http.port): \(error)", status: 71)    // EX_OSERR
        }
        logger.info("listening on \(http.host):\(server.port ?? http.port)")
        if let portFile { try String(server.port ?? 0).write(toFile: portFile, atomically: true, encoding: .utf8) }

        let signal = await ShutdownSignal.wait(for: [SIGTERM, SIGINT])
        logger.info("received signal \(signal): draining")
        dip.drain()
        await server.shutdown()
        logger.info("stopped")
    }

    /// A start-up failure is one line naming its cause, without the usage text that
    /// ArgumentParser prints for its own errors, and a sysexits status.
    static func startFailed(_ message: String, status: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("dipd: error: \(message)\n".utf8))
        return ExitCode(status)
    }
}
