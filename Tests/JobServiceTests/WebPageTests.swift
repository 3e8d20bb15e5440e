import Foundation
import Glibc
import ImageCodec
@testable import JobService
import Testing

/// The web page dipd serves at `/`: its headers, the embedded copy of `web/`, the input
/// route it shows beside the result, and the page itself driven in headless Chromium
/// (Tests/WebPage/browser_test.py).
@Suite("WebPage", .serialized)
struct WebPageTests {
    static let web = Dipd.repository.appendingPathComponent("web")

    @Test func embeddedFilesAreTheWebFolder() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.web.path).sorted()
        #expect(WebAssets.files.keys.sorted() == names)
        for name in names {
            #expect(WebAssets.files[name] == (try String(contentsOf: Self.web.appendingPathComponent(name), encoding: .utf8)), "\(name)")
        }
    }

    @Test func pageAndAssetsCarryTheirTypeAndSecurityHeaders() throws {
        let dipd = try Dipd(environment: ["DIPD_API_KEY": "page-key"])
        for (path, type) in [("/", "text/html; charset=utf-8"), ("/ui/app.js", "text/javascript; charset=utf-8"),
                             ("/ui/style.css", "text/css; charset=utf-8")] {
            let r = try curl(["\(dipd.base)\(path)"])
            #expect(r.status == 200, "\(path)")
            #expect(r.header("Content-Type") == type, "\(path)")
            #expect(r.header("X-Content-Type-Options") == "nosniff", "\(path)")
            let csp = r.header("Content-Security-Policy") ?? ""
            for directive in ["default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
                              "object-src 'none'", "frame-ancestors 'none'"] {
                #expect(csp.contains(directive), "\(path): \(csp)")
            }
            #expect(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"))
        }
        // The page is public, the API behind it keeps its key; unknown assets are 404.
        #expect(try curl(["\(dipd.base)/ui/missing.js"]).status == 404)
        #expect(try curl(["\(dipd.base)/v1/jobs"]).status == 401)
        // No inline script or style that the policy would block.
        let html = String(decoding: try curl(["\(dipd.base)/"]).body, as: UTF8.self)
        #expect(!html.contains("<script>") && !html.contains("style="))
        #expect(html.range(of: #"\son[a-z]+="#, options: .regularExpression) == nil, "no inline event handlers")
        #expect(dipd.stop() == 0)
    }

    @Test func inputRouteGivesBackTheUploadBehindTheKey() throws {
        let dipd = try Dipd(environment: ["DIPD_API_KEY": "page-key"])
        let dir = try temporaryDirectory("web-input")
        let path = dir.appendingPathComponent("in.png")
        let bytes = try ImageTensorsPNG.gradient(width: 32, height: 32)
        try Data(bytes).write(to: path)
        let auth = ["-H", "Authorization: Bearer page-key"]
        let r = try curl(auth + ["-F", "image=@\(path.path);type=image/png", "-F", "iterations=1", "\(dipd.base)/v1/jobs"])
        let id = try #require(r.json["id"] as? String, "\(r.json)")
        let input = try curl(auth + ["\(dipd.base)/v1/jobs/\(id)/input"])
        #expect(input.status == 200 && input.header("Content-Type") == "image/png")
        #expect(Array(input.body) == bytes)
        #expect(try curl(["\(dipd.base)/v1/jobs/\(id)/input"]).status == 401)
        #expect(try curl(auth + ["\(dipd.base)/v1/jobs/aaaaaaaaaaaaaaaaaaaaaaaaaa/input"]).status == 404)
        #expect(dipd.stop() == 0)
    }

    /// The page in a real browser against a real dipd (and a second one with an API key),
    /// then again through nginx under a path prefix, where only relative links work.
    @Test func aBrowserSubmitsFollowsAndComparesJobs() throws {
        // 64-pixel tiles: the test's 100×100 image is a tiled job of 2 × 2 tiles, its 32×32 ones are not.
        let dipd = try Dipd(environment: ["DIPD_TILE_SIZE": "64", "DIPD_TILE_OVERLAP": "16"])
        let keyed = try Dipd(environment: ["DIPD_API_KEY": "browser-key"])
        let proxy = try PrefixProxy(upstream: dipd.port)
        defer { proxy.stop() }
        for base in [dipd.base + "/", proxy.base + "/dip/"] {
            let extra = base.hasPrefix(dipd.base) ? ["--keyed-base", keyed.base + "/", "--key", "browser-key"] : []
            let (status, output) = try run(["/usr/bin/env", "python3", Self.script, "--base", base] + extra, timeout: 120)
            print("browser test at \(base):\n\(output)")
            #expect(status == 0, "\(base)\n\(output)\n\(dipd.logText.suffix(2000))")
            // The painted mask reached the service: the stored mask has holes and known pixels.
            let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("inpaint job ") })
            let id = String(line.dropFirst("inpaint job ".count))
            let mask = try ImageCodec.decode(Array(Data(contentsOf: dipd.dataDirectory.appendingPathComponent("jobs/\(id)/mask.png"))))
            #expect(mask.width == 32 && mask.height == 32)
            let gray = stride(from: 0, to: mask.samples.count, by: mask.channels).map { mask.samples[$0] }
            #expect(gray.contains { $0 < 0.1 } && gray.contains { $0 > 0.9 }, "the mask has holes and known pixels")
        }
        #expect(dipd.stop() == 0 && keyed.stop() == 0)
    }

    static let script = Dipd.repository.appendingPathComponent("Tests/WebPage/browser_test.py").path

    /// nginx passing `/dip/` to dipd's `/`, with the README's settings for the event stream.
    final class PrefixProxy {
        let directory: URL, port: Int
        private let process = Process()
        var base: String { "http://127.0.0.1:\(port)" }

        init(upstream: Int) throws {
            directory = try temporaryDirectory("dipd-prefix")
            port = try freePort()
            let d = directory.path
            try FileManager.default.createDirectory(atPath: d + "/tmp", withIntermediateDirectories: true)
            chmod(d + "/tmp", 0o777)
            let config = """
            daemon off; worker_processes 1; pid \(d)/nginx.pid; error_log \(d)/error.log warn;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path \(d)/tmp/body; proxy_temp_path \(d)/tmp/proxy; fastcgi_temp_path \(d)/tmp/fastcgi;
                uwsgi_temp_path \(d)/tmp/uwsgi; scgi_temp_path \(d)/tmp/scgi;
                server {
                    listen 127.0.0.1:\(port);
                    client_max_body_size 32m;
                    location /dip/ {
                        proxy_pass http://127.0.0.1:\(upstream)/;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_buffering off;
                        proxy_read_timeout 1h;
                    }
                }
            }
            """
            try config.write(toFile: d + "/nginx.conf", atomically: true, encoding: .utf8)
            guard let nginx = findTool("nginx") else { throw TestFailure("nginx is not installed (scripts/setup installs it)") }
            process.executableURL = URL(fileURLWithPath: nginx)
            process.arguments = ["-p", d, "-c", d + "/nginx.conf", "-e", d + "/error.log"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<500 {
                if (try? curl([base + "/dip/healthz"]))?.status == 200 { return }
                usleep(20_000)
            }
            stop()
            throw TestFailure("nginx did not start")
        }

        func stop() {
            if process.isRunning { process.terminate(); process.waitUntilExit() }
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Runs a program to its end (or kills it after `timeout` seconds): status and output.
    func run(_ arguments: [String], timeout: Double) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: arguments[0])
        p.arguments = Array(arguments.dropFirst())
        let out = try temporaryDirectory("browser-test").appendingPathComponent("out")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let handle = try FileHandle(forWritingTo: out)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(50_000) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        return (p.terminationStatus, (try? String(contentsOf: out, encoding: .utf8)) ?? "")
    }
}
