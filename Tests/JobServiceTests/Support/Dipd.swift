import TestData
import DIPEngine
import Foundation
import Glibc
import ImageCodec
import ImageTensors

/// The real `dipd` binary on a loopback port with its own data directory, started and
/// stopped (or killed) by a test.
final class Dipd: @unchecked Sendable {
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dipd").path
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    let dataDirectory: URL
    let environment: [String: String]
    let arguments: [String]
    private(set) var port = 0
    private var process: Process?
    let log: URL

    init(dataDirectory: URL? = nil, environment: [String: String] = [:], arguments: [String] = []) throws {
        self.dataDirectory = try dataDirectory ?? temporaryDirectory("dipd-data")
        self.environment = environment
        self.arguments = arguments
        log = try temporaryDirectory("dipd-log").appendingPathComponent("dipd.log")
        try start()
    }

    var base: String { "http://127.0.0.1:\(port)" }

    func start() throws {
        let portFile = dataDirectory.deletingLastPathComponent().appendingPathComponent("port-\(UUID().uuidString)")
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("DIPD_") }
        for (k, v) in environment { env[k] = v }
        let p = try startLogged(Self.binary, ["--host", "127.0.0.1", "--port", "0", "--data-dir", dataDirectory.path,
                                              "--print-port-file", portFile.path] + arguments,
                                environment: env, log: log)
        process = p
        for _ in 0..<1000 {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let n = Int(text), n > 0 {
                port = n
                try? FileManager.default.removeItem(at: portFile)
                return
            }
            if !p.isRunning { break }
            usleep(10_000)
        }
        throw TestFailure("dipd did not start: \(logText)")
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// SIGKILL: nothing is flushed, nothing is cleaned up.
    func kill9() {
        guard let p = process, p.isRunning else { return }
        Glibc.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    /// SIGTERM and wait: the graceful path.
    func stop() -> Int32 {
        guard let p = process else { return 0 }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        return p.terminationStatus
    }

    deinit { if let p = process, p.isRunning { Glibc.kill(p.processIdentifier, SIGKILL) } }
}

/// Starts a child process with its output and errors appended to `log`.
func startLogged(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, log: URL) throws -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    if let environment { p.environment = environment }
    if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
    let handle = try FileHandle(forWritingTo: log)
    handle.seekToEndOfFile()
    p.standardOutput = handle
    p.standardError = handle
    try p.run()
    return p
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

func temporaryDirectory(_ prefix: String) throws -> URL {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    return d
}

func findTool(_ name: String) -> String? {
    ["/usr/bin/", "/usr/sbin/", "/usr/local/bin/", "/bin/", "/sbin/"].map { $0 + name }.first { access($0, X_OK) == 0 }
}

/// curl's view of a response.
struct CurlResult {
    var status: Int
    var headers: [String: String]
    var body: Data
    var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    var errorMessage: String { ((json["error"] as? [String: Any])?["message"] as? String) ?? "" }
    func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Runs curl as a user would, returning status, headers and body.
func curl(_ arguments: [String], timeout: Double = 60) throws -> CurlResult {
    let dir = try temporaryDirectory("curl")
    defer { try? FileManager.default.removeItem(at: dir) }
    let headerFile = dir.appendingPathComponent("h"), bodyFile = dir.appendingPathComponent("b")
    let p = Process()
    p.executableURL = URL(fileURLWithPath: findTool("curl") ?? "/usr/bin/curl")
    p.arguments = ["-sS", "-D", headerFile.path, "-o", bodyFile.path, "-w", "%{http_code}", "--max-time", String(Int(timeout))] + arguments
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let code = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    var headers: [String: String] = [:]
    let headText = (try? String(contentsOf: headerFile, encoding: .utf8)) ?? ""
    // The last response's headers (after any 100 Continue).
    for block in headText.components(separatedBy: "\r\n\r\n") where !block.isEmpty { headers = [:]
        for line in block.components(separatedBy: "\r\n").dropFirst() {
            if let colon = line.firstIndex(of: ":") {
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
    }
    return CurlResult(status: Int(String(decoding: code, as: UTF8.self)) ?? 0, headers: headers,
                      body: (try? Data(contentsOf: bodyFile)) ?? Data())
}

/// Test images: a crop of the F16 demo image, clean and with σ = 25 noise.
enum TestImages {
    static let f16 = TestData.demo("denoising/F16_GT.png")

    static func clean(size: Int = 64) throws -> Tensor {
        let image = try ImageCodec.decode(Array(Data(contentsOf: f16)))
        let t = ImageTensor(image).tensor
        return t.cropped(x: (t.width - size) / 2, y: (t.height - size) / 2, width: size, height: size)
    }

    static func write(_ t: Tensor, to url: URL) throws {
        try Data(ImageTensor.encodePNG(t)).write(to: url)
    }

    static func noisy(_ clean: Tensor, seed: UInt64 = 1) -> Tensor {
        Degradation.addGaussianNoise(clean, sigma: 25.0 / 255, seed: seed)
    }

    static func decode(_ data: Data) throws -> Tensor {
        ImageTensor(try ImageCodec.decode(Array(data))).tensor
    }
}

/// Polls a job until `done` says so, or fails after `timeout` seconds.
func poll(_ dipd: Dipd, _ id: String, timeout: Double = 240, until done: ([String: Any]) -> Bool) throws -> [String: Any] {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        let r = try curl(["\(dipd.base)/v1/jobs/\(id)"])
        if r.status == 200, done(r.json) { return r.json }
        usleep(100_000)
    }
    throw TestFailure("job \(id) did not get there in \(timeout) s: \(try curl(["\(dipd.base)/v1/jobs/\(id)"]).json)")
}

func state(_ job: [String: Any]) -> String { job["state"] as? String ?? "" }
func iteration(_ job: [String: Any]) -> Int { (job["progress"] as? [String: Any])?["iteration"] as? Int ?? 0 }

enum ImageTensorsPNG {
    /// A smooth colour gradient as PNG bytes.
    static func gradient(width: Int, height: Int) throws -> [UInt8] {
        var s = [Float]()
        for y in 0..<height { for x in 0..<width { for c in 0..<3 { s.append(Float((x + y * (c + 1)) % 64) / 64) } } }
        return try ImageCodec.encodePNG(Image(width: width, height: height, channels: 3, samples: s))
    }
}

/// How a dipd run that must end by itself ended.
struct DipdExit { var status: Int32; var stderr: String }

/// Runs dipd with these arguments and `DIPD_*` variables (none inherited) until it exits,
/// which it must within 20 s.
func runDipdToExit(_ arguments: [String], environment: [String: String] = [:]) throws -> DipdExit {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: Dipd.binary)
    p.arguments = arguments
    p.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("DIPD_") }.merging(environment) { $1 }
    let err = Pipe()
    p.standardError = err
    p.standardOutput = FileHandle.nullDevice
    try p.run()
    for _ in 0..<2000 where p.isRunning { usleep(10_000) }
    if p.isRunning { p.terminate(); p.waitUntilExit(); throw TestFailure("dipd kept running: \(arguments)") }
    p.waitUntilExit()
    return DipdExit(status: p.terminationStatus,
                    stderr: String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
}
