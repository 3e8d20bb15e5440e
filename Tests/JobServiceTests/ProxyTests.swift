import DIPEngine
import Foundation
import Glibc
import ImageCodec
import Testing

/// dipd behind nginx from Debian, configured as the README's snippet: a 5 MB upload,
/// submit-poll-fetch, absolute links from the configured public URL, and the event
/// stream passed through unbuffered.
@Suite("dipd behind nginx", .serialized)
struct ProxyTests {
    final class Nginx: @unchecked Sendable {
        let directory: URL
        let port: Int
        private let process = Process()

        init(upstream: Int, fixedPort: Int?) throws {
            directory = try temporaryDirectory("dipd-nginx")
            port = try fixedPort ?? freePort()
            for sub in ["logs", "tmp"] {
                try FileManager.default.createDirectory(at: directory.appendingPathComponent(sub), withIntermediateDirectories: true)
            }
            chmod(directory.appendingPathComponent("tmp").path, 0o777)
            let d = directory.path
            // The location blocks are the README's; the rest points nginx's files into the test's folder.
            let config = """
            daemon off;
            worker_processes 1;
            pid \(d)/nginx.pid;
            error_log \(d)/logs/error.log warn;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path \(d)/tmp/body;
                proxy_temp_path \(d)/tmp/proxy;
                fastcgi_temp_path \(d)/tmp/fastcgi;
                uwsgi_temp_path \(d)/tmp/uwsgi;
                scgi_temp_path \(d)/tmp/scgi;
                upstream dipd { server 127.0.0.1:\(upstream); keepalive 16; }
                server {
                    listen 127.0.0.1:\(port);
                    client_max_body_size 32m;
                    location / {
                        proxy_pass http://dipd;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_set_header Host $host;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                        proxy_set_header X-Forwarded-Proto $scheme;
                        proxy_read_timeout 75s;
                    }
                    location ~ ^/v1/jobs/[a-z2-7]+/events$ {
                        proxy_pass http://dipd;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_buffering off;
                        proxy_read_timeout 1h;
                    }
                }
            }
            """
            try config.write(to: directory.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
            guard let nginx = findTool("nginx") else { throw TestFailure("nginx is not installed (scripts/setup installs it)") }
            process.executableURL = URL(fileURLWithPath: nginx)
            process.arguments = ["-p", d, "-c", "\(d)/nginx.conf", "-e", "\(d)/logs/error.log"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<500 {
                if (try? curl(["http://127.0.0.1:\(port)/healthz"]))?.status == 200 { return }
                usleep(20_000)
            }
            stop()
            throw TestFailure("nginx did not start: \((try? String(contentsOfFile: "\(d)/logs/error.log", encoding: .utf8)) ?? "")")
        }

        var base: String { "http://127.0.0.1:\(port)" }

        func stop() {
            if process.isRunning { process.terminate(); process.waitUntilExit() }
            try? FileManager.default.removeItem(at: directory)
        }
    }

    @Test func fiveMegabyteUploadPollAndFetchThroughNginx() throws {
        let nginxPort = try freePort()
        let dipd = try Dipd(environment: ["DIPD_PUBLIC_BASE_URL": "http://127.0.0.1:\(nginxPort)", "DIPD_LIMITS_MAX_IMAGE_PIXELS": "2000000"])
        let nginx = try Nginx(upstream: dipd.port, fixedPort: nginxPort)
        defer { nginx.stop() }

        // Random pixels do not compress: 1300 × 1300 × 3 bytes make a PNG of just over 5 MB.
        let side = 1300
        var rng = SystemRandomNumberGenerator()
        let samples = (0..<(side * side * 3)).map { _ in Float(UInt8.random(in: 0...255, using: &rng)) / 255 }
        let png = try ImageCodec.encodePNG(Image(width: side, height: side, channels: 3, samples: samples))
        #expect(png.count > 5_000_000)
        let file = try temporaryDirectory("dipd-upload").appendingPathComponent("big.png")
        try Data(png).write(to: file)

        let network = #"{"channels_down":[4,4],"channels_up":[4,4],"channels_skip":[2,2]}"#
        let r = try curl(["-F", "image=@\(file.path);type=image/png", "-F", "iterations=2", "-F", "network=\(network)",
                          "\(nginx.base)/v1/jobs"])
        #expect(r.status == 202, "\(r.json)")
        let id = try #require(r.json["id"] as? String)
        // Links come from the configured public URL, not from the Host nginx sends upstream.
        #expect(r.header("Location") == "http://127.0.0.1:\(nginxPort)/v1/jobs/\(id)")
        let done = try pollThrough(nginx.base, id) { state($0) == "succeeded" }
        #expect((done["links"] as? [String: Any])?["result"] as? String == "http://127.0.0.1:\(nginxPort)/v1/jobs/\(id)/result.png")
        let result = try curl(["\(nginx.base)/v1/jobs/\(id)/result.png"])
        #expect(result.status == 200)
        let image = try ImageCodec.decode(Array(result.body))
        #expect(image.width == side && image.height == side)
        #expect(dipd.stop() == 0)
    }

    @Test func eventsStreamThroughNginxAsTheyHappen() throws {
        let dipd = try Dipd()
        let nginx = try Nginx(upstream: dipd.port, fixedPort: nil)
        defer { nginx.stop() }
        let (path, clean, noisy) = try EndToEndTests.images()

        // A short job, submitted, followed to the end and fetched through the proxy: 300 iterations at
        // most, and auto stop ends it no sooner than iteration 100 (its first pick at 50, patience 50),
        // so the snapshots every 25 come before the end.
        let r = try curl(["-F", "image=@\(path)", "-F", "iterations=300", "-F", "snapshot_every=25",
                          "-F", "network=\(EndToEndTests.smallNetwork)", "\(nginx.base)/v1/jobs"])
        let id = try #require(r.json["id"] as? String)
        let stream = try curl(["-N", "\(nginx.base)/v1/jobs/\(id)/events"], timeout: 120)
        let text = String(decoding: stream.body, as: UTF8.self)
        for event in ["event: status", "event: progress", "event: snapshot", "event: done"] {
            #expect(text.contains(event), "\(event)")
        }
        let restored = try TestImages.decode(try curl(["\(nginx.base)/v1/jobs/\(id)/result.png"]).body)
        #expect(PSNR.compute(clean, restored) > PSNR.compute(clean, noisy))

        // A long job: within 3 s the stream has delivered events, so nginx is not holding them back.
        let long = try curl(["-F", "image=@\(path)", "-F", "iterations=20000", "-F", "auto_stop=false", "-F", "network=\(EndToEndTests.smallNetwork)",
                             "\(nginx.base)/v1/jobs"])
        let longID = try #require(long.json["id"] as? String)
        _ = try pollThrough(nginx.base, longID) { state($0) == "running" }
        let partial = try curl(["-N", "\(nginx.base)/v1/jobs/\(longID)/events"], timeout: 3)
        let partialText = String(decoding: partial.body, as: UTF8.self)
        #expect(partialText.contains("event: status") && partialText.contains("event: progress"))
        // Resuming with Last-Event-ID sends only later events.
        let ids = partialText.split(separator: "\n").compactMap { $0.hasPrefix("id: ") ? Int($0.dropFirst(4)) : nil }
        let last = try #require(ids.last)
        let resumed = try curl(["-N", "-H", "Last-Event-ID: \(last)", "\(nginx.base)/v1/jobs/\(longID)/events"], timeout: 2)
        let resumedIDs = String(decoding: resumed.body, as: UTF8.self).split(separator: "\n").compactMap { $0.hasPrefix("id: ") ? Int($0.dropFirst(4)) : nil }
        #expect(!resumedIDs.isEmpty && resumedIDs.allSatisfy { $0 > last })
        #expect(try curl(["-X", "DELETE", "\(nginx.base)/v1/jobs/\(longID)"]).status == 204)
        #expect(dipd.stop() == 0)
    }

    func pollThrough(_ base: String, _ id: String, until done: ([String: Any]) -> Bool) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(240)
        while Date() < deadline {
            let r = try curl(["\(base)/v1/jobs/\(id)"])
            if r.status == 200, done(r.json) { return r.json }
            usleep(100_000)
        }
        throw TestFailure("job \(id) did not finish")
    }
}

func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    guard ok else { throw TestFailure("no free port") }
    return Int(UInt16(bigEndian: addr.sin_port))
}
