import Foundation
import Glibc
import Testing
@testable import JobService

/// A file system with a few megabytes: the service's data directory on a tmpfs that the
/// test fills and frees. Mounting needs root (CI runs as root).
final class TinyFileSystem {
    let path: URL
    private var filler: URL { path.appendingPathComponent("filler") }

    init(megabytes: Int) throws {
        path = try temporaryDirectory("dipd-tinyfs")
        try TemporaryPostgres.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path.path])
    }

    /// Writes a file until the file system has no byte left.
    func fill() {
        let fd = open(filler.path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0xAB, count: 64 << 10)
        var size = chunk.count
        while size > 0 {
            if chunk.withUnsafeBytes({ write(fd, $0.baseAddress!, size) }) < 0 { size /= 2 }
        }
    }

    func free() { unlink(filler.path) }

    deinit {
        _ = try? TemporaryPostgres.run("/bin/umount", ["-l", path.path])
    }
}

@Suite("a full disk", .enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
struct DiskFullTests {
    @Test func aFullStoreRefusesSubmissionsWith507AndAFitWaitsForSpaceKeepingItsLastSnapshot() throws {
        let fs = try TinyFileSystem(megabytes: 8)
        let dipd = try Dipd(dataDirectory: fs.path.appendingPathComponent("data"), environment: ["DIPD_STORE_RETRY_SECONDS": "1"])
        defer { _ = dipd.stop() }
        let (path, _, _) = try EndToEndTests.images()

        fs.fill()
        let refused = try EndToEndTests.submit(dipd, image: path, fields: ["task": "denoise"])
        #expect(refused.status == 507 && refused.errorCode == "insufficient_storage" && refused.header("Retry-After") != nil,
                "\(refused.status) \(refused.json)")
        #expect(try curl(["\(dipd.base)/v1/jobs"]).json["jobs"] as? [Any] != nil)
        fs.free()

        let r = try EndToEndTests.submit(dipd, image: path, fields: [
            "task": "denoise", "iterations": "3000", "snapshot_every": "100", "seed": "1", "auto_stop": "false",
            "network": EndToEndTests.smallNetwork])
        #expect(r.status == 202, "\(r.json)")
        let id = try #require(r.json["id"] as? String)
        _ = try poll(dipd, id, timeout: 120) { ($0["progress"] as? [String: Any])?["iteration"] as? Int ?? 0 >= 100 }

        // The disk fills mid-fit: snapshots are skipped (the last one stays), the fit goes on
        // to its end and then waits, still running, until its result can be written.
        fs.fill()
        #expect(waitFor(seconds: 120) { dipd.logText.contains("job \(id): snapshot") && dipd.logText.contains("not kept (the last one stays)") })
        #expect(waitFor(seconds: 240) { dipd.logText.contains("no space left for the job store") && dipd.logText.contains("trying again in") })
        let waiting = try curl(["\(dipd.base)/v1/jobs/\(id)"]).json
        #expect(state(waiting) == "running", "\(waiting)")
        fs.free()

        let done = try poll(dipd, id, timeout: 120) { state($0) == "succeeded" }
        #expect(iteration(done) == 3000)
        let result = try curl(["\(dipd.base)/v1/jobs/\(id)/result.png"])
        #expect(result.status == 200 && (try? TestImages.decode(result.body)) != nil)
        // Every snapshot listed is served whole; those the full disk refused are not listed.
        let listed = try curl(["\(dipd.base)/v1/jobs/\(id)/snapshots"]).json["snapshots"] as? [[String: Any]] ?? []
        let iterations = listed.compactMap { $0["iteration"] as? Int }
        #expect(!iterations.isEmpty && iterations.count < 30, "\(iterations)")
        for n in iterations {
            let png = try curl(["\(dipd.base)/v1/jobs/\(id)/snapshots/\(n).png"])
            #expect(png.status == 200 && (try? TestImages.decode(png.body)) != nil, "snapshot \(n)")
        }
        // Nothing half-written is left behind.
        let jobDirectory = fs.path.appendingPathComponent("data/jobs/\(id)")
        let files = (FileManager.default.enumerator(atPath: jobDirectory.path)?.allObjects as? [String]) ?? []
        #expect(!files.contains { $0.contains(".tmp-") }, "\(files)")
        let metrics = String(decoding: try curl(["\(dipd.base)/metrics"]).body, as: UTF8.self)
        #expect(metrics.contains("dipd_snapshots_not_kept_total"), "\(metrics.prefix(200))")
    }
}

/// Polls `condition` every 50 ms for up to `seconds`.
func waitFor(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date() + seconds
    while Date() < deadline {
        if condition() { return true }
        usleep(50_000)
    }
    return condition()
}
