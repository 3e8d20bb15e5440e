import Foundation
import Glibc
import HTTPServer
import Logging

/// Logger that drops everything, so test output stays readable.
let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

extension ServerConfiguration {
    /// Loopback, ephemeral port, short deadlines so failures never hang the suite.
    static var test: ServerConfiguration {
        var c = ServerConfiguration()
        c.host = "127.0.0.1"
        c.port = 0
        c.shutdownDeadline = .seconds(2)
        c.lingerTimeout = .milliseconds(500)
        return c
    }
}

/// The routes the integration tests talk to.
func testRouter() -> Router {
    var router = Router()
    router.get("/hello") { _ in .text("hello") }
    router.post("/echo", bodyLimit: 8 << 20) { request in
        .bytes(request.body, contentType: request.headers["Content-Type"] ?? "application/octet-stream")
    }
    router.post("/small", bodyLimit: 1024) { request in .text("got \(request.body.count)") }
    router.get("/jobs/{id}") { request in .text("job=\(request.parameter("id") ?? "")") }
    router.get("/info") { request in
        // One "key=value" per line: what the server saw of the request.
        var lines = [
            "version=\(request.version)", "remote=\(request.remoteAddress)", "request_id=\(request.requestID)",
            "path=\(request.path)", "connection=\(request.headers["Connection"] ?? "")",
        ]
        for (name, value) in request.query.pairs { lines.append("q.\(name)=\(value)") }
        return .text(lines.joined(separator: "\n") + "\n")
    }
    router.get("/slow") { _ in
        try await Task.sleep(for: .milliseconds(300))
        return .text("done")
    }
    router.get("/events") { request in
        let count = request.query["count"].flatMap { Int($0) } ?? 3
        return .eventStream { stream in
            var i = 0
            while count == 0 || i < count {
                i += 1
                try await stream.send(event: "tick", data: "n=\(i)", id: "\(i)")
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }
    router.post("/upload", bodyLimit: 8 << 20) { request in
        let parts = try request.multipartParts()
        return .text(parts.map { "\($0.name):\($0.filename ?? "-"):\($0.body.count)" }.joined(separator: "\n"))
    }
    router.get("/fail") { _ in throw CancellationError() }
    router.get("/teapot") { _ in throw HTTPError(HTTPStatus(code: 418, reason: "I'm a teapot"), code: "teapot", message: "short and stout") }
    return router
}

/// Starts a server on a free loopback port, runs `body`, and always shuts the server down.
func withServer(_ configuration: ServerConfiguration = .test, router: Router = testRouter(),
                _ body: (HTTPServer, Int) async throws -> Void) async throws {
    let server = HTTPServer(configuration: configuration, router: router, logger: quietLogger)
    try server.start()
    do {
        try await body(server, server.port!)
    } catch {
        await server.shutdown()
        throw error
    }
    await server.shutdown()
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A parsed HTTP response as a client sees it.
struct ClientResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

/// A blocking loopback TCP client for sending exact bytes.
/// Unchecked: sends and reads may happen on different tasks (send touches no Swift state).
final class RawClient: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, host: String = "127.0.0.1", timeout: Double = 5) throws {
        let v6 = host.contains(":")
        fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let rc: Int32
        if v6 {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = UInt16(port).bigEndian
            inet_pton(AF_INET6, host, &addr.sin6_addr)
            rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, host, &addr.sin_addr)
            rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard rc == 0 else {
            close(fd)
            throw TestFailure("connect to \(host):\(port) failed: errno \(errno)")
        }
    }

    deinit { close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestFailure("send failed: errno \(errno)") }
            offset += n
        }
    }

    /// Reads more bytes; false on EOF, reset or timeout.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    private func readLine() -> String? {
        while true {
            if let i = buffer.firstIndex(of: 10) {
                let line = buffer[..<i]
                buffer.removeFirst(i + 1)
                return String(decoding: line.last == 13 ? line.dropLast() : line, as: UTF8.self)
            }
            guard fill() else { return nil }
        }
    }

    private func readExactly(_ n: Int) -> [UInt8]? {
        while buffer.count < n { guard fill() else { return nil } }
        let out = Array(buffer[..<n])
        buffer.removeFirst(n)
        return out
    }

    /// Reads one response; `head` skips the body as for a HEAD request. Interim 1xx responses are returned too.
    func readResponse(head: Bool = false) -> ClientResponse? {
        guard let statusLine = readLine() else { return nil }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        var headers: [(String, String)] = []
        while let line = readLine(), !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = ClientResponse(status: status, headers: headers, body: [])
        if head || status < 200 || status == 204 || status == 304 { return response }
        if response.header("Transfer-Encoding")?.lowercased() == "chunked" {
            while let sizeLine = readLine(), let size = Int(sizeLine.split(separator: ";")[0], radix: 16) {
                if size == 0 {
                    while let l = readLine(), !l.isEmpty {}
                    return response
                }
                guard let data = readExactly(size), readLine() != nil else { return nil }
                response.body += data
            }
            return nil
        } else if let length = response.header("Content-Length").flatMap({ Int($0) }) {
            guard let data = readExactly(length) else { return nil }
            response.body = data
        } else {
            while fill() {}
            response.body = buffer
            buffer = []
        }
        return response
    }

    /// True if the server closes the connection (EOF or reset) before the receive timeout.
    func waitForClose() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }
}

/// Finds a tool on PATH or in the sbin directories (nginx lives in /usr/sbin).
func findTool(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let dirs = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin"]
    return dirs.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a process to completion (killing it after `timeout` seconds).
func runProcess(_ path: String, _ arguments: [String], stdin: Data? = nil, timeout: Double = 30) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try? input.fileHandleForWriting.close()
    let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
    // Read before waiting so a full pipe cannot block the child.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    killer.cancel()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// A free loopback port (bound and released; good enough for a test's own child process).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
        }
    }
    guard ok else { throw TestFailure("no free port") }
    return Int(UInt16(bigEndian: addr.sin_port))
}

func temporaryDirectory(_ prefix: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Deterministic pseudo-random bytes (SplitMix64), so uploads are reproducible.
func testBytes(_ count: Int, seed: UInt64 = 42) -> [UInt8] {
    var state = seed
    var out = [UInt8]()
    out.reserveCapacity(count + 8)
    while out.count < count {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        withUnsafeBytes(of: z) { out.append(contentsOf: $0) }
    }
    return Array(out[0..<count])
}

/// Runs blocking client code on a Dispatch thread, leaving Swift's small cooperative pool
/// free for the awaiting side of a test (e.g. `server.shutdown()`).
func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: work()) }
    }
}
