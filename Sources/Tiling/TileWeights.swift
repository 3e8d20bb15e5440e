import Foundation

/// Blend weights: per axis a raised-cosine ramp across each overlap, 1 elsewhere, so that at
/// every pixel the weights of the tiles covering it sum to 1 (the 2-D weight is the product).
///
/// A raised cosine has no kink where it meets the flat part, so a seam between two tiles that
/// fitted slightly different values fades over the whole overlap instead of stepping. Across
/// an overlap of m output pixels, at pixel q the later tile weighs (1 − cos(π(q + ½)/m))/2 and
/// the earlier one the rest; layouts put no pixel in more than 2 tiles per axis, so per axis
/// the weights at a pixel sum to 1, and the products of two such sums do too.
public struct TileWeights: Sendable {
    public let layout: TileLayout
    public let scale: Int
    /// Per grid column, the x weight at each of its tiles' output columns.
    let columnWeights: [[Float]]
    /// Per grid row, the y weight at each of its tiles' output rows.
    let rowWeights: [[Float]]

    /// `scale`: output pixels per input pixel (super-resolution); below 1 is taken as 1.
    public init(layout: TileLayout, scale: Int = 1) {
        self.layout = layout
        self.scale = max(1, scale)
        let tiles = layout.tiles
        let columns = (0..<layout.columns).compactMap { tiles.indices.contains($0) ? (start: tiles[$0].x, length: tiles[$0].width) : nil }
        let rows = (0..<layout.rows).compactMap { r in
            tiles.indices.contains(r * layout.columns) ? (start: tiles[r * layout.columns].y, length: tiles[r * layout.columns].height) : nil
        }
        columnWeights = Self.ramps(columns, scale: self.scale)
        rowWeights = Self.ramps(rows, scale: self.scale)
    }

    /// Weight of tile `index` at output pixel (x, y) given in the tile's own output coordinates;
    /// 0 outside the tile.
    public func weight(tile index: Int, x: Int, y: Int) -> Float {
        guard layout.tiles.indices.contains(index) else { return 0 }
        let t = layout.tiles[index]
        guard columnWeights.indices.contains(t.column), rowWeights.indices.contains(t.row),
              columnWeights[t.column].indices.contains(x), rowWeights[t.row].indices.contains(y) else { return 0 }
        return columnWeights[t.column][x] * rowWeights[t.row][y]
    }

    /// One axis's weights, in output pixels, for tiles at these input spans.
    static func ramps(_ spans: [(start: Int, length: Int)], scale: Int) -> [[Float]] {
        var weights = spans.map { [Float](repeating: 1, count: max(0, $0.length * scale)) }
        for i in spans.indices.dropLast() {
            let from = spans[i + 1].start * scale, to = (spans[i].start + spans[i].length) * scale
            let width = to - from
            guard width > 0 else { continue }
            let offset = from - spans[i].start * scale    // where the overlap starts in tile i
            for q in 0..<width {
                let rising = Float(0.5 - 0.5 * cos(Double.pi * (Double(q) + 0.5) / Double(width)))
                if weights[i].indices.contains(offset + q) { weights[i][offset + q] *= 1 - rising }
                if weights[i + 1].indices.contains(q) { weights[i + 1][q] *= rising }
            }
        }
        return weights
    }
}
