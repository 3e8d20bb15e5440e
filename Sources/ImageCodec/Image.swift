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

    public init(width: Int, height: Int, channels: Int, samples: [Float]) {
        self.width = width
        self.height = height
        self.channels = channels
        self.samples = samples
    }

    /// True for the gray+alpha and RGBA layouts.
    public var hasAlpha: Bool { channels == 2 || channels == 4 }
}
