/// Why tile outputs cannot be blended. Each names the tile at fault, so a job can say which
/// tile's fit went wrong.
public enum TilingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The scale (output pixels per input pixel) is below 1.
    case invalidScale(Int)
    /// The channel count asked for is below 1.
    case invalidChannels(Int)
    /// The layout is not one `TileLayout.init` makes (a record altered or damaged on disk).
    case invalidLayout(String)
    /// A tile's output has the wrong width, height or channel count for the layout and scale.
    case tileShape(index: Int, expectedWidth: Int, expectedHeight: Int, expectedChannels: Int,
                   width: Int, height: Int, channels: Int)
    /// A tile's output holds a sample count other than width × height × channels.
    case tileSamples(index: Int, expected: Int, count: Int)

    public var description: String {
        switch self {
        case .invalidScale(let s): "scale must be at least 1, got \(s)"
        case .invalidChannels(let c): "channels must be at least 1, got \(c)"
        case .invalidLayout(let why): "invalid tile layout: \(why)"
        case let .tileShape(i, ew, eh, ec, w, h, c):
            "tile \(i): output is \(w)×\(h)×\(c), expected \(ew)×\(eh)×\(ec)"
        case let .tileSamples(i, expected, count): "tile \(i): output holds \(count) samples, expected \(expected)"
        }
    }
}
