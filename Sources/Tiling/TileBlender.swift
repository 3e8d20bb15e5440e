import ImageCodec

/// Assembles the whole (output-size) image from tile outputs with the weights above.
///
/// Tiles are read one at a time, in index order (row-major: one grid row after another), and
/// each is added into the output with its weights as soon as it is read. The weights at every
/// pixel sum to 1, so no weight sums need keeping for a final division: besides the output,
/// the blend holds one tile's output and the weights (one row of floats per grid row and
/// column), so memory is output + O(tile), not output × tiles.
public enum TileBlender {
    /// `tile(i)` returns tile i's output: (tile.width*scale) × (tile.height*scale) × channels.
    /// It is called once per tile, in index order, and its image is released before the next call.
    /// Throws what `tile` throws; a tile of the wrong size or channel count is an error (TilingError),
    /// as are a scale or channel count below 1 and a layout that `TileLayout.init` would not make.
    /// The result has the largest bit depth of the tiles' (a 16-bit input's tiles keep its precision).
    public static func blend(layout: TileLayout, scale: Int = 1, channels: Int,
                             tile: (Int) throws -> Image) throws -> Image {
        guard scale >= 1 else { throw TilingError.invalidScale(scale) }
        guard channels >= 1 else { throw TilingError.invalidChannels(channels) }
        if let why = layout.problem { throw TilingError.invalidLayout(why) }
        let weights = TileWeights(layout: layout, scale: scale)
        let width = layout.width * scale, height = layout.height * scale
        var output = [Float](repeating: 0, count: width * height * channels)
        var bitDepth = 8
        for t in layout.tiles {
            let image = try tile(t.index)
            let w = t.width * scale, h = t.height * scale
            guard image.width == w, image.height == h, image.channels == channels else {
                throw TilingError.tileShape(index: t.index, expectedWidth: w, expectedHeight: h, expectedChannels: channels,
                                            width: image.width, height: image.height, channels: image.channels)
            }
            guard image.samples.count == w * h * channels else {
                throw TilingError.tileSamples(index: t.index, expected: w * h * channels, count: image.samples.count)
            }
            bitDepth = max(bitDepth, image.bitDepth)
            add(image.samples, columnWeights: weights.columnWeights[t.column], rowWeights: weights.rowWeights[t.row],
                at: t.x * scale, t.y * scale, width: w, height: h, channels: channels, into: &output, outputWidth: width)
        }
        return Image(width: width, height: height, channels: channels, samples: output, bitDepth: bitDepth)
    }

    /// output[x0 + x, y0 + y] += wx[x]·wy[y]·tile[x, y], every channel.
    static func add(_ tile: [Float], columnWeights wx: [Float], rowWeights wy: [Float], at x0: Int, _ y0: Int,
                    width: Int, height: Int, channels: Int, into output: inout [Float], outputWidth: Int) {
        tile.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                for y in 0..<height {
                    let from = y * width * channels, to = ((y0 + y) * outputWidth + x0) * channels
                    for x in 0..<width {
                        let w = wy[y] * wx[x]
                        for c in 0..<channels { target[to + x * channels + c] += w * source[from + x * channels + c] }
                    }
                }
            }
        }
    }
}
