import Foundation
import HTTPServer
import Logging
import Testing
@testable import JobService

/// While the service drains it takes no new jobs and says so, in-process.
@Test func drainingAnswers503AndReadinessSaysDraining() async throws {
    var configuration = ServiceConfiguration()
    configuration.dataDirectory = try temporaryDirectory("dipd-drain").path
    let service = try DIPService(configuration: configuration, logger: Logger(label: "test"))
    var http = ServerConfiguration()
    http.port = 0
    let server = HTTPServer(configuration: http, router: service.makeRouter(), logger: Logger(label: "test"))
    try server.start()
    let base = "http://127.0.0.1:\(server.port!)"
    #expect(try curl(["\(base)/readyz"]).status == 200)
    service.manager.beginDraining()
    let ready = try curl(["\(base)/readyz"])
    #expect(ready.status == 503 && ready.json["status"] as? String == "draining")
    let png = try temporaryDirectory("dipd-drain-img").appendingPathComponent("x.png")
    try Data(ImageTensorsPNG.gradient(width: 32, height: 32)).write(to: png)
    let r = try curl(["-F", "image=@\(png.path)", "\(base)/v1/jobs"])
    #expect(r.status == 503 && r.errorCode == "draining" && r.header("Retry-After") != nil)
    await server.shutdown()
}
