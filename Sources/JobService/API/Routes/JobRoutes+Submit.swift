import DIPEngine
import DIPTasks
import Foundation
import HTTPServer
import ImageCodec
import ImageTensors

/// `POST /v1/jobs`: the upload is checked as far as it can be without running it or decoding
/// its images (spec, image headers, the task's needs), stored, and queued.
extension JobRoutes {
    @Sendable func submit(_ request: Request) async throws -> Response {
        let key = try idempotencyKey(request)
        if let key, let existing = try jobs.existing(idempotencyKey: key) { return submitted(existing, status: .ok) }
        do { try jobs.admissionCheck() } catch { throw rejection(error) }
        let limits = configuration.limits
        let parser = SpecParser(maxIterations: limits.maxIterations, maxSnapshots: limits.maxSnapshots)
        let submission = try Submission.parse(request, parser: parser, maxUploadBytes: limits.maxUploadBytes)
        let spec = submission.spec
        if spec.webhook != nil && configuration.webhookSecret.isEmpty {
            // Unsigned calls could not be told from forged ones: no secret, no webhooks.
            throw Submission.invalid("webhook", "this service sends no webhooks (it has no webhook_secret)")
        }
        do {
            try TaskCatalog.check(spec, hasImage: submission.files[JobInputs.imageFile] != nil,
                                  hasMask: submission.files[JobInputs.maskFile] != nil,
                                  hasGuide: submission.files[JobInputs.guideFile] != nil)
        } catch {
            throw Submission.invalid(error.field, error.problem)
        }
        // Only the headers are read here: the pixels are decoded once, when the job runs.
        let decoder = InputDecoder(limits)
        var probed: [String: ImageInfo] = [:]
        for (role, bytes) in submission.files {
            do { probed[role] = try decoder.probe(bytes, part: role) } catch { throw APIError(error, limits: limits) }
        }
        // nil for a task that takes no image (activation; `check` made sure the others have one).
        let image = probed[JobInputs.imageFile]
        for role in [JobInputs.maskFile, JobInputs.guideFile] {
            if let image, let other = probed[role], other.width != image.width || other.height != image.height {
                throw APIError.invalidInput(field: role, problem: "is \(other.width)×\(other.height) but the image is \(image.width)×\(image.height)")
            }
        }
        let parameters: EffectiveParameters
        do {
            parameters = try TaskCatalog.parameters(spec, imageChannels: image.map(JobInputs.tensorChannels),
                                                    guideChannels: probed[JobInputs.guideFile].map(JobInputs.tensorChannels),
                                                    threads: threadsPerWorker, classifier: classifier.make)
        } catch let e as SpecError {
            throw Submission.invalid(e.field, e.problem)
        } catch {
            throw APIError.invalidInput(field: nil, problem: "\(error)")
        }
        // On the effective parameters: a spec may leave iterations (or snapshot_every) to the preset.
        if parameters.snapshotEvery > 0, parameters.iterations / parameters.snapshotEvery > limits.maxSnapshots {
            throw Submission.invalid("snapshot_every", "\(parameters.iterations) iterations every \(parameters.snapshotEvery) makes more than \(limits.maxSnapshots) snapshots")
        }
        // Larger images are cut into tiles, each fitted on its own; a task that is not tiled
        // (and every result) must fit the limits as a whole.
        // Without an image (activation), the job's input is described as the result it makes: size² RGB.
        let width = image?.width ?? parameters.size ?? 0, height = image?.height ?? parameters.size ?? 0
        let splitter = TileSplitter(configuration: configuration, decoder: decoder)
        let layout = splitter.layout(spec, width: width, height: height)
        let scale = TileSplitter.scale(spec)
        let (outWidth, outHeight) = (width * scale, height * scale)
        if outWidth * outHeight > limits.maxImagePixels {
            throw APIError.resultTooLarge("the result would be \(outWidth)×\(outHeight), over the limit of \(limits.maxImagePixels) pixels (max_image_pixels)")
        }
        if layout == nil, outWidth * outHeight > limits.maxFitPixels {
            throw APIError.resultTooLarge("task \(spec.task.rawValue) is fitted whole, and \(outWidth)×\(outHeight) is over the limit of \(limits.maxFitPixels) pixels a fit (max_fit_pixels)")
        }
        var files: [(file: String, bytes: [UInt8])] = []
        var names: [String: String] = [:]
        for (role, bytes) in submission.files.sorted(by: { $0.key < $1.key }) {
            let name = role + (probed[role]?.format == .jpeg ? ".jpg" : ".png")
            files.append((name, bytes)); names[role] = name
        }
        let info = JobRecord.InputInfo(width: width, height: height, channels: image.map(JobInputs.tensorChannels) ?? 3,
                                       hasAlpha: image?.hasAlpha ?? false, bitDepth: image?.bitDepth ?? 8, files: names)
        let make = { (id: JobID, sequence: UInt64) in
            JobRecord(id: id, sequence: sequence, state: .queued, spec: spec, parameters: parameters, input: info,
                      idempotencyKey: key, createdAt: Date(), attempts: 0,
                      progress: .init(iteration: 0, total: parameters.iterations), snapshots: [])
        }
        let outcome: SubmitOutcome
        do {
            if let layout {
                let guideChannels = probed[JobInputs.guideFile].map(JobInputs.tensorChannels)
                let (parent, tiles): (JobRecord, [TileSubmission])
                do {
                    (parent, tiles) = try splitter.split(make(JobID.random(), 0), files: submission.files, layout: layout) { s in
                        try TaskCatalog.parameters(s, imageChannels: info.channels, guideChannels: guideChannels,
                                                   threads: threadsPerWorker, classifier: classifier.make)
                    }
                } catch let e as InputDecoder.Failure {
                    throw APIError(e, limits: limits)
                }
                outcome = try jobs.submitTiled(idempotencyKey: key, parent: parent, inputs: files, tiles: tiles)
            } else {
                outcome = try jobs.submit(idempotencyKey: key, inputs: files, make: make)
            }
        } catch let error as JobRejection {
            throw rejection(error)
        }
        switch outcome {
        case .existing(let r):
            return submitted(r, status: .ok)
        case .created(let r):
            let client = ClientAddress.of(request, trusted: configuration.trustedProxies)
            let tiled = r.tiling.map { ", in \($0.jobs.count) tiles (\($0.jobs.count { $0 != nil }) fitted)" } ?? ""
            logger.info("job \(r.id) queued: \(spec.task.rawValue) \(width)x\(height)\(tiled), \(parameters.iterations) iterations, from \(client)")
            return submitted(r, status: .accepted)
        }
    }

    /// The answer to a submission: the job as it is now (it may have started already), and where to find it.
    private func submitted(_ record: JobRecord, status: HTTPStatus) -> Response {
        var response = jobResponse((try? jobs.job(record.id)) ?? nil ?? .init(record: record, queuePosition: nil, iterationsPerSecond: nil), status: status)
        response.headers.add(name: "Location", value: links.job(record.id))
        return response
    }

    private func idempotencyKey(_ request: Request) throws(APIError) -> String? {
        guard let key = request.headers["Idempotency-Key"] else { return nil }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .invalidIdempotencyKey
        }
        return key
    }

    private func rejection(_ r: JobRejection) -> APIError {
        switch r {
        case .queueFull: .queueFull(capacity: configuration.queueCapacity, retryAfterSeconds: configuration.retryAfterSeconds)
        case .draining: .draining(retryAfterSeconds: configuration.retryAfterSeconds)
        }
    }
}

extension APIError {
    /// An upload that does not decode, with the limits it was held to.
    init(_ failure: InputDecoder.Failure, limits: ServiceConfiguration.Limits) {
        switch failure {
        case .notAnImage(let part):
            self = .unsupportedMediaType(.notAnImage(part: part))
        case let .tooLarge(part, w, h):
            self = .imageTooLarge(part: part, width: w, height: h, maxPixels: limits.maxImagePixels, maxSide: limits.maxImageSide)
        case let .corrupt(part, reason):
            self = .invalidImage(part: part, reason: reason)
        }
    }
}
