import HTTPServer
import Testing
@testable import JobService

@Suite("API errors")
struct APIErrorTests {
    static let job = JobID.random()

    /// One of each case.
    static let samples: [APIError] = [
        .jobNotFound(job.rawValue), .snapshotNotFound(job: job, file: "3.png"), .fileNotFound(.noLongerStored),
        .resultNotReady("the job is queued"), .invalidQuery(field: "limit", problem: "too big"),
        .invalidSpec(field: "iterations", problem: "too many"), .invalidInput(field: nil, problem: "odd"),
        .invalidImage(part: "image", reason: "truncated"),
        .imageTooLarge(part: "image", width: 9000, height: 9000, maxPixels: 100, maxSide: 10), .resultTooLarge("too large"),
        .unsupportedMediaType(.missingContentType), .invalidIdempotencyKey, .unauthorized,
        .queueFull(capacity: 4, retryAfterSeconds: 30), .draining(retryAfterSeconds: 30),
        .storageUnavailable(retryAfterSeconds: 30), .insufficientStorage(retryAfterSeconds: 30), .pageAssetNotFound,
    ]

    /// The documented status and code of each case; the switch makes a new case fail to compile until it is here.
    static func documented(_ error: APIError) -> (status: Int, code: String) {
        switch error {
        case .jobNotFound: (404, "job_not_found")
        case .snapshotNotFound: (404, "snapshot_not_found")
        case .fileNotFound: (404, "file_not_found")
        case .resultNotReady: (409, "result_not_ready")
        case .invalidQuery: (422, "invalid_query")
        case .invalidSpec: (422, "invalid_spec")
        case .invalidInput: (422, "invalid_input")
        case .invalidImage: (422, "invalid_image")
        case .imageTooLarge: (413, "image_too_large")
        case .resultTooLarge: (413, "result_too_large")
        case .unsupportedMediaType: (415, "unsupported_media_type")
        case .invalidIdempotencyKey: (400, "invalid_idempotency_key")
        case .unauthorized: (401, "unauthorized")
        case .queueFull: (429, "queue_full")
        case .draining: (503, "draining")
        case .storageUnavailable: (503, "storage_unavailable")
        case .insufficientStorage: (507, "insufficient_storage")
        case .pageAssetNotFound: (404, "not_found")
        }
    }

    @Test func everyCaseHasItsOwnCodeAndItsDocumentedStatus() {
        #expect(Set(Self.samples.map(\.code)).count == Self.samples.count)
        for error in Self.samples {
            #expect(error.status.code == Self.documented(error).status, "\(error)")
            #expect(error.code == Self.documented(error).code, "\(error)")
        }
    }

    @Test func retriableErrorsSayWhenToRetry() {
        for error in Self.samples {
            let retriable = [429, 503, 507].contains(error.status.code)
            #expect((error.headers["Retry-After"] == "30") == retriable, "\(error)")
        }
        #expect(APIError.unauthorized.headers["WWW-Authenticate"] == #"Bearer realm="dipd""#)
    }

    @Test func aMalformedJobIDIsToldApartFromAnUnknownOne() {
        #expect(APIError.jobNotFound(Self.job.rawValue).message == "no job \(Self.job)")
        #expect(APIError.jobNotFound("nope").message == "no job has the id nope (ids are 26 characters of a-z and 2-7)")
    }

    @Test func theResponseIsTheServersErrorJSON() {
        let response = Response(error: APIError.invalidQuery(field: "limit", problem: "must be an integer from 1 to 100"))
        guard case .bytes(let body) = response.body else { Issue.record("no body"); return }
        #expect(response.status == .unprocessableContent && response.headers["Content-Type"] == "application/json")
        #expect(String(decoding: body, as: UTF8.self)
            == #"{"error":{"code":"invalid_query","message":"limit: must be an integer from 1 to 100"}}"#)
    }
}
