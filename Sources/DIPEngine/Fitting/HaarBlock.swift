/// One 2×2 block of an image plane, by the indices of its four values (top left, top right,
/// bottom left, bottom right). Its diagonal Haar detail, (a − b − c + d)/2, cancels smooth
/// content and keeps white noise's σ: the finest-scale noise measure that `NoiseLevel` and
/// `ChromaNoise` take their medians of.
struct HaarBlock {
    let a, b, c, d: Int

    /// The diagonal detail of the values `value` gives at the block's indices.
    @inline(__always) func detail(_ value: (Int) -> Float) -> Float {
        abs(value(a) - value(b) - value(c) + value(d)) / 2
    }

    /// Whether `test` holds at all four indices.
    @inline(__always) func all(_ test: (Int) -> Bool) -> Bool {
        test(a) && test(b) && test(c) && test(d)
    }

    /// Calls `body` with every whole block of a width × height plane, the blocks side by side
    /// (an odd last row or column belongs to none).
    @inline(__always) static func forEach(width w: Int, height h: Int, _ body: (HaarBlock) -> Void) {
        for y in stride(from: 0, to: h - 1, by: 2) {
            for x in stride(from: 0, to: w - 1, by: 2) {
                body(HaarBlock(a: y * w + x, b: y * w + x + 1, c: (y + 1) * w + x, d: (y + 1) * w + x + 1))
            }
        }
    }
}
