import Foundation
import HTTPServer
import Logging
import Synchronization

/// A webhook receiver on 127.0.0.1 (the project's own HTTP server): it keeps every request
/// it gets and answers each with the status `answer` gives for it (by its number, from 1).
final class WebhookReceiver: Sendable {
    struct Received: Sendable {
        var headers: HTTPHeaders
        var body: [UInt8]
        var status: Int
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
        var type: String { json["type"] as? String ?? "" }
        var jobID: String { (json["data"] as? [String: Any])?["id"] as? String ?? "" }
    }

    /// What the routes and the test share.
    private final class Log: Sendable {
        let received = Mutex<[Received]>([])
        let answer: Mutex<@Sendable (Int) -> HTTPStatus>
        init(_ answer: @escaping @Sendable (Int) -> HTTPStatus) { self.answer = Mutex(answer) }
    }

    private let log: Log
    private let server: HTTPServer

    init(answer: @escaping @Sendable (Int) -> HTTPStatus = { _ in .noContent }) throws {
        let log = Log(answer)
        var router = Router()
        router.post("/hook") { request in
            let n = log.received.withLock { $0.count + 1 }
            let status = log.answer.withLock { $0 }(n)
            log.received.withLock { $0.append(Received(headers: request.headers, body: request.body, status: Int(status.code))) }
            var headers = HTTPHeaders()
            if (300...399).contains(Int(status.code)) { headers.add(name: "Location", value: "/elsewhere") }
            return Response(status: status, headers: headers)
        }
        router.post("/elsewhere") { _ in
            log.received.withLock { $0.append(Received(headers: HTTPHeaders(), body: Array("followed".utf8), status: 200)) }
            return Response(status: .ok)
        }
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.accessLog = false
        var logger = Logger(label: "webhook-receiver")
        logger.logLevel = .critical
        server = HTTPServer(configuration: configuration, router: router, logger: logger)
        self.log = log
        try server.start()
    }

    var url: String { "http://127.0.0.1:\(server.port ?? 0)/hook" }
    var port: Int { server.port ?? 0 }
    var requests: [Received] { log.received.withLock { $0 } }

    func answer(with a: @escaping @Sendable (Int) -> HTTPStatus) { log.answer.withLock { $0 = a } }

    /// Waits until `count` requests came, `timeout` at most.
    @discardableResult
    func wait(for count: Int, timeout: Double = 30) -> [Received] {
        let deadline = Date() + timeout
        while requests.count < count && Date() < deadline { usleep(20_000) }
        return requests
    }

    func stop() async { await server.shutdown() }
}
