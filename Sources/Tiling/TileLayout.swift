/// How an image is cut: overlapping tiles of at most `tileSize` per side, row-major.
///
/// Per axis, a side of at most `tileSize` is one tile; a longer side is cut into
/// n = ⌈(side − overlap) / (tileSize − overlap)⌉ tiles of `tileSize` whose starts are spread
/// evenly (rounded) from 0 to side − tileSize, so consecutive tiles overlap by at least
/// `overlap` and tiles never leave the image. Every pixel lies in at most 2 tiles per axis, so
/// the blend's weights (`TileWeights`) are a ramp between two neighbours.
///
/// For some sides (those just under 2·tileSize; with overlaps near the largest, a few longer
/// ones too) n tiles of `tileSize` would put pixels in 3 tiles, and n − 1 tiles would overlap
/// by less than `overlap`. There the n tiles are shortened to the longest length that keeps
/// both rules: about 2·side/(n + 1), never much under 5/6 of `tileSize`. The tiles of one axis
/// always have one length.
public struct TileLayout: Codable, Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// The largest tile side (at least 1).
    public var tileSize: Int
    /// The smallest overlap between neighbouring tiles, after clamping (see `largestOverlap`).
    public var overlap: Int
    public var columns: Int
    public var rows: Int
    /// Row-major: tile `index` is at `row * columns + column`.
    public var tiles: [Tile]

    /// Precondition-free: throws nothing. A tile size below 1 is taken as 1, negative sizes as 0
    /// (no tiles), and the overlap is clamped to 0...`largestOverlap(tileSize:)`.
    public init(width: Int, height: Int, tileSize: Int, overlap: Int) {
        let size = max(1, tileSize)
        let overlap = min(max(0, overlap), Self.largestOverlap(tileSize: size))
        self.width = max(0, width); self.height = max(0, height)
        self.tileSize = size; self.overlap = overlap
        let xs = Self.spans(side: self.width, tileSize: size, overlap: overlap)
        let ys = Self.spans(side: self.height, tileSize: size, overlap: overlap)
        columns = xs.starts.count; rows = ys.starts.count
        var tiles: [Tile] = []
        tiles.reserveCapacity(columns * rows)
        for (row, y) in ys.starts.enumerated() {
            for (column, x) in xs.starts.enumerated() {
                tiles.append(Tile(index: tiles.count, row: row, column: column, x: x, y: y, width: xs.length, height: ys.length))
            }
        }
        self.tiles = tiles
    }

    /// Whether an image of this size is cut at all (either side over tileSize).
    public static func needsTiling(width: Int, height: Int, tileSize: Int) -> Bool {
        width > max(1, tileSize) || height > max(1, tileSize)
    }

    /// The largest overlap a layout keeps: a third of the tile size. Below 2/5 of it the rules
    /// above can always be met; a third leaves room for rounding, and more overlap would spend
    /// most of each tile's fit on pixels another tile fits too.
    public static func largestOverlap(tileSize: Int) -> Int { max(1, tileSize) / 3 }

    /// One axis: the tiles' starts and their common length.
    static func spans(side: Int, tileSize: Int, overlap: Int) -> (starts: [Int], length: Int) {
        guard side > 0 else { return ([], 0) }
        guard side > tileSize else { return ([0], side) }
        let step = tileSize - overlap
        let n = (side - overlap + step - 1) / step
        // Three tiles or more of length L keep to 2 per pixel only if L ≤ about 2·side/(n + 1).
        let longest = n == 2 ? tileSize : min(tileSize, 2 * side / (n + 1) + 1)
        for length in stride(from: longest, through: 1, by: -1) {
            let starts = spread(n, last: side - length)
            if keepsRules(starts, length: length, overlap: overlap) { return (starts, length) }
        }
        assertionFailure("no layout for side \(side), tile \(tileSize), overlap \(overlap)")
        return (spread(n, last: side - tileSize), tileSize)
    }

    /// n starts spread evenly from 0 to `last`, each rounded half up (integer arithmetic, so exact).
    static func spread(_ n: Int, last: Int) -> [Int] {
        (0..<n).map { i in (2 * i * last + (n - 1)) / (2 * (n - 1)) }
    }

    /// Neighbours overlap by at least `overlap`, and a tile ends before the one after next starts.
    static func keepsRules(_ starts: [Int], length: Int, overlap: Int) -> Bool {
        for i in starts.indices.dropLast() {
            let gap = starts[i + 1] - starts[i]
            if gap <= 0 || gap > length - overlap { return false }
            if i + 2 < starts.count, starts[i + 2] < starts[i] + length { return false }
        }
        return true
    }

    /// Why this layout cannot be blended, or nil: a layout decoded from a record may not be one
    /// `init` made. Checks the grid, and per axis that tiles cover the image with no pixel in
    /// more than 2 of them.
    var problem: String? {
        guard width >= 0, height >= 0, tileSize >= 1, columns >= 0, rows >= 0 else { return "negative size or count" }
        guard tiles.count == columns * rows else { return "\(tiles.count) tiles for \(columns)×\(rows)" }
        guard (width == 0 || height == 0) == tiles.isEmpty else { return "tiles do not match the image size" }
        for (k, t) in tiles.enumerated() {
            guard t.index == k, t.row == k / columns, t.column == k % columns else { return "tile \(k) is out of order" }
            guard t.width >= 1, t.height >= 1, t.x >= 0, t.y >= 0, t.x + t.width <= width, t.y + t.height <= height else {
                return "tile \(k) leaves the image"
            }
            let top = tiles[t.column], left = tiles[t.row * columns]
            guard t.x == top.x, t.width == top.width, t.y == left.y, t.height == left.height else { return "tile \(k) is off the grid" }
        }
        if tiles.isEmpty { return nil }
        let xs = (0..<columns).map { (start: tiles[$0].x, length: tiles[$0].width) }
        let ys = (0..<rows).map { (start: tiles[$0 * columns].y, length: tiles[$0 * columns].height) }
        if let why = Self.axisProblem(xs, side: width) { return "columns: \(why)" }
        if let why = Self.axisProblem(ys, side: height) { return "rows: \(why)" }
        return nil
    }

    static func axisProblem(_ spans: [(start: Int, length: Int)], side: Int) -> String? {
        guard spans.first?.start == 0, let last = spans.last, last.start + last.length == side else { return "do not span the image" }
        for i in spans.indices.dropLast() {
            let end = spans[i].start + spans[i].length
            guard spans[i + 1].start > spans[i].start, spans[i + 1].start <= end else { return "\(i) and \(i + 1) leave a gap" }
            if i + 2 < spans.count, spans[i + 2].start < end { return "a pixel of \(i) lies in 3 tiles" }
        }
        return nil
    }
}
