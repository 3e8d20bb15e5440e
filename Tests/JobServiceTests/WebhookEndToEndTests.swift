import Foundation
import Testing
@testable import JobService

/// Webhooks of the real `dipd` binary, to a receiver the test starts on 127.0.0.1.
@Suite("webhooks end to end", .serialized)
struct WebhookEndToEndTests {
    static let environment = ["DIPD_WEBHOOK_SECRET": "s3cret", "DIPD_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
                              "DIPD_WEBHOOK_FIRST_BACKOFF_MS": "2000"]

    static func fields(_ webhook: String) -> [String: String] {
        ["task": "denoise", "iterations": "20", "seed": "1", "network": EndToEndTests.smallNetwork, "webhook": webhook]
    }

    @Test func aPendingDeliveryIsSentByTheRestartedService() async throws {
        let receiver = try WebhookReceiver { _ in .serviceUnavailable }
        let dipd = try Dipd(environment: Self.environment)
        let (path, _, _) = try EndToEndTests.images()
        let r = try EndToEndTests.submit(dipd, image: path, fields: Self.fields(receiver.url))
        #expect(r.status == 202, "\(r.json)")
        let id = try #require(r.json["id"] as? String)
        _ = try poll(dipd, id) { state($0) == "succeeded" }
        let first = receiver.wait(for: 1)
        #expect(first.first?.status == 503 && first.first?.type == "completed")

        let listed = try curl(["\(dipd.base)/v1/jobs/\(id)/deliveries"])
        let pending = try #require((listed.json["deliveries"] as? [[String: Any]])?.first)
        #expect(pending["state"] as? String == "pending" && pending["event"] as? String == "completed")
        #expect(pending["attempts"] as? Int == 1 && pending["last_status"] as? Int == 503 && pending["next_attempt_at"] is String)

        // Killed before the retry is due: the restarted service sends what was stored.
        dipd.kill9()
        receiver.answer { _ in .noContent }
        try dipd.start()
        let got = receiver.wait(for: 2)
        #expect(got.count == 2 && got.last?.status == 204)
        #expect(got.last?.jobID == id && got.last?.type == "completed")
        #expect(got.last?.headers["Webhook-Id"] == first.first?.headers["Webhook-Id"])
        #expect(got.allSatisfy { WebhookTests.verifies($0, secret: "s3cret") })
        let data = try #require(got.last?.json["data"] as? [String: Any])
        #expect(data["state"] as? String == "succeeded" && (data["links"] as? [String: Any])?["result"] is String)

        let after = try curl(["\(dipd.base)/v1/jobs/\(id)/deliveries"])
        let delivered = try #require((after.json["deliveries"] as? [[String: Any]])?.first)
        #expect(delivered["state"] as? String == "delivered" && delivered["attempts"] as? Int == 2 && delivered["delivered_at"] is String)
        let metrics = String(decoding: try curl(["\(dipd.base)/metrics"]).body, as: UTF8.self)
        #expect(metrics.contains(#"dipd_webhook_deliveries_total{outcome="delivered"} 1"#), "\(metrics)")
        #expect(dipd.stop() == 0)
        await receiver.stop()
    }

    @Test func submissionsAreRefusedWithoutASecretOrWithABadURL() throws {
        let (path, _, _) = try EndToEndTests.images()
        let plain = try Dipd()
        let noSecret = try EndToEndTests.submit(plain, image: path, fields: Self.fields("http://127.0.0.1:9/hook"))
        let error = noSecret.json["error"] as? [String: Any]
        #expect(noSecret.status == 422 && error?["code"] as? String == "invalid_spec")
        #expect((error?["message"] as? String)?.hasPrefix("webhook:") == true, "\(noSecret.json)")
        #expect(plain.stop() == 0)

        let dipd = try Dipd(environment: Self.environment)
        let bad = try EndToEndTests.submit(dipd, image: path, fields: Self.fields("file:///etc/passwd"))
        let badError = bad.json["error"] as? [String: Any]
        #expect(bad.status == 422 && (badError?["message"] as? String)?.hasPrefix("webhook:") == true, "\(bad.json)")
        #expect(try curl(["\(dipd.base)/v1/jobs/aaaaaaaaaaaaaaaaaaaaaaaaaa/deliveries"]).status == 404)
        #expect(dipd.stop() == 0)
    }
}
