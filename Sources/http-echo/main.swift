import Glibc
import HTTPServer
import Logging

// A small server over the HTTPServer module: the benchmark target and a manual test bed.
// Usage: http-echo [--host 127.0.0.1] [--port 8080] [--quiet] [--tls-cert cert.pem --tls-key key.pem]

var configuration = ServerConfiguration()
var quiet = false
var certificate: String?, key: String?
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--host": configuration.host = arguments.next() ?? configuration.host
    case "--port": configuration.port = arguments.next().flatMap { Int($0) } ?? configuration.port
    case "--quiet": quiet = true
    case "--tls-cert": certificate = arguments.next()
    case "--tls-key": key = arguments.next()
    default:
        print("usage: http-echo [--host ADDRESS] [--port PORT] [--quiet] [--tls-cert PEM --tls-key PEM]")
        exit(2)
    }
}
configuration.accessLog = !quiet
if let certificate, let key {
    configuration.tls = TLSConfiguration(certificatePath: certificate, privateKeyPath: key)
}

var router = Router()
router.get("/json") { _ in .json(raw: #"{"status":"ok","message":"hello from http-echo"}"#) }
router.post("/echo", bodyLimit: 64 << 20) { request in
    .bytes(request.body, contentType: request.headers["Content-Type"] ?? "application/octet-stream")
}
router.post("/upload", bodyLimit: 64 << 20) { request in
    let parts = try request.multipartParts()
    let items = parts.map { #"{"name":\#(JSONString.quoted($0.name)),"filename":\#($0.filename.map(JSONString.quoted) ?? "null"),"size":\#($0.body.count)}"# }
    return .json(raw: "[" + items.joined(separator: ",") + "]")
}
router.get("/events") { request in
    let count = request.query["count"].flatMap { Int($0) } ?? 5
    return .eventStream { stream in
        for i in 1...max(1, count) {
            try await stream.send(event: "tick", data: "\(i)", id: "\(i)")
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

let logLevel: Logger.Level = quiet ? .warning : .info
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = logLevel
    return handler
}
let server = HTTPServer(configuration: configuration, router: router)
do {
    try await server.run()
} catch {
    print("http-echo: \(error)")
    exit(1)
}
