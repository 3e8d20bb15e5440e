import DIPEngine
import Foundation
import ImageCodec
import Tiling

/// Blends a tiled job's tiles into one image: its result once every tile has ended, or, while
/// it runs, a snapshot of the tiles' latest outputs. A tile without an output (copied, not
/// started, or canceled before its first iteration) is taken from the input, enlarged by
/// pixel repetition for super-resolution. Tiles are decoded one at a time as the blend
/// reaches them; the input is decoded only when some tile needs it.
struct TileAssembler: Sendable {
    let store: any JobStore
    let decoder: InputDecoder

    /// What a tile contributes.
    enum Source: Equatable {
        case result(JobID), snapshot(JobID, iteration: Int), input
    }

    /// Each tile's result (`final`) or latest output.
    static func sources(_ parent: JobRecord, tileJobs: [JobRecord], final: Bool) -> [Source] {
        let byIndex = Dictionary(tileJobs.compactMap { job in job.tileOf.map { ($0.index, job) } }, uniquingKeysWith: { a, _ in a })
        return (parent.tiling?.layout.tiles ?? []).map { tile in
            guard let job = byIndex[tile.index] else { return .input }
            if job.result != nil { return .result(job.id) }
            if !final, let last = job.snapshots.last { return .snapshot(job.id, iteration: last.iteration) }
            return .input
        }
    }

    /// Blends and stores the result; nil when no tile has one and none is copied (every tile
    /// was canceled before it started).
    func assemble(_ parent: JobRecord, tileJobs: [JobRecord]) throws -> JobRecord.ResultInfo? {
        let sources = Self.sources(parent, tileJobs: tileJobs, final: true)
        let copied = parent.tiling?.jobs.contains { $0 == nil } ?? false
        guard sources.contains(where: { if case .result = $0 { true } else { false } }) || copied else { return nil }
        let (png, image) = try blend(parent, sources)
        try store.writeResult(parent.id, png: png)
        let iterations = tileJobs.compactMap(\.result?.iterations).max() ?? 0
        return .init(iterations: iterations, bestIteration: nil, etag: ETag.of(png), width: image.width, height: image.height)
    }

    /// The running job as its tiles are now, and a tag that changes when a tile's output does.
    func snapshot(_ parent: JobRecord, tileJobs: [JobRecord]) throws -> (png: [UInt8], etag: String) {
        let sources = Self.sources(parent, tileJobs: tileJobs, final: false)
        let tag = "\"\(parent.id)-" + String(FNV1a.hash(Array(sources.map { "\($0)" }.joined(separator: ",").utf8)), radix: 16) + "\""
        return (try blend(parent, sources).png, tag)
    }

    private func blend(_ parent: JobRecord, _ sources: [Source]) throws -> (png: [UInt8], image: Image) {
        guard let tiling = parent.tiling else { throw JobError(code: "not_tiled", message: "job \(parent.id) is not tiled") }
        let channels = parent.input.channels + (parent.input.hasAlpha ? 1 : 0)
        var input: Image?
        func inputImage() throws -> Image {
            if let input { return input }
            guard let file = parent.input.files[JobInputs.imageFile] else {
                throw JobError(code: "missing_input", message: "the stored image is missing")
            }
            let decoded = try decoder.decode(try store.read(parent.id, file: file), part: JobInputs.imageFile)
            input = decoded
            return decoded
        }
        func fitted(_ bytes: [UInt8], _ i: Int) throws -> Image {
            let decoded = try decoder.decode(bytes, part: "tile \(i)")
            return decoded.channels == channels ? decoded : decoded.converted(toChannels: channels)
        }
        let image = try TileBlender.blend(layout: tiling.layout, scale: tiling.scale, channels: channels) { i in
            switch sources[i] {
            case .result(let id): return try fitted(try store.readResult(id), i)
            case .snapshot(let id, let iteration): return try fitted(try store.readSnapshot(id, iteration: iteration), i)
            case .input:
                let tile = TileCutter.cut(try inputImage(), tiling.layout.tiles[i])
                return Self.enlarged(tile.channels == channels ? tile : tile.converted(toChannels: channels), by: tiling.scale)
            }
        }
        return (try ImageCodec.encodePNG(image, bitDepth: parent.input.bitDepth ?? 8), image)
    }

    /// Each pixel repeated `factor` times across and down.
    static func enlarged(_ image: Image, by factor: Int) -> Image {
        guard factor > 1 else { return image }
        let w = image.width * factor, h = image.height * factor, c = image.channels
        var samples = [Float](repeating: 0, count: w * h * c)
        for y in 0..<h {
            for x in 0..<w {
                let from = ((y / factor) * image.width + x / factor) * c, to = (y * w + x) * c
                for k in 0..<c { samples[to + k] = image.samples[from + k] }
            }
        }
        return Image(width: w, height: h, channels: c, samples: samples)
    }
}
