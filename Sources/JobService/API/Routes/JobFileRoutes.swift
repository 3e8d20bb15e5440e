import Foundation
import HTTPServer

/// A job's images: its snapshots, its result and the input it was given. They never
/// change once stored, so they carry an `ETag` and answer `If-None-Match` with 304.
struct JobFileRoutes: JobLookup, Sendable {
    let jobs: any JobScheduler
    let links: LinkBuilder
    /// Blends a tiled job's snapshot from its tiles' latest outputs.
    let assembler: TileAssembler

    func register(on router: inout Router) {
        router.get("/v1/jobs/{id}/snapshots", listSnapshots)
        router.get("/v1/jobs/{id}/snapshots/{file}", snapshot)
        router.get("/v1/jobs/{id}/result.png", result)
        router.get("/v1/jobs/{id}/input", input)
    }

    @Sendable func listSnapshots(_ request: Request) async throws -> Response {
        let id = try jobID(request)
        let s = try job(id)
        if s.record.isTiled {
            // One snapshot, blended from the tiles as they are when it is asked for.
            let url = links.snapshots(id) + "/" + Self.tiledSnapshot
            return .json(raw: #"{"snapshots":[{"iteration":\#(s.record.progress.iteration),"url":\#(JSONString.quoted(url))}]}"#)
        }
        let items = s.record.snapshots.map { JobView.snapshotJSON($0, url: links.snapshot(id, $0.iteration)) }
        return .json(raw: #"{"snapshots":[\#(items.joined(separator: ","))]}"#)
    }

    @Sendable func snapshot(_ request: Request) async throws -> Response {
        let id = try jobID(request)
        let s = try job(id)
        let file = request.parameter("file") ?? ""
        if s.record.isTiled, file == Self.tiledSnapshot {
            let (png, etag) = try assembler.snapshot(s.record, tileJobs: try jobs.tiles(of: s.record))
            return try image(request, etag: etag) { _ in png }
        }
        guard file.hasSuffix(".png"), let n = Int(file.dropLast(4)), file.count <= 13, n >= 0,
              let info = s.record.snapshots.first(where: { $0.iteration == n }) else {
            throw APIError.snapshotNotFound(job: id, file: file)
        }
        return try image(request, etag: info.etag) { try $0.readSnapshot(id, iteration: n) }
    }

    @Sendable func result(_ request: Request) async throws -> Response {
        let id = try jobID(request)
        let s = try job(id)
        guard let result = s.record.result else {
            let why: String
            switch s.record.state {
            case .queued: why = "the job is queued"
            case .running: why = "the job is running (iteration \(s.record.progress.iteration) of \(s.record.progress.total))"
            case .failed: why = "the job failed: \(s.record.error?.message ?? "unknown error")"
            case .canceled: why = "the job was canceled before its first iteration"
            case .succeeded: why = "the job has no result"
            }
            throw APIError.resultNotReady(why)
        }
        return try image(request, etag: result.etag) { try $0.readResult(id) }
    }

    /// The uploaded image as it was sent (PNG or JPEG), so that a client can show the
    /// input beside the result without having kept it.
    @Sendable func input(_ request: Request) async throws -> Response {
        let id = try jobID(request)
        let s = try job(id)
        guard let file = s.record.input.files[JobInputs.imageFile] else {
            throw APIError.fileNotFound(.inputImage(of: id))
        }
        // The stored file never changes: its name and the job make a stable tag.
        let etag = "\"\(id)-\(file)\""
        return try image(request, etag: etag, contentType: file.hasSuffix(".jpg") ? "image/jpeg" : "image/png") {
            try $0.read(id, file: file)
        }
    }

    /// The file name of a tiled job's snapshot.
    static let tiledSnapshot = "latest.png"

    private func image(_ request: Request, etag: String, contentType: String = "image/png",
                       _ load: (any JobStore) throws -> [UInt8]) throws -> Response {
        var headers: HTTPHeaders = ["ETag": etag, "Cache-Control": "private, max-age=3600"]
        if let match = request.headers["If-None-Match"], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag || $0 == "*" }) {
            return Response(status: .notModified, headers: headers)
        }
        let bytes: [UInt8]
        do { bytes = try load(jobs.store) } catch let e as JobStoreUnavailable {
            throw e
        } catch {
            throw APIError.fileNotFound(.noLongerStored)
        }
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        return Response(status: .ok, headers: headers, body: .bytes(bytes))
    }
}
