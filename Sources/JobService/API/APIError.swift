import HTTPServer

/// Every error the API answers with. Each case has its status, its `code` (documented in
/// openapi.yaml, so clients may branch on it) and its message here and nowhere else.
enum APIError: HTTPResponseError, Equatable {
    /// The id as given in the path: a malformed one gets a message that says what ids look like.
    case jobNotFound(String)
    case snapshotNotFound(job: JobID, file: String)
    case fileNotFound(MissingFile)
    /// Why the job has no result (yet).
    case resultNotReady(String)
    case invalidQuery(field: String, problem: String)
    case invalidSpec(field: String?, problem: String)
    case invalidInput(field: String?, problem: String)
    case invalidImage(part: String, reason: String)
    case imageTooLarge(part: String, width: Int, height: Int, maxPixels: Int, maxSide: Int)
    /// A fit over `max_fit_pixels` that cannot be tiled, or a result over `max_image_pixels`.
    case resultTooLarge(String)
    case unsupportedMediaType(UnsupportedMedia)
    case invalidIdempotencyKey
    case unauthorized
    case queueFull(capacity: Int, retryAfterSeconds: Int)
    case draining(retryAfterSeconds: Int)
    case storageUnavailable(retryAfterSeconds: Int)
    case insufficientStorage(retryAfterSeconds: Int)
    case pageAssetNotFound

    enum MissingFile: Equatable {
        case inputImage(of: JobID)
        /// The record names the file but the store no longer has it.
        case noLongerStored
    }

    enum UnsupportedMedia: Equatable {
        case missingContentType
        case contentType(String)
        case notAnImage(part: String)
    }

    var status: HTTPStatus {
        switch self {
        case .jobNotFound, .snapshotNotFound, .fileNotFound, .pageAssetNotFound: .notFound
        case .resultNotReady: .conflict
        case .invalidQuery, .invalidSpec, .invalidInput, .invalidImage: .unprocessableContent
        case .imageTooLarge, .resultTooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .invalidIdempotencyKey: .badRequest
        case .unauthorized: .unauthorized
        case .queueFull: .tooManyRequests
        case .draining, .storageUnavailable: .serviceUnavailable
        case .insufficientStorage: .insufficientStorage
        }
    }

    var code: String {
        switch self {
        case .jobNotFound: "job_not_found"
        case .snapshotNotFound: "snapshot_not_found"
        case .fileNotFound: "file_not_found"
        case .resultNotReady: "result_not_ready"
        case .invalidQuery: "invalid_query"
        case .invalidSpec: "invalid_spec"
        case .invalidInput: "invalid_input"
        case .invalidImage: "invalid_image"
        case .imageTooLarge: "image_too_large"
        case .resultTooLarge: "result_too_large"
        case .unsupportedMediaType: "unsupported_media_type"
        case .invalidIdempotencyKey: "invalid_idempotency_key"
        case .unauthorized: "unauthorized"
        case .queueFull: "queue_full"
        case .draining: "draining"
        case .storageUnavailable: "storage_unavailable"
        case .insufficientStorage: "insufficient_storage"
        case .pageAssetNotFound: "not_found"
        }
    }

    var message: String {
        switch self {
        case .jobNotFound(let id) where JobID(id) == nil:
            "no job has the id \(id.prefix(64)) (ids are 26 characters of a-z and 2-7)"
        case .jobNotFound(let id): "no job \(id)"
        case let .snapshotNotFound(job, file): "job \(job) has no snapshot \(file.prefix(40))"
        case .fileNotFound(.inputImage(let job)): "job \(job) keeps no input image"
        case .fileNotFound(.noLongerStored): "the image is no longer stored"
        case .resultNotReady(let reason): reason
        case let .invalidQuery(field, problem): "\(field): \(problem)"
        case let .invalidSpec(field, problem), let .invalidInput(field, problem): field.map { "\($0): \(problem)" } ?? problem
        case let .invalidImage(part, reason): "\(part): \(reason)"
        case let .imageTooLarge(part, width, height, maxPixels, maxSide):
            "\(part): \(width)×\(height) is over the limit of \(maxPixels) pixels or \(maxSide) pixels a side"
        case .resultTooLarge(let why): why
        case .unsupportedMediaType(.missingContentType):
            "Content-Type is missing: send multipart/form-data, image/png or image/jpeg"
        case .unsupportedMediaType(.contentType(let type)):
            "Content-Type \(type) is not accepted: send multipart/form-data, image/png or image/jpeg"
        case .unsupportedMediaType(.notAnImage(let part)): "\(part): is not a PNG or JPEG image"
        case .invalidIdempotencyKey: "Idempotency-Key must be 1 to 255 visible ASCII characters"
        case .unauthorized: "this service needs Authorization: Bearer <API key>"
        case .queueFull(let capacity, _): "the queue holds \(capacity) jobs already; try again later"
        case .draining: "the service is shutting down and takes no new jobs"
        case .storageUnavailable: "the job store cannot be reached now; try again later"
        case .insufficientStorage: "the job store has no room for this job now; try again later"
        case .pageAssetNotFound: "no such page asset"
        }
    }

    var headers: HTTPHeaders {
        switch self {
        case .unauthorized: ["WWW-Authenticate": #"Bearer realm="dipd""#]
        case .queueFull(_, let seconds), .draining(let seconds), .storageUnavailable(let seconds), .insufficientStorage(let seconds):
            ["Retry-After": String(seconds)]
        default: HTTPHeaders()
        }
    }
}
