import Foundation
import HTTPServer
import Testing

private let curl = findTool("curl")
private let python = findTool("python3")

@Suite("curl against the server", .enabled(if: curl != nil, "curl not installed"))
struct CurlTests {
    static let upload = testBytes(5_000_000)

    static func uploadFile() throws -> URL {
        let url = try temporaryDirectory("curl").appendingPathComponent("upload.bin")
        try Data(upload).write(to: url)
        return url
    }

    @Test("5 MB upload", arguments: [true, false])
    func upload(expectContinue: Bool) async throws {
        let file = try Self.uploadFile()
        let out = file.deletingLastPathComponent().appendingPathComponent("out.bin")
        try await withServer { _, port in
            var args = ["-sS", "-v", "--data-binary", "@\(file.path)", "-H", "Content-Type: application/octet-stream",
                        "-o", out.path, "-w", "%{http_code}", "http://127.0.0.1:\(port)/echo"]
            if !expectContinue { args += ["-H", "Expect:"] }
            let r = try runProcess(curl!, args)
            #expect(r.status == 0 && r.stdout == "200", "\(r.stderr)")
            #expect(r.stderr.contains("Expect: 100-continue") == expectContinue)
            #expect(r.stderr.contains("HTTP/1.1 100 Continue") == expectContinue)
            #expect(try Data(contentsOf: out) == Data(Self.upload))
        }
    }

    @Test func chunkedUpload() async throws {
        let file = try Self.uploadFile()
        let out = file.deletingLastPathComponent().appendingPathComponent("out.bin")
        try await withServer { _, port in
            let r = try runProcess(curl!, ["-sS", "-v", "-H", "Transfer-Encoding: chunked", "--data-binary", "@\(file.path)",
                                           "-o", out.path, "-w", "%{http_code}", "http://127.0.0.1:\(port)/echo"])
            #expect(r.status == 0 && r.stdout == "200", "\(r.stderr)")
            #expect(r.stderr.contains("Transfer-Encoding: chunked"))
            #expect(try Data(contentsOf: out) == Data(Self.upload))
        }
    }

    @Test func oversizedUploadWithoutExpectStillSees413() async throws {
        // No Expect: curl sends the whole body; lingering close lets it read the 413.
        let file = try Self.uploadFile()
        try await withServer { _, port in
            let r = try runProcess(curl!, ["-sS", "-H", "Expect:", "--data-binary", "@\(file.path)", "-o", "/dev/null",
                                           "-w", "%{http_code}", "http://127.0.0.1:\(port)/small"])
            #expect(r.stdout == "413", "\(r.stderr)")
        }
    }

    @Test func keepAliveReuse() async throws {
        try await withServer { _, port in
            let url = "http://127.0.0.1:\(port)"
            let r = try runProcess(curl!, ["-sS", "-v", "\(url)/hello", "\(url)/jobs/7", "\(url)/info"])
            #expect(r.status == 0)
            #expect(r.stdout.hasPrefix("hellojob=7version=HTTP/1.1"))
            #expect(r.stderr.contains("Re-using existing connection"))
            // Three answers on one connection: one remote port seen.
            #expect(r.stderr.components(separatedBy: "Connected to").count == 2)
        }
    }

    @Test func multipartUpload() async throws {
        let file = try Self.uploadFile()
        try await withServer { _, port in
            let r = try runProcess(curl!, ["-sS", "-F", "title=a cat", "-F", "image=@\(file.path);type=image/png",
                                           "http://127.0.0.1:\(port)/upload"])
            #expect(r.stdout == "title:-:5\nimage:upload.bin:5000000", "\(r.stderr)")
        }
    }

    @Test func serverSentEvents() async throws {
        try await withServer { _, port in
            let r = try runProcess(curl!, ["-sS", "-N", "http://127.0.0.1:\(port)/events?count=3"])
            #expect(r.stdout == (1...3).map { "id: \($0)\nevent: tick\ndata: n=\($0)\n\n" }.joined())
        }
    }
}

@Suite("Python http.client against the server", .enabled(if: python != nil, "python3 not installed"))
struct PythonClientTests {
    static let script = #"""
import http.client, json, sys
port = int(sys.argv[1])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)

c.request("GET", "/hello")
r = c.getresponse()
assert r.status == 200 and r.read() == b"hello", "hello"
sock = c.sock

payload = bytes(range(256)) * 4000
c.request("POST", "/echo", body=payload, headers={"Content-Type": "application/octet-stream"})
r = c.getresponse()
assert r.status == 200 and r.read() == payload, "echo"

def pieces():
    yield b"abc"
    yield b""
    yield b"def" * 1000
c.request("POST", "/echo", body=pieces(), encode_chunked=True)
r = c.getresponse()
assert r.read() == b"abc" + b"def" * 1000, "chunked"

c.request("HEAD", "/hello")
r = c.getresponse()
assert r.status == 200 and r.getheader("Content-Length") == "5" and r.read() == b"", "head"

c.request("GET", "/missing")
r = c.getresponse()
err = json.loads(r.read())
assert r.status == 404 and err["error"]["code"] == "not_found", "404"

c.request("GET", "/events?count=2")
r = c.getresponse()
assert r.getheader("Content-Type") == "text/event-stream"
assert r.read().decode().count("event: tick") == 2, "sse"

assert c.sock is sock, "connection was not reused"

h10 = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
h10._http_vsn, h10._http_vsn_str = 10, "HTTP/1.0"
h10.request("GET", "/info")
r = h10.getresponse()
assert "version=HTTP/1.0" in r.read().decode(), "http/1.0"
print("OK")
"""#

    @Test func pythonClient() async throws {
        try await withServer { _, port in
            let r = try runProcess(python!, ["-c", Self.script, String(port)])
            #expect(r.status == 0 && r.stdout == "OK\n", "\(r.stdout)\(r.stderr)")
        }
    }
}

private let openssl = findTool("openssl")

@Suite("TLS through OpenSSL", .enabled(if: curl != nil && openssl != nil && python != nil, "curl, openssl or python3 missing"))
struct TLSTests {
    /// A throwaway self-signed certificate for 127.0.0.1.
    static func makeCertificate() throws -> (cert: String, key: String) {
        let dir = try temporaryDirectory("tls")
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        let r = try runProcess(openssl!, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                          "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                                          "-addext", "subjectAltName=IP:127.0.0.1"])
        guard r.status == 0 else { throw TestFailure("openssl: \(r.stderr)") }
        return (cert, key)
    }

    @Test func curlOverTLS() async throws {
        let (cert, key) = try Self.makeCertificate()
        var config = ServerConfiguration.test
        config.tls = TLSConfiguration(certificatePath: cert, privateKeyPath: key)
        let upload = testBytes(5_000_000, seed: 3)
        let dir = URL(fileURLWithPath: cert).deletingLastPathComponent()
        let file = dir.appendingPathComponent("in.bin"), out = dir.appendingPathComponent("out.bin")
        try Data(upload).write(to: file)
        try await withServer(config) { _, port in
            let base = "https://127.0.0.1:\(port)"
            let r = try runProcess(curl!, ["-sS", "-v", "--cacert", cert, "\(base)/hello", "\(base)/jobs/9"])
            #expect(r.stdout == "hellojob=9", "\(r.stderr)")
            #expect(r.stderr.contains("Re-using existing connection"))
            let u = try runProcess(curl!, ["-sS", "--cacert", cert, "--data-binary", "@\(file.path)", "-o", out.path,
                                           "-w", "%{http_code}", "\(base)/echo"])
            #expect(u.stdout == "200", "\(u.stderr)")
            #expect(try Data(contentsOf: out) == Data(upload))
            let sse = try runProcess(curl!, ["-sS", "-N", "--cacert", cert, "\(base)/events?count=2"])
            #expect(sse.stdout.components(separatedBy: "event: tick").count == 3)
            // Plain HTTP to the TLS port is not answered as HTTP.
            let plain = try runProcess(curl!, ["-sS", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/hello"])
            #expect(plain.stdout != "200")
        }
    }

    @Test func pythonOverTLS() async throws {
        let (cert, key) = try Self.makeCertificate()
        var config = ServerConfiguration.test
        config.tls = TLSConfiguration(certificatePath: cert, privateKeyPath: key)
        let script = """
        import http.client, ssl, sys
        ctx = ssl.create_default_context(cafile=sys.argv[2])
        c = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), context=ctx, timeout=5)
        for i in range(3):
            c.request("POST", "/echo", body=b"x" * 300000)
            assert c.getresponse().read() == b"x" * 300000
        print("OK")
        """
        try await withServer(config) { _, port in
            let r = try runProcess(python!, ["-c", script, String(port), cert])
            #expect(r.stdout == "OK\n", "\(r.stderr)")
        }
    }

    @Test func badKeyFailsAtStart() throws {
        var config = ServerConfiguration.test
        config.tls = TLSConfiguration(certificatePath: "/nonexistent/cert.pem", privateKeyPath: "/nonexistent/key.pem")
        let server = HTTPServer(configuration: config, router: Router(), logger: quietLogger)
        #expect(throws: TLSError.self) { try server.start() }
    }
}
