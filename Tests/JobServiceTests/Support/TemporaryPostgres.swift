import Foundation
import Glibc

/// A PostgreSQL 15 server of a test's own (Debian's postgresql-15, installed by scripts/setup):
/// a new cluster in a temporary directory, on a free loopback port, trust authentication,
/// stopped by `stop()`. initdb refuses to run as root, so as root the server runs as the
/// `postgres` user the package creates.
final class TemporaryPostgres {
    static let bin = "/usr/lib/postgresql/15/bin"
    let directory: URL
    let port: Int
    var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }
    private var dataDirectory: String { directory.appendingPathComponent("cluster").path }

    init() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.bin + "/initdb") else {
            throw Failure("PostgreSQL 15 is not installed in \(Self.bin): run scripts/setup")
        }
        directory = try temporaryDirectory("dipd-postgres")
        port = try freePort()
        if getuid() == 0 {
            try Self.run("/bin/chown", ["postgres:postgres", directory.path])
        }
        try Self.run(Self.bin + "/initdb", ["-D", dataDirectory, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"], asPostgres: true)
        try start()
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    private var server: Process?

    /// Starts the server (again) and waits until it accepts connections. The server is this
    /// test's own child process (`setpriv` becomes the postgres user and execs it).
    func start() throws {
        let arguments = ["-D", dataDirectory, "-p", "\(port)", "-k", directory.path,
                         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]
        let log = directory.appendingPathComponent("server.log")
        let p = getuid() == 0
            ? try startLogged("/usr/bin/setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", Self.bin + "/postgres"] + arguments, log: log)
            : try startLogged(Self.bin + "/postgres", arguments, log: log)
        server = p
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if (try? Self.run(Self.bin + "/pg_isready", ["-q", "-h", "127.0.0.1", "-p", "\(port)"])) != nil { return }
            guard p.isRunning else { break }
            usleep(100_000)
        }
        throw Failure("PostgreSQL did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    /// Stops the server at once (SIGQUIT: running statements are cut off, as in a crash).
    func stop() {
        guard let p = server, p.isRunning else { return }
        kill(p.processIdentifier, SIGQUIT)
        p.waitUntilExit()
        server = nil
    }

    deinit { stop() }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String], asPostgres: Bool = false) throws -> String {
        let p = Process()
        if asPostgres && getuid() == 0 {
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            p.arguments = ["-u", "postgres", "--", tool] + arguments
        } else {
            p.executableURL = URL(fileURLWithPath: tool)
            p.arguments = arguments
        }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw Failure("\(tool) \(arguments.joined(separator: " ")): \(text)") }
        return text
    }
}
