// The service's users (dipd, its tests) see the spec types as the service's own.
@_exported import DIPTasks
import DIPEngine
import ImageCodec
import ImageTensors

/// The uploaded images of a job as stored. Which ones a task needs is the catalogue's business.
enum JobInputs {
    /// Names of the stored input files.
    static let imageFile = "image", maskFile = "mask", guideFile = "guide"

    /// The engine's channels for an image of this layout, as `ImageTensor` takes them: alpha
    /// set aside, gray stays 1, colour 3.
    static func tensorChannels(_ info: ImageInfo) -> Int { info.channels >= 3 ? 3 : 1 }
}

/// Image bytes → header or decoded image, with the service's limits. Errors name the part.
struct InputDecoder {
    var limits: DecodeLimits

    /// The checker of uploads at submission and the decoder of stored inputs at run time:
    /// the same configured limits for both.
    init(_ limits: ServiceConfiguration.Limits) {
        self.limits = DecodeLimits(maxWidth: limits.maxImageSide, maxHeight: limits.maxImageSide, maxPixels: limits.maxImagePixels)
    }

    enum Failure: Error, Equatable, CustomStringConvertible {
        case notAnImage(part: String)
        case tooLarge(part: String, width: Int, height: Int)
        case corrupt(part: String, reason: String)

        var description: String {
            switch self {
            case .notAnImage(let part): "\(part): not a PNG or JPEG image"
            case let .tooLarge(part, w, h): "\(part): image too large: \(w)×\(h)"
            case let .corrupt(part, reason): "\(part): \(reason)"
            }
        }
    }

    /// The upload's header, checked as the decoder would check it; no pixels are decoded.
    func probe(_ bytes: [UInt8], part: String) throws(Failure) -> ImageInfo {
        try reading(bytes, part: part) { () throws(ImageCodecError) in try ImageCodec.probe(bytes, limits: limits) }
    }

    func decode(_ bytes: [UInt8], part: String) throws(Failure) -> Image {
        try reading(bytes, part: part) { () throws(ImageCodecError) in try ImageCodec.decode(bytes, limits: limits) }
    }

    private func reading<T>(_ bytes: [UInt8], part: String, _ body: () throws(ImageCodecError) -> T) throws(Failure) -> T {
        guard ImageCodec.sniff(bytes) != nil else { throw .notAnImage(part: part) }
        do {
            return try body()
        } catch {
            switch error {
            case let .tooLarge(w, h): throw .tooLarge(part: part, width: w, height: h)
            case .unsupportedFormat: throw .notAnImage(part: part)
            default: throw .corrupt(part: part, reason: error.description)
            }
        }
    }
}
