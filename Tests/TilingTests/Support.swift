import ImageCodec
@testable import Tiling

/// Per axis of a layout: the spans of its grid columns (or rows), in input pixels.
func columnSpans(_ layout: TileLayout) -> [(start: Int, length: Int)] {
    (0..<layout.columns).map { (start: layout.tiles[$0].x, length: layout.tiles[$0].width) }
}

func rowSpans(_ layout: TileLayout) -> [(start: Int, length: Int)] {
    (0..<layout.rows).map { (start: layout.tiles[$0 * layout.columns].y, length: layout.tiles[$0 * layout.columns].height) }
}

/// A deterministic 8-bit image: every sample k/255 for a pseudo-random k.
func randomImage(width: Int, height: Int, channels: Int, seed: UInt64) -> Image {
    var state = seed
    var samples = [Float](repeating: 0, count: width * height * channels)
    for i in samples.indices {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        samples[i] = Float(state >> 56) / 255
    }
    return Image(width: width, height: height, channels: channels, samples: samples)
}

func constantImage(width: Int, height: Int, channels: Int, value: Float) -> Image {
    Image(width: width, height: height, channels: channels, samples: [Float](repeating: value, count: width * height * channels))
}

/// The 8 bits a PNG would store: round(v·255), clamped to 0...255.
func quantised(_ image: Image) -> [UInt8] {
    image.samples.map { UInt8(min(max(($0 * 255).rounded(), 0), 255)) }
}
