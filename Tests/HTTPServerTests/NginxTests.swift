import Foundation
import Glibc
import HTTPServer
import Testing

private let nginx = findTool("nginx")
private let curlPath = findTool("curl")

/// nginx from Debian in front of the server, started with its own prefix directory and
/// configuration on loopback ports, in the foreground, and stopped by the test.
final class NginxProxy: @unchecked Sendable {
    let directory: URL
    let http10Port: Int
    let http11Port: Int
    private let process = Process()

    init(upstreamPort: Int) throws {
        directory = try temporaryDirectory("nginx")
        http10Port = try freePort()
        http11Port = try freePort()
        for sub in ["logs", "tmp"] {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        // Workers may run as an unprivileged user; they must be able to write temp files.
        chmod(directory.appendingPathComponent("tmp").path, 0o777)
        let d = directory.path
        let config = """
        daemon off;
        worker_processes 1;
        pid \(d)/nginx.pid;
        error_log \(d)/logs/error.log warn;
        events { worker_connections 128; }
        http {
            access_log off;
            client_body_temp_path \(d)/tmp/body;
            proxy_temp_path \(d)/tmp/proxy;
            fastcgi_temp_path \(d)/tmp/fastcgi;
            uwsgi_temp_path \(d)/tmp/uwsgi;
            scgi_temp_path \(d)/tmp/scgi;
            client_max_body_size 16m;
            upstream app { server 127.0.0.1:\(upstreamPort); keepalive 8; }
            # nginx's default: HTTP/1.0 to the upstream, Connection: close.
            server {
                listen 127.0.0.1:\(http10Port);
                location / { proxy_pass http://app; }
            }
            # HTTP/1.1 upstream with a pool of kept-alive connections.
            server {
                listen 127.0.0.1:\(http11Port);
                location / {
                    proxy_pass http://app;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_set_header X-Request-ID $request_id;
                }
            }
        }
        """
        try config.write(to: directory.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: nginx!)
        process.arguments = ["-p", d, "-c", "\(d)/nginx.conf", "-e", "\(d)/logs/error.log"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Ready when both ports accept.
        for _ in 0..<500 {
            if (try? RawClient(port: http10Port)) != nil, (try? RawClient(port: http11Port)) != nil { return }
            usleep(10_000)
        }
        stop()
        throw TestFailure("nginx did not start: \((try? String(contentsOfFile: "\(d)/logs/error.log", encoding: .utf8)) ?? "")")
    }

    func stop() {
        if process.isRunning {
            process.terminate()          // SIGTERM: fast shutdown
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite("nginx as reverse proxy", .enabled(if: nginx != nil && curlPath != nil, "nginx or curl not installed"))
struct NginxTests {
    func withProxy(_ body: (NginxProxy) throws -> Void) async throws {
        try await withServer { _, port in
            let proxy = try NginxProxy(upstreamPort: port)
            defer { proxy.stop() }
            try body(proxy)
        }
    }

    @Test("HTTP/1.0 upstream (nginx default)")
    func http10Upstream() async throws {
        try await withProxy { proxy in
            let base = "http://127.0.0.1:\(proxy.http10Port)"
            let info = try runProcess(curlPath!, ["-sS", "\(base)/info", "\(base)/info"])
            let lines = info.stdout.components(separatedBy: "\n")
            #expect(lines.filter { $0 == "version=HTTP/1.0" }.count == 2, "\(info.stdout)")
            #expect(lines.filter { $0 == "connection=close" }.count == 2)
            // A new upstream connection per request: two different remote ports.
            let remotes = Set(lines.filter { $0.hasPrefix("remote=") })
            #expect(remotes.count == 2)

            try checkUploadsAndErrors(base: base)
            // Streaming to an HTTP/1.0 upstream is close-delimited; nginx re-chunks it.
            let sse = try runProcess(curlPath!, ["-sS", "-N", "\(base)/events?count=2"])
            #expect(sse.stdout == "id: 1\nevent: tick\ndata: n=1\n\nid: 2\nevent: tick\ndata: n=2\n\n")
        }
    }

    @Test("HTTP/1.1 upstream with keepalive")
    func http11Upstream() async throws {
        try await withProxy { proxy in
            let base = "http://127.0.0.1:\(proxy.http11Port)"
            let urls = (0..<5).map { _ in "\(base)/info" }
            let info = try runProcess(curlPath!, ["-sS"] + urls)
            let lines = info.stdout.components(separatedBy: "\n")
            #expect(lines.filter { $0 == "version=HTTP/1.1" }.count == 5, "\(info.stdout)")
            // nginx reuses its upstream connection: all five came over one socket.
            let remotes = Set(lines.filter { $0.hasPrefix("remote=") })
            #expect(remotes.count == 1, "\(remotes)")
            // nginx's $request_id reaches the handler and comes back.
            let ids = try runProcess(curlPath!, ["-sS", "-D", "-", "\(base)/info"])
            let header = ids.stdout.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("x-request-id:") }
            let id = header.map { String($0.split(separator: " ").last ?? "") } ?? "?"
            #expect(ids.stdout.contains("request_id=\(id)") && id.count == 32)

            try checkUploadsAndErrors(base: base)
            let sse = try runProcess(curlPath!, ["-sS", "-N", "\(base)/events?count=2"])
            #expect(sse.stdout == "id: 1\nevent: tick\ndata: n=1\n\nid: 2\nevent: tick\ndata: n=2\n\n")
        }
    }

    /// Behind either proxy: 5 MB uploads (nginx buffers and sends Content-Length), chunked
    /// client uploads, JSON errors and 413 from the route limit pass through unchanged.
    func checkUploadsAndErrors(base: String) throws {
        let dir = try temporaryDirectory("nginx-upload")
        defer { try? FileManager.default.removeItem(at: dir) }
        let upload = testBytes(5_000_000, seed: 7)
        let file = dir.appendingPathComponent("in.bin"), out = dir.appendingPathComponent("out.bin")
        try Data(upload).write(to: file)
        for extra in [[], ["-H", "Transfer-Encoding: chunked"]] {
            let r = try runProcess(curlPath!, ["-sS", "--data-binary", "@\(file.path)", "-o", out.path, "-w", "%{http_code}"]
                                   + extra + ["\(base)/echo"])
            #expect(r.stdout == "200", "\(r.stderr)")
            #expect(try Data(contentsOf: out) == Data(upload))
        }
        let tooBig = try runProcess(curlPath!, ["-sS", "--data-binary", "@\(file.path)", "-w", "\n%{http_code}", "\(base)/small"])
        #expect(tooBig.stdout.hasSuffix("\n413") && tooBig.stdout.contains("body_too_large"), "\(tooBig.stdout)")
        let missing = try runProcess(curlPath!, ["-sS", "-w", "\n%{http_code}", "\(base)/nope"])
        #expect(missing.stdout == "{\"error\":{\"code\":\"not_found\",\"message\":\"no route for this path\"}}\n404")
    }
}
