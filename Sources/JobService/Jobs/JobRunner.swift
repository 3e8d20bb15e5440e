import DIPEngine
import Foundation
import ImageCodec
import ImageTensors

/// Runs one job on the calling (worker) thread: decodes the stored inputs, builds the
/// engine task, fits, and writes snapshots and the result as the fit goes.
struct JobRunner {
    let manager: JobManager
    let threads: Int
    let links: LinkBuilder
    let classifier: ClassifierProvider
    /// The submission's decoder, with the service's limits.
    let decoder: InputDecoder

    func run(_ record: JobRecord, cancel: CancellationFlag) {
        let id = record.id
        do {
            let inputs = try loadInputs(record)
            let task = try TaskCatalog.build(record.spec, inputs: inputs, threads: threads, classifier: classifier.make)
            let alpha = inputs.image.alpha
            var snapshotError: Error?
            let result = try task.run(cancel: cancel, onProgress: { p in
                manager.reportProgress(id, iteration: p.iteration, total: p.iterations, loss: p.loss, psnr: p.psnrInput,
                                       rate: p.iterationsPerSecond, seconds: p.seconds)
            }, onSnapshot: { p in
                guard snapshotError == nil, manager.isCurrent(id) else { return }
                do {
                    let png = try ImageTensor.encodePNG(p.average, alpha: alpha)
                    try manager.store.writeSnapshot(id, iteration: p.iteration, png: png)
                    let info = JobRecord.SnapshotInfo(iteration: p.iteration, loss: Double(p.loss),
                                                      psnrInput: p.psnrInput.isFinite ? p.psnrInput : 0, etag: ETag.of(png))
                    manager.addSnapshot(id, info, url: links.snapshot(id, p.iteration))
                } catch {
                    snapshotError = error
                }
            })
            guard manager.isCurrent(id) else { return }
            if let snapshotError { throw snapshotError }
            var info: JobRecord.ResultInfo?
            if result.iterations > 0 {
                let png = try ImageTensor.encodePNG(result.image, alpha: alpha)
                try manager.store.writeResult(id, png: png)
                info = .init(iterations: result.iterations, bestIteration: result.bestIteration, etag: ETag.of(png),
                             width: result.image.width, height: result.image.height)
            }
            manager.finish(id, stop: result.stopReason, result: info, error: nil)
        } catch let e as SpecError {
            manager.finish(id, stop: nil, result: nil, error: JobError(code: "invalid_spec", message: e.description))
        } catch let e as TaskInputError {
            manager.finish(id, stop: nil, result: nil, error: JobError(code: "invalid_input", message: e.description))
        } catch {
            manager.logger.error("job \(id) failed: \(error)")
            manager.finish(id, stop: nil, result: nil, error: JobError(code: "fit_failed", message: "\(error)"))
        }
    }

    private func loadInputs(_ record: JobRecord) throws -> JobInputs {
        func load(_ role: String) throws -> Image? {
            guard let file = record.input.files[role] else { return nil }
            return try decoder.decode(try manager.store.read(record.id, file: file), part: role)
        }
        guard let image = try load(JobInputs.imageFile) else { throw JobError(code: "missing_input", message: "the stored image is missing") }
        return JobInputs(image: ImageTensor(image),
                         mask: try load(JobInputs.maskFile).map(ImageTensor.mask),
                         guide: try load(JobInputs.guideFile).map { ImageTensor($0) })
    }
}

/// Strong validators for stored images: a hash of the bytes (FNV-1a, 64 bits).
enum ETag {
    static func of(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf29ce484222325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return "\"" + String(h, radix: 16) + "-" + String(bytes.count, radix: 16) + "\""
    }
}
