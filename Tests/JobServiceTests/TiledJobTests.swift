import DIPEngine
import Foundation
import ImageCodec
import ImageTensors
import Logging
import Testing
@testable import JobService

/// Images larger than `tile_size` are fitted in overlapping tiles, each tile a job of the
/// queue that any worker of any service takes, blended back into one result: one job to
/// the user. Tiles are 64 pixels here (16 of overlap), so a 160×112 upload makes 3 × 2 tiles.
@Suite("tiled jobs", .serialized)
struct TiledJobTests {
    static let tiling = ["DIPD_TILE_SIZE": "64", "DIPD_TILE_OVERLAP": "16", "DIPD_WORKERS": "1", "DIPD_THREADS_PER_WORKER": "1"]
    static let network = EndToEndTests.smallNetwork

    /// A noisy 160×112 crop of the F16 demo image: its path, and its clean original.
    static func upload(width: Int = 160, height: Int = 112) throws -> (path: String, clean: Tensor) {
        let image = try ImageCodec.decode(Array(Data(contentsOf: TestImages.f16)))
        let t = ImageTensor(image).tensor
        let clean = t.cropped(x: 100, y: 100, width: width, height: height)
        let path = try temporaryDirectory("dipd-tiled").appendingPathComponent("noisy.png")
        try TestImages.write(TestImages.noisy(clean), to: path)
        return (path.path, clean)
    }

    static func tiles(_ job: [String: Any]) -> [String: Any] { job["tiles"] as? [String: Any] ?? [:] }
    static func items(_ job: [String: Any]) -> [[String: Any]] { tiles(job)["items"] as? [[String: Any]] ?? [] }

    /// The job records in a file store's data directory.
    static func storedRecords(_ dipd: Dipd) throws -> [JobRecord] {
        let jobs = dipd.dataDirectory.appendingPathComponent("jobs")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: jobs.path)) ?? []
        return try names.filter { !$0.hasPrefix(".") }.map { name in
            try JSONDecoder.service().decode(JobRecord.self, from: Data(contentsOf: jobs.appendingPathComponent(name).appendingPathComponent("job.json")))
        }
    }

    /// One job to the user: its view shows the tiles filling in, the list shows it alone, the
    /// result is the whole image, and deleting it removes every tile job with it.
    @Test func aLargeImageIsFittedInTilesAndBlendedIntoOneResult() throws {
        let dipd = try Dipd(environment: Self.tiling)
        let (path, _) = try Self.upload()
        let input = try ImageCodec.decode(Array(Data(contentsOf: URL(fileURLWithPath: path))))
        let r = try EndToEndTests.submit(dipd, image: path, fields: ["iterations": "30", "auto_stop": "false", "seed": "3",
                                                                      "network": Self.network])
        #expect(r.status == 202, "\(r.json)")
        let id = try #require(r.json["id"] as? String)
        let t = Self.tiles(r.json)
        #expect(t["total"] as? Int == 6 && t["columns"] as? Int == 3 && t["rows"] as? Int == 2 && t["fitted"] as? Int == 6, "\(t)")
        #expect(state(r.json) == "running")

        let listed = try curl(["\(dipd.base)/v1/jobs"]).json["jobs"] as? [[String: Any]] ?? []
        #expect(listed.compactMap { $0["id"] as? String } == [id], "tile jobs must not be listed")
        // Each tile fits one network (denoising's preset would fit two on a whole image).
        #expect((r.json["parameters"] as? [String: Any])?["members"] == nil, "\(r.json)")

        let done = try poll(dipd, id, timeout: 300) { state($0) == "succeeded" }
        let items = Self.items(done)
        #expect(items.count == 6 && items.allSatisfy { $0["state"] as? String == "succeeded" && $0["iteration"] as? Int == 30 })
        #expect(items.allSatisfy { $0["stop_reason"] as? String == "iterations" })
        #expect(Self.tiles(done)["done"] as? Int == 6 && done["stop_reason"] as? String == "iterations")
        let progress = try #require(done["progress"] as? [String: Any])
        #expect(progress["iteration"] as? Int == 180 && progress["total"] as? Int == 180, "\(progress)")

        // The job's snapshot is blended from its tiles (here their results).
        let snapshots = try curl(["\(dipd.base)/v1/jobs/\(id)/snapshots"]).json["snapshots"] as? [[String: Any]] ?? []
        #expect(snapshots.count == 1 && snapshots[0]["url"] as? String == "/v1/jobs/\(id)/snapshots/latest.png", "\(snapshots)")
        let blended = try curl(["\(dipd.base)/v1/jobs/\(id)/snapshots/latest.png"])
        #expect(blended.status == 200 && blended.header("ETag") != nil)
        let png = try curl(["\(dipd.base)/v1/jobs/\(id)/result.png"])
        #expect(blended.body == png.body, "a finished job's snapshot is its result")
        #expect(png.status == 200)
        let result = try ImageCodec.decode(Array(png.body))
        #expect(result.width == 160 && result.height == 112 && result.channels == 3)
        #expect(result.samples != input.samples, "the result is the input: nothing was fitted")
        // Each tile job is stored beside its tiled job: seven records in all, each tile succeeded once.
        let records = try Self.storedRecords(dipd)
        #expect(records.count == 7 && records.filter(\.isTile).allSatisfy { $0.state == .succeeded && $0.attempts == 1 })
        #expect(records.filter(\.isTile).allSatisfy { $0.spec.members == 1 && $0.parameters.members == nil })

        #expect(try curl(["-X", "DELETE", "\(dipd.base)/v1/jobs/\(id)"]).status == 204)
        #expect(try curl(["\(dipd.base)/v1/jobs/\(id)"]).status == 404)
        #expect(try Self.storedRecords(dipd).isEmpty, "tile jobs left behind after the delete")
        #expect(dipd.stop() == 0)
    }

    /// A cancel reaches every tile: queued ones end at once, running ones within an iteration,
    /// and the job ends canceled.
    @Test func aCanceledTiledJobEndsEveryTile() throws {
        let dipd = try Dipd(environment: Self.tiling)
        let (path, _) = try Self.upload()
        let r = try EndToEndTests.submit(dipd, image: path, fields: ["iterations": "20000", "auto_stop": "false", "network": Self.network])
        let id = try #require(r.json["id"] as? String)
        _ = try poll(dipd, id) { job in Self.items(job).contains { $0["state"] as? String == "running" && ($0["iteration"] as? Int ?? 0) >= 2 } }
        #expect(try curl(["-X", "POST", "\(dipd.base)/v1/jobs/\(id)/cancel"]).status == 200)
        let job = try poll(dipd, id, timeout: 20) { state($0) == "canceled" }
        #expect(Self.items(job).allSatisfy { $0["state"] as? String == "canceled" }, "\(Self.items(job))")
        #expect(job["stop_reason"] as? String == "canceled")
        #expect(try Self.storedRecords(dipd).allSatisfy { $0.state == .canceled })
        #expect(dipd.stop() == 0)
    }

    /// `kill -9` mid-job on the file store: after the restart the tile that was running goes
    /// on from its checkpoint, the finished ones are not fitted again, and the result is whole.
    @Test func aKilledServiceFinishesItsTiledJobAfterARestart() throws {
        let dipd = try Dipd(environment: Self.tiling.merging(["DIPD_CHECKPOINT_SECONDS": "1"]) { $1 })
        let (path, _) = try Self.upload()
        let r = try EndToEndTests.submit(dipd, image: path, fields: ["iterations": "120", "auto_stop": "false", "network": Self.network])
        let id = try #require(r.json["id"] as? String)
        _ = try poll(dipd, id) { job in
            Self.tiles(job)["done"] as? Int ?? 0 >= 1 && Self.items(job).contains { $0["state"] as? String == "running" && ($0["iteration"] as? Int ?? 0) >= 60 }
        }
        dipd.kill9()
        let finishedBefore = Set(try Self.storedRecords(dipd).filter { $0.isTile && $0.state == .succeeded }.map(\.id))
        try dipd.start()
        let done = try poll(dipd, id, timeout: 300) { state($0) == "succeeded" }
        #expect(Self.items(done).allSatisfy { $0["state"] as? String == "succeeded" && $0["iteration"] as? Int == 120 })
        let tiles = try Self.storedRecords(dipd).filter(\.isTile)
        #expect(tiles.count == 6)
        for tile in tiles {
            // A tile that had finished was not run again; the one cut short ran twice, no more.
            #expect(tile.attempts == (finishedBefore.contains(tile.id) ? 1 : tile.attempts) && tile.attempts <= 2)
        }
        #expect(tiles.contains { $0.attempts == 2 }, "no tile was running when the service was killed")
        #expect(dipd.logText.components(separatedBy: "tiled job \(id) succeeded").count == 2, "the tiles were blended more than once")
        let result = try ImageCodec.decode(Array(try curl(["\(dipd.base)/v1/jobs/\(id)/result.png"]).body))
        #expect(result.width == 160 && result.height == 112)
        #expect(dipd.stop() == 0)
    }

    /// Two services on one PostgreSQL share one tiled job; the one running a tile is killed:
    /// its tile is taken over, no tile ever runs on both at once, each tile ends once, and the
    /// result is whole.
    @Test func twoServicesShareATiledJobAndSurviveAKill() throws {
        let server = try TemporaryPostgres()
        defer { server.stop() }
        let services = try (0..<2).map {
            try Dipd(environment: Self.tiling.merging(["DIPD_DATABASE_URL": server.url, "DIPD_REPLICA_ID": "replica-\($0)",
                                                       "DIPD_LEASE_SECONDS": "5", "DIPD_CHECKPOINT_SECONDS": "1"]) { $1 })
        }
        let (path, _) = try Self.upload()
        let r = try EndToEndTests.submit(services[0], image: path, fields: ["iterations": "150", "auto_stop": "false", "network": Self.network])
        let id = try #require(r.json["id"] as? String)
        // Both services take tiles of the one job.
        let deadline = Date().addingTimeInterval(120)
        while Set(try ReplicaTests.leases(server).map(\.owner)).count < 2 && Date() < deadline { usleep(100_000) }
        #expect(Set(try ReplicaTests.leases(server).map(\.owner)).count == 2, "only one service took tiles")
        _ = try poll(services[1], id) { job in Self.items(job).contains { ($0["iteration"] as? Int ?? 0) >= 40 && $0["state"] as? String == "running" } }
        let holder = try #require(try ReplicaTests.leases(server).last { $0.endedAt == nil }).owner
        let victim = try #require(Int(holder.dropFirst("replica-".count)))
        services[victim].kill9()
        let survivor = services[1 - victim]
        let done = try poll(survivor, id, timeout: 300) { ["succeeded", "failed"].contains(state($0)) }
        #expect(state(done) == "succeeded", "\(done["error"] ?? "")")
        #expect(Self.items(done).allSatisfy { $0["state"] as? String == "succeeded" && $0["iteration"] as? Int == 150 })
        let leases = try ReplicaTests.leases(server)
        ReplicaTests.expectNoOverlap(leases)
        let ended = Dictionary(grouping: leases.filter { $0.endReason == "succeeded" }, by: \.jobID)
        #expect(ended.count == 6 && ended.values.allSatisfy { $0.count == 1 }, "each tile must end once: \(ended.mapValues(\.count))")
        #expect(leases.contains { $0.owner == holder && $0.endReason == "expired" }, "the killed service's tile was not taken over")
        let result = try ImageCodec.decode(Array(try curl(["\(survivor.base)/v1/jobs/\(id)/result.png"]).body))
        #expect(result.width == 160 && result.height == 112)
        #expect(survivor.stop() == 0)
    }

    /// Inpainting tiles without a hole are copied from the input, not fitted: far from the
    /// hole the result is the input itself.
    @Test func inpaintingTilesWithoutAHoleAreCopied() throws {
        let dipd = try Dipd(environment: Self.tiling)
        let (path, _) = try Self.upload()
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        var mask = [Float](repeating: 1, count: 160 * 112)
        for y in 10..<20 { for x in 10..<20 { mask[y * 160 + x] = 0 } }
        let maskPath = dir.appendingPathComponent("mask.png")
        try Data(ImageCodec.encodePNG(Image(width: 160, height: 112, channels: 1, samples: mask))).write(to: maskPath)
        let r = try curl(["-F", "image=@\(path);type=image/png", "-F", "mask=@\(maskPath.path);type=image/png", "-F", "task=inpaint",
                          "-F", "iterations=10", "-F", "network=\(Self.network)", "\(dipd.base)/v1/jobs"])
        #expect(r.status == 202, "\(r.json)")
        let id = try #require(r.json["id"] as? String)
        #expect(Self.tiles(r.json)["fitted"] as? Int == 1 && Self.tiles(r.json)["copied"] as? Int == 5, "\(Self.tiles(r.json))")
        _ = try poll(dipd, id) { state($0) == "succeeded" }
        let input = try ImageCodec.decode(Array(Data(contentsOf: URL(fileURLWithPath: path))))
        let result = try ImageCodec.decode(Array(try curl(["\(dipd.base)/v1/jobs/\(id)/result.png"]).body))
        #expect(result.width == 160 && result.height == 112)
        // Rows 64 and below are in no tile of the first row's first column's overlap.
        for y in 64..<112 { for x in 64..<160 { for c in 0..<3 {
            let i = (y * 160 + x) * 3 + c
            if abs(result.samples[i] - input.samples[i]) > 0.5 / 255 { Issue.record("pixel \(x),\(y) changed"); return }
        } } }
        #expect(dipd.stop() == 0)
    }

    /// Results are held to `max_image_pixels` too: a super-resolution whose result would be over it is refused.
    @Test func aResultOverTheImageLimitIsRefused() throws {
        let dipd = try Dipd(environment: ["DIPD_LIMITS_MAX_IMAGE_PIXELS": "100000"])
        let (path, _) = try Self.upload()
        let r = try EndToEndTests.submit(dipd, image: path, fields: ["task": "super-resolution", "factor": "4"])
        #expect(r.status == 413 && r.errorCode == "result_too_large", "\(r.status) \(r.json)")
        #expect(r.errorMessage.contains("640×448"), "\(r.errorMessage)")
        #expect(dipd.stop() == 0)
    }

    /// A 1536×1024 photo at the default tile size (512, overlap 64): 4 × 3 tiles of 512², each
    /// fitted, blended back into a result of the upload's size.
    @Test func aPhotoIsCutAtTheDefaultTileSizeAndComesBackWhole() throws {
        let dipd = try Dipd(environment: ["DIPD_WORKERS": "1"])
        let path = try temporaryDirectory("dipd-tiled").appendingPathComponent("photo.png")
        try Data(ImageTensorsPNG.gradient(width: 1536, height: 1024)).write(to: path)
        let r = try EndToEndTests.submit(dipd, image: path.path, fields: ["iterations": "2", "auto_stop": "false", "network": Self.network])
        #expect(r.status == 202, "\(r.json)")
        let id = try #require(r.json["id"] as? String)
        let t = Self.tiles(r.json)
        #expect(t["total"] as? Int == 12 && t["columns"] as? Int == 4 && t["rows"] as? Int == 3 && t["tile_size"] as? Int == 512, "\(t)")
        let done = try poll(dipd, id, timeout: 300) { ["succeeded", "failed"].contains(state($0)) }
        #expect(state(done) == "succeeded", "\(done["error"] ?? "")")
        let result = try ImageCodec.decode(Array(try curl(["\(dipd.base)/v1/jobs/\(id)/result.png"]).body))
        #expect(result.width == 1536 && result.height == 1024)
        #expect(dipd.stop() == 0)
    }

    /// A phone's JPEG stored sideways (EXIF orientation 6) is fitted and returned upright.
    @Test func anExifRotatedJPEGComesBackUpright() throws {
        let dipd = try Dipd()
        let sideways = Dipd.repository.appendingPathComponent("Tests/Data/codec/orientation-6.jpg").path
        let upright = try ImageCodec.decode(Array(Data(contentsOf: Dipd.repository.appendingPathComponent("Tests/Data/codec/orientation-1.jpg"))))
        let r = try curl(["-F", "image=@\(sideways);type=image/jpeg", "-F", "iterations=300", "-F", "auto_stop=false",
                          "-F", "network=\(Self.network)", "\(dipd.base)/v1/jobs"])
        #expect(r.status == 202, "\(r.json)")
        let id = try #require(r.json["id"] as? String)
        let input = try #require(r.json["input"] as? [String: Any])
        #expect(input["width"] as? Int == 24 && input["height"] as? Int == 16, "the job's input is not the upright size: \(input)")
        _ = try poll(dipd, id) { state($0) == "succeeded" }
        let result = try ImageCodec.decode(Array(try curl(["\(dipd.base)/v1/jobs/\(id)/result.png"]).body))
        #expect(result.width == 24 && result.height == 16)
        // The fit reproduces the picture it was given: each 8×8 block's mean is nearest its own
        // colour in the upright image, not in a turned one.
        func blockMean(_ image: Image, _ bx: Int, _ by: Int) -> [Float] {
            var m = [Float](repeating: 0, count: 3)
            for y in (by * 8)..<(by * 8 + 8) { for x in (bx * 8)..<(bx * 8 + 8) { for c in 0..<3 { m[c] += image.samples[(y * 24 + x) * 3 + c] / 64 } } }
            return m
        }
        func distance(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
        for by in 0..<2 { for bx in 0..<3 {
            let mine = blockMean(result, bx, by)
            let others = (0..<6).map { [$0 % 3, $0 / 3] }.filter { $0 != [bx, by] }
            #expect(others.allSatisfy { distance(mine, blockMean(upright, bx, by)) < distance(mine, blockMean(upright, $0[0], $0[1])) },
                    "block \(bx),\(by) is not where the upright picture has it")
        } }
        #expect(dipd.stop() == 0)
    }

    /// A 16-bit PNG's snapshots and result are written at 16 bits.
    @Test func aSixteenBitUploadGivesASixteenBitResult() throws {
        let dipd = try Dipd()
        var samples = [Float]()
        for y in 0..<48 { for x in 0..<48 { for c in 0..<3 { samples.append(Float((x * 977 + y * 131 + c * 7919) % 65536) / 65535) } } }
        let path = try temporaryDirectory("dipd-16bit").appendingPathComponent("deep.png")
        try Data(ImageCodec.encodePNG(Image(width: 48, height: 48, channels: 3, samples: samples, bitDepth: 16), bitDepth: 16)).write(to: path)
        let r = try EndToEndTests.submit(dipd, image: path.path, fields: ["iterations": "3", "auto_stop": "false", "network": Self.network])
        let id = try #require(r.json["id"] as? String, "\(r.json)")
        _ = try poll(dipd, id) { state($0) == "succeeded" }
        let result = try ImageCodec.decode(Array(try curl(["\(dipd.base)/v1/jobs/\(id)/result.png"]).body))
        #expect(result.bitDepth == 16 && result.width == 48)
        #expect(dipd.stop() == 0)
    }
}
