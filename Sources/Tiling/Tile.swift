/// A tile of the input image, in input pixels.
///
/// Tiles form a grid: every tile of a grid column has the same `x` and `width`, every tile of a
/// grid row the same `y` and `height`, and `index` is `row * columns + column`.
public struct Tile: Codable, Sendable, Equatable {
    public var index: Int
    public var row: Int
    public var column: Int
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(index: Int, row: Int, column: Int, x: Int, y: Int, width: Int, height: Int) {
        self.index = index; self.row = row; self.column = column
        self.x = x; self.y = y; self.width = width; self.height = height
    }
}
