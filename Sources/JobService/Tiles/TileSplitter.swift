import DIPEngine
import DIPTasks
import Foundation
import ImageCodec
import ImageTensors
import Tiling

/// Cuts a large upload into tile jobs, at submission: the one decode of the whole image.
/// Each tile job gets its tile of the image (and of the mask and the guide), the job's spec
/// with a seed of its own, and what belongs to the whole image, computed on it: the noise
/// level a denoising stop rule waits for, the random mask of a restoration without one.
struct TileSplitter {
    let configuration: ServiceConfiguration
    let decoder: InputDecoder

    /// Output pixels per input pixel.
    static func scale(_ spec: TaskSpec) -> Int { spec.task == .superResolution ? spec.factor ?? 4 : 1 }

    /// Tasks whose result at a pixel depends on its neighbourhood only. A pre-image is of the
    /// whole image's classification; activation has no input image to cut.
    static func isTileable(_ task: TaskKind) -> Bool { task != .preimage && task != .activation }

    /// How an input of this size is cut for `spec`, or nil when it is fitted whole. Tiles are
    /// `tile_size` output pixels a side, so a fit's memory is the same for every task.
    func layout(_ spec: TaskSpec, width: Int, height: Int) -> TileLayout? {
        guard Self.isTileable(spec.task) else { return nil }
        let scale = Self.scale(spec)
        let side = max(16, configuration.tileSize / scale), overlap = max(2, configuration.tileOverlap / scale)
        guard TileLayout.needsTiling(width: width, height: height, tileSize: side) else { return nil }
        return TileLayout(width: width, height: height, tileSize: side, overlap: overlap)
    }

    /// The tile jobs of `parent` (a queued-looking record made for the whole job), and the
    /// parent as it is stored: running, with its layout and tile jobs.
    func split(_ parent: JobRecord, files: [String: [UInt8]], layout: TileLayout,
               parameters: (TaskSpec) throws -> EffectiveParameters) throws -> (JobRecord, [TileSubmission]) {
        let spec = parent.spec
        func decode(_ role: String) throws -> Image? {
            try files[role].map { try decoder.decode($0, part: role) }
        }
        guard let image = try decode(JobInputs.imageFile) else { throw JobError(code: "missing_input", message: "no image") }
        let guide = try decode(JobInputs.guideFile)
        var mask = try decode(JobInputs.maskFile)
        var tileSpec = spec
        tileSpec.webhook = nil
        tileSpec.webhookEvents = nil
        // A tile fits one network unless the spec asks for an ensemble: a tiled job is many fits
        // (hours for a phone photo), and a worker's memory is one tile's fit (docs/tiling.md).
        if spec.members == nil { tileSpec.members = 1 }
        if spec.task == .restore, mask == nil {
            // One random mask for the whole image, drawn from the job's seed, cut like the image.
            mask = ImageTensor.image(TaskCatalog.restorationMask(spec, height: image.height, width: image.width))
            tileSpec.keep = nil
        }
        if spec.task == .denoise, spec.noiseLevel == nil {
            // On the centre (at most 2048², 48 MB as a tensor): the median of millions of blocks
            // is as good as that of all, and a 48 MP upload is not copied whole.
            let side = 2048
            let centre = image.width * image.height <= side * side ? image
                : TileCutter.cut(image, Tile(index: 0, row: 0, column: 0, x: max(0, (image.width - side) / 2), y: max(0, (image.height - side) / 2),
                                             width: min(side, image.width), height: min(side, image.height)))
            let sigma = NoiseLevel.estimate(ImageTensor(centre).tensor)
            if sigma > 0 { tileSpec.noiseLevel = min(0.5, sigma) }
        }
        // The tiles differ only in their seed: the task is built once for the parameters.
        let shared = try parameters(tileSpec)
        let now = Date()
        var jobs: [JobID?] = []
        var tiles: [TileSubmission] = []
        for tile in layout.tiles {
            let maskTile = mask.map { TileCutter.cut($0, tile) }
            // An inpainting tile with no pixel to fill is its input: nothing to fit.
            if spec.task == .inpaint, let m = maskTile, Self.hasNoHole(m) {
                jobs.append(nil)
                continue
            }
            var inputs: [(file: String, bytes: [UInt8])] = []
            var names: [String: String] = [:]
            func add(_ role: String, _ part: Image) throws {
                let name = role + ".png"
                inputs.append((name, try ImageCodec.encodePNG(part, bitDepth: role == JobInputs.imageFile ? image.bitDepth : 8)))
                names[role] = name
            }
            let cut = TileCutter.cut(image, tile)
            try add(JobInputs.imageFile, cut)
            if let maskTile { try add(JobInputs.maskFile, maskTile) }
            if let guide { try add(JobInputs.guideFile, TileCutter.cut(guide, tile)) }
            var s = tileSpec
            s.seed = TileSeed.derive(spec.seed ?? 0, tile: tile.index)
            var p = shared
            p.seed = s.seed ?? 0
            let info = JobRecord.InputInfo(width: cut.width, height: cut.height, channels: parent.input.channels,
                                           hasAlpha: parent.input.hasAlpha, bitDepth: parent.input.bitDepth, files: names)
            let id = JobID.random()
            let record = JobRecord(id: id, sequence: 0, state: .queued, spec: s, parameters: p, input: info,
                                   idempotencyKey: nil, createdAt: now, attempts: 0,
                                   progress: .init(iteration: 0, total: p.iterations), snapshots: [],
                                   tileOf: TileOf(parent: parent.id, index: tile.index))
            jobs.append(id)
            tiles.append(TileSubmission(record: record, inputs: inputs))
        }
        var record = parent
        record.parameters.members = shared.members
        record.state = .running
        record.startedAt = now
        record.tiling = TilingInfo(layout: layout, scale: Self.scale(spec), jobs: jobs)
        return (record, tiles)
    }

    /// A tile whose mask is known everywhere has no hole (the engine's rule: a pixel is known
    /// where its colour channels average at least one half, `Mask.fromImageSamples`).
    static func hasNoHole(_ mask: Image) -> Bool {
        let c = mask.channels, colour = c >= 3 ? 3 : 1
        for i in 0..<(mask.width * mask.height) {
            var sum: Float = 0
            for k in 0..<colour { sum += mask.samples[i * c + k] }
            if sum < 0.5 * Float(colour) { return false }
        }
        return true
    }
}
