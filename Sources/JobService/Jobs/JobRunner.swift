import DIPEngine
import DIPTasks
import Foundation
import ImageCodec
import ImageTensors

/// Runs one job on the calling (worker) thread: decodes the stored inputs, builds the
/// engine task, fits, and writes snapshots and the result as the fit goes.
struct JobRunner {
    let manager: any JobScheduler
    let threads: Int
    let classifier: ClassifierProvider
    /// The submission's decoder, with the service's limits.
    let decoder: InputDecoder

    func run(_ record: JobRecord, cancel: CancellationFlag) {
        let id = record.id
        do {
            let (inputs, alpha) = try loadInputs(record)
            let task = try TaskCatalog.build(record.spec, inputs: inputs, threads: threads, classifier: classifier.make)
            var snapshotError: Error?
            let progress: (FitProgress) -> Void = { p in
                manager.reportProgress(id, .init(iteration: p.iteration, total: p.iterations, iterationsPerSecond: p.iterationsPerSecond,
                                                 loss: Double(p.loss), psnrInput: p.psnrInput.isFinite ? p.psnrInput : nil,
                                                 seconds: p.seconds))
            }
            let snapshot: (FitProgress) -> Void = { p in
                guard snapshotError == nil, manager.isCurrent(id) else { return }
                do {
                    let png = try ImageTensor.encodePNG(p.average, alpha: alpha, bitDepth: record.input.bitDepth ?? 8)
                    // The fit waits for a store that cannot be reached rather than lose the snapshot;
                    // on a full one it goes on, and the next snapshot tries again.
                    try manager.whileStoreUnavailable(waitingForSpace: false) {
                        try manager.store.writeSnapshot(id, iteration: p.iteration, png: png)
                    }
                    let info = JobRecord.SnapshotInfo(iteration: p.iteration, loss: Double(p.loss),
                                                      psnrInput: p.psnrInput.isFinite ? p.psnrInput : 0, etag: ETag.of(png))
                    manager.addSnapshot(id, info)
                } catch let e where e is JobStoreUnavailable || e is JobStoreFull {
                    manager.metrics.snapshotNotKept()
                    manager.logger.warning("job \(id): snapshot \(p.iteration) not kept (the last one stays): \(e)")
                } catch is LeaseLost {
                    return      // the job is no longer this service's: its run is stopping
                } catch {
                    snapshotError = error
                }
            }
            let result: FitResult
            do {
                result = try task.run(cancel: cancel, checkpoints: checkpointing(record, cancel: cancel),
                                      onProgress: progress, onSnapshot: snapshot)
            } catch let e as FitCheckpoint.DecodingError {
                manager.logger.warning("job \(id): \(e); the fit starts again from iteration 0")
                manager.dropCheckpoint(id)
                result = try task.run(cancel: cancel, checkpoints: checkpointing(record, cancel: cancel, resume: false),
                                      onProgress: progress, onSnapshot: snapshot)
            }
            guard manager.isCurrent(id) else { return }
            if let snapshotError { throw snapshotError }
            var info: JobRecord.ResultInfo?
            if result.iterations > 0 {
                let png = try ImageTensor.encodePNG(result.image, alpha: alpha, bitDepth: record.input.bitDepth ?? 8)
                try manager.whileStoreUnavailable { try manager.store.writeResult(id, png: png) }
                info = .init(iterations: result.iterations, bestIteration: result.bestIteration, etag: ETag.of(png),
                             width: result.image.width, height: result.image.height)
            }
            manager.finish(id, .finished(result.stopReason, info))
        } catch let e as SpecError {
            manager.finish(id, .failed(JobError(code: "invalid_spec", message: e.description)))
        } catch let e as InputDecoder.Failure {
            // Submission reads only the headers: damage in the pixel data shows here.
            manager.finish(id, .failed(JobError(code: "invalid_image", message: e.description)))
        } catch let e as TaskInputError {
            manager.finish(id, .failed(JobError(code: "invalid_input", message: e.description)))
        } catch {
            manager.logger.error("job \(id) failed: \(error)")
            manager.finish(id, .failed(JobError(code: "fit_failed", message: "\(error)")))
        }
    }

    /// Resumes from the job's checkpoint (if it has one) and saves new ones every
    /// `checkpoint_seconds`, and when a shutdown stops the fit; not when a user cancels it.
    private func checkpointing(_ record: JobRecord, cancel: CancellationFlag, resume: Bool = true) throws -> FitCheckpointing? {
        let id = record.id, interval = manager.configuration.checkpointSeconds
        guard interval > 0 else { return nil }
        var saved: FitCheckpoint?
        if resume, let info = record.checkpoint {
            guard let bytes = manager.store.readCheckpoint(id, iteration: info.iteration) else {
                throw FitCheckpoint.DecodingError.doesNotFit("the file of the checkpoint at iteration \(info.iteration) is missing")
            }
            let checkpoint = try FitCheckpoint(decoding: bytes)
            // The fit goes on from the iteration the record names, which its snapshots were rewound to.
            guard checkpoint.iteration == info.iteration else {
                throw FitCheckpoint.DecodingError.doesNotFit("the checkpoint file is of iteration \(checkpoint.iteration), the job's record names \(info.iteration)")
            }
            saved = checkpoint
            manager.metrics.runResumed()
            manager.logger.info("job \(id) goes on from its checkpoint at iteration \(info.iteration)")
        }
        return FitCheckpointing(resume: saved, interval: Double(interval)) { [manager] state in
            guard state.iteration > 0, !cancel.isCancelled || manager.isInterrupted(id), manager.isCurrent(id) else { return }
            do {
                let start = ContinuousClock.now
                let bytes = state.encoded()
                try manager.store.writeCheckpoint(id, iteration: state.iteration, bytes)
                manager.metrics.checkpointSaved(bytes: bytes.count, seconds: (ContinuousClock.now - start).seconds)
                manager.noteCheckpoint(id, iteration: state.iteration)
            } catch {
                manager.logger.error("job \(id): the checkpoint at iteration \(state.iteration) was not saved: \(error)")
            }
        }
    }

    /// The stored images, decoded (the only decode of a job's inputs), and the image's alpha.
    private func loadInputs(_ record: JobRecord) throws -> (TaskInputs, alpha: [Float]?) {
        // A task that takes no image (activation) is built from its spec alone.
        if TaskCatalog.image(record.spec.task) == .forbidden { return (.none, nil) }
        func load(_ role: String) throws -> Image? {
            guard let file = record.input.files[role] else { return nil }
            return try decoder.decode(try manager.store.read(record.id, file: file), part: role)
        }
        guard let image = try load(JobInputs.imageFile).map({ ImageTensor($0) }) else {
            throw JobError(code: "missing_input", message: "the stored image is missing")
        }
        let inputs = TaskInputs(image: image.tensor, mask: try load(JobInputs.maskFile).map(ImageTensor.mask),
                                guide: try load(JobInputs.guideFile).map { ImageTensor($0).tensor })
        return (inputs, image.alpha)
    }
}

/// Strong validators for stored images: a hash of the bytes (FNV-1a, 64 bits).
enum ETag {
    static func of(_ bytes: [UInt8]) -> String {
        "\"" + String(FNV1a.hash(bytes), radix: 16) + "-" + String(bytes.count, radix: 16) + "\""
    }
}
