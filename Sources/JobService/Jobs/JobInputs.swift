import DIPEngine
import ImageCodec
import ImageTensors

/// The uploaded images of a job, decoded. Which ones a task needs is the catalogue's business.
struct JobInputs {
    var image: ImageTensor
    var mask: Tensor?
    var guide: ImageTensor?

    /// Names of the stored input files.
    static let imageFile = "image", maskFile = "mask", guideFile = "guide"
}

/// Image bytes → decoded image, with the service's limits. Errors name the part.
struct InputDecoder {
    var limits: DecodeLimits

    /// The decoder of uploads at submission and of stored inputs at run time: the same
    /// configured limits for both.
    init(_ limits: ServiceConfiguration.Limits) {
        self.limits = DecodeLimits(maxWidth: limits.maxImageSide, maxHeight: limits.maxImageSide, maxPixels: limits.maxImagePixels)
    }

    enum Failure: Error, Equatable {
        case notAnImage(part: String)
        case tooLarge(part: String, width: Int, height: Int)
        case corrupt(part: String, reason: String)
    }

    func decode(_ bytes: [UInt8], part: String) throws(Failure) -> Image {
        guard ImageCodec.sniff(bytes) != nil else { throw .notAnImage(part: part) }
        do {
            return try ImageCodec.decode(bytes, limits: limits)
        } catch {
            switch error {
            case let .tooLarge(w, h): throw .tooLarge(part: part, width: w, height: h)
            case .unsupportedFormat: throw .notAnImage(part: part)
            default: throw .corrupt(part: part, reason: error.description)
            }
        }
    }
}
