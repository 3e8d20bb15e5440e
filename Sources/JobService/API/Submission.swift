import DIPTasks
import HTTPServer

/// A job submission taken apart: the spec and the uploaded files by role. Multipart
/// bodies carry the image in `image` (plus `mask`, `guide`) and the spec as a JSON part
/// `spec` or as form fields; a raw PNG/JPEG body carries the spec in the query string. A task
/// that takes no image (activation) may also come as a request without a body, its spec in the query.
struct Submission {
    var spec: TaskSpec
    var files: [String: [UInt8]]

    static let imageRoles = [JobInputs.imageFile, JobInputs.maskFile, JobInputs.guideFile]

    /// Throws `APIError`, or the `HTTPError` of a malformed multipart body.
    static func parse(_ request: Request, parser: SpecParser, maxUploadBytes: Int) throws -> Submission {
        if request.body.isEmpty, request.mediaType == nil || request.mediaType == "application/x-www-form-urlencoded",
           let name = request.query["task"], let task = TaskKind(rawValue: name), TaskCatalog.image(task) == .forbidden {
            return Submission(spec: try spec { () throws(SpecError) in try parser.parse(text: request.query.pairs) }, files: [:])
        }
        switch request.mediaType {
        case "multipart/form-data":
            return try multipart(request, parser: parser, maxUploadBytes: maxUploadBytes)
        case "image/png", "image/jpeg":
            var fields = request.query.pairs
            if !fields.contains(where: { $0.name == "task" }) { fields.append(("task", TaskKind.denoise.rawValue)) }
            return Submission(spec: try spec { () throws(SpecError) in try parser.parse(text: fields) },
                              files: [JobInputs.imageFile: request.body])
        case nil:
            throw APIError.unsupportedMediaType(.missingContentType)
        case let other?:
            throw APIError.unsupportedMediaType(.contentType(other))
        }
    }

    private static func multipart(_ request: Request, parser: SpecParser, maxUploadBytes: Int) throws -> Submission {
        if !request.query.isEmpty {
            throw APIError.invalidSpec(field: nil, problem: "with a multipart upload, give the spec in the form, not in the query")
        }
        var limits = MultipartLimits()
        limits.maxPartSize = maxUploadBytes
        limits.maxTotalSize = maxUploadBytes
        let parts = try request.multipartParts(limits: limits)
        var files: [String: [UInt8]] = [:]
        var specJSON: [UInt8]?
        var fields: [(name: String, value: String)] = []
        for part in parts {
            if imageRoles.contains(part.name) {
                guard files[part.name] == nil else { throw invalid(part.name, "is given more than once") }
                files[part.name] = part.body
            } else if part.name == "spec" {
                guard specJSON == nil else { throw invalid("spec", "is given more than once") }
                specJSON = part.body
            } else {
                guard part.filename == nil else { throw invalid(part.name, "unknown file part (known: image, mask, guide)") }
                guard let text = String(validating: part.body, as: UTF8.self) else { throw invalid(part.name, "is not UTF-8 text") }
                fields.append((part.name, text))
            }
        }
        let spec: TaskSpec
        if let specJSON {
            guard fields.isEmpty else { throw invalid(fields[0].name, "give the spec either as the JSON part spec or as form fields, not both") }
            spec = try Self.spec { () throws(SpecError) in try parser.parse(json: specJSON) }
        } else {
            if !fields.contains(where: { $0.name == "task" }) { fields.append(("task", TaskKind.denoise.rawValue)) }
            spec = try Self.spec { () throws(SpecError) in try parser.parse(text: fields) }
        }
        // Every task but activation restores an image (TaskCatalog.check refuses one given to activation).
        if files[JobInputs.imageFile] == nil, TaskCatalog.image(spec.task) != .forbidden {
            throw invalid("image", "is required: the image to restore, as a file part named image")
        }
        return Submission(spec: spec, files: files)
    }

    static func spec(_ body: () throws(SpecError) -> TaskSpec) throws(APIError) -> TaskSpec {
        do { return try body() } catch { throw invalid(error.field, error.problem) }
    }

    static func invalid(_ field: String, _ problem: String) -> APIError {
        .invalidSpec(field: field, problem: problem)
    }
}
