/// A decoded image: interleaved float samples in [0, 1].
///
/// Samples are stored row-major, H×W×C, so sample `c` of pixel `(x, y)` is at
/// `(y * width + x) * channels + c`. Channel layouts: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
/// Alpha is straight (not premultiplied). The initializer does not validate: the encoder reports an
/// inconsistent image as `invalidImage`, while `converted(toChannels:)` treats it as a programming error.
public struct Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var samples: [Float]
    /// The precision the samples carry: 8 when each is a multiple of 1/255, 16 when of 1/65535.
    /// The decoders set it from the file (16 for a 16-bit PNG, 8 otherwise, PNGs under 8 bits
    /// included); an image made in memory says 8 unless told. It is information for the caller,
    /// who can pass it to `ImageCodec.encodePNG(_:bitDepth:)` to keep a 16-bit input's precision.
    public var bitDepth: Int

    public init(width: Int, height: Int, channels: Int, samples: [Float], bitDepth: Int = 8) {
        self.width = width
        self.height = height
        self.channels = channels
        self.samples = samples
        self.bitDepth = bitDepth
    }

    /// True for the gray+alpha and RGBA layouts.
    public var hasAlpha: Bool { channels == 2 || channels == 4 }
}
