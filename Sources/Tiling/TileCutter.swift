import ImageCodec

/// Cuts a tile's pixels out of the input, so each tile can be fitted as an image of its own.
public enum TileCutter {
    /// The tile's pixels (all channels) as an Image of tile.width × tile.height, of the image's bit depth.
    /// The tile must lie inside the image (every tile of the image's `TileLayout` does).
    public static func cut(_ image: Image, _ tile: Tile) -> Image {
        precondition(tile.x >= 0 && tile.y >= 0 && tile.width >= 0 && tile.height >= 0
                     && tile.x + tile.width <= image.width && tile.y + tile.height <= image.height,
                     "tile \(tile.index) (\(tile.x),\(tile.y) \(tile.width)×\(tile.height)) outside the \(image.width)×\(image.height) image")
        let c = image.channels, rowLength = tile.width * c
        var samples = [Float](repeating: 0, count: tile.height * rowLength)
        image.samples.withUnsafeBufferPointer { source in
            samples.withUnsafeMutableBufferPointer { target in
                for row in 0..<tile.height {
                    let from = ((tile.y + row) * image.width + tile.x) * c
                    for i in 0..<rowLength { target[row * rowLength + i] = source[from + i] }
                }
            }
        }
        return Image(width: tile.width, height: tile.height, channels: c, samples: samples, bitDepth: image.bitDepth)
    }
}
