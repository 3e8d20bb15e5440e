/// The EXIF Orientation tag (TIFF tag 0x0112): how the stored pixels must be turned to stand
/// upright. Cameras and phones store the sensor's rows as read and record the turn here.
///
/// Each case names the transform that makes the stored picture upright. In the tag's own terms
/// (which side of the upright picture the stored row 0 and column 0 show):
///
/// | value | stored row 0 | stored column 0 | transform |
/// | --- | --- | --- | --- |
/// | 1 | top | left | none |
/// | 2 | top | right | mirror left ↔ right |
/// | 3 | bottom | right | rotate 180° |
/// | 4 | bottom | left | mirror top ↔ bottom |
/// | 5 | left | top | transpose (mirror across the main diagonal) |
/// | 6 | right | top | rotate 90° clockwise |
/// | 7 | right | bottom | transverse (mirror across the other diagonal) |
/// | 8 | left | bottom | rotate 90° counter-clockwise |
///
/// Values 5–8 swap width and height.
enum ExifOrientation: Int, Sendable, CaseIterable {
    case identity = 1
    case mirrorHorizontal = 2
    case rotate180 = 3
    case mirrorVertical = 4
    case transpose = 5
    case rotate90Clockwise = 6
    case transverse = 7
    case rotate90CounterClockwise = 8

    /// Whether the upright picture's width is the stored height (values 5–8).
    var swapsSides: Bool { rawValue >= 5 }

    /// The upright size of a picture stored as `width` × `height`.
    func upright(width: Int, height: Int) -> (width: Int, height: Int) {
        swapsSides ? (height, width) : (width, height)
    }

    /// The stored pixels turned upright: `pixels` holds `width` × `height` pixels of `channels`
    /// interleaved samples, row-major. Returns the upright buffer and its size.
    ///
    /// Upright pixel (x, y) is read from stored pixel index `start + x·dx + y·dy`, so every
    /// orientation is one pass over the output.
    func apply(to pixels: [UInt8], width w: Int, height h: Int, channels c: Int) -> (pixels: [UInt8], width: Int, height: Int) {
        precondition(w >= 0 && h >= 0 && c > 0 && pixels.count == w * h * c, "pixel buffer does not match \(w)×\(h)×\(c)")
        if self == .identity || w == 0 || h == 0 { return (pixels, w, h) }
        let (outW, outH) = upright(width: w, height: h)
        let last = w * h - 1
        // Stored (row r, column c) is pixel r·w + c. For upright (x, y):
        let (start, dx, dy): (Int, Int, Int) = switch self {
        case .identity: (0, 1, w)                               // r = y,           c = x
        case .mirrorHorizontal: (w - 1, -1, w)                  // r = y,           c = w − 1 − x
        case .rotate180: (last, -1, -w)                         // r = h − 1 − y,   c = w − 1 − x
        case .mirrorVertical: ((h - 1) * w, 1, -w)              // r = h − 1 − y,   c = x
        case .transpose: (0, w, 1)                              // r = x,           c = y
        case .rotate90Clockwise: ((h - 1) * w, -w, 1)           // r = h − 1 − x,   c = y
        case .transverse: (last, -w, -1)                        // r = h − 1 − x,   c = w − 1 − y
        case .rotate90CounterClockwise: (w - 1, w, -1)          // r = x,           c = w − 1 − y
        }
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var d = 0
                for y in 0..<outH {
                    var s = start + y * dy
                    for _ in 0..<outW {
                        for k in 0..<c { dst[d + k] = src[s * c + k] }
                        d += c
                        s += dx
                    }
                }
            }
        }
        return (out, outW, outH)
    }
}

extension ExifOrientation {
    /// "Exif\0\0", which starts an APP1 segment holding EXIF data.
    static let app1Signature: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]

    /// Whether an APP1 segment's payload (`bytes[payload]`) is EXIF. Other APP1 segments
    /// (XMP, for one) do not state an orientation.
    static func isExif(_ bytes: [UInt8], payload: Range<Int>) -> Bool {
        payload.lowerBound >= 0 && payload.upperBound <= bytes.count && payload.count >= app1Signature.count
            && bytes[payload.lowerBound..<(payload.lowerBound + app1Signature.count)].elementsEqual(app1Signature)
    }

    /// The orientation an EXIF APP1 payload states in its first IFD, or `.identity` when it
    /// states none or cannot be read: a header, offset or IFD entry outside the payload, an
    /// unknown byte order, a value outside 1...8. The first Orientation entry counts. Every read is bounds-checked against the
    /// payload, so damaged or hostile data never traps; it is only ignored.
    static func read(exif bytes: [UInt8], payload: Range<Int>) -> ExifOrientation {
        guard isExif(bytes, payload: payload) else { return .identity }
        // The TIFF structure follows the signature; its offsets count from its first byte.
        let tiff = payload.lowerBound + app1Signature.count, end = payload.upperBound
        guard end - tiff >= 8 else { return .identity }
        let littleEndian: Bool
        switch (bytes[tiff], bytes[tiff + 1]) {
        case (0x49, 0x49): littleEndian = true    // "II"
        case (0x4D, 0x4D): littleEndian = false   // "MM"
        default: return .identity
        }
        func unsigned(at offset: Int, size: Int) -> Int? {
            // `offset` is at most 2^32 − 1 past `tiff`, so the sums cannot overflow.
            guard offset >= 0, size <= end - tiff, offset <= end - tiff - size else { return nil }
            var value = 0
            for k in 0..<size {
                let byte = Int(bytes[tiff + offset + (littleEndian ? size - 1 - k : k)])
                value = value << 8 | byte
            }
            return value
        }
        // IFD0: a count, then 12-byte entries (tag, type, count, value or offset). A segment
        // cut short inside them is ignored whole, even where the Orientation entry survives.
        guard unsigned(at: 2, size: 2) == 42, let ifd = unsigned(at: 4, size: 4),
              let count = unsigned(at: ifd, size: 2), ifd + 2 + 12 * count <= end - tiff else { return .identity }
        for index in 0..<count {
            let entry = ifd + 2 + 12 * index
            guard let tag = unsigned(at: entry, size: 2) else { return .identity }
            guard tag == 0x0112 else { continue }
            // Type SHORT (3) as the standard has it; LONG (4) from lax writers is read too.
            // A count of 0 holds no value. The value sits in the entry's first bytes.
            guard let type = unsigned(at: entry + 2, size: 2), let values = unsigned(at: entry + 4, size: 4),
                  values >= 1 else { return .identity }
            let value: Int? = switch type {
            case 3: unsigned(at: entry + 8, size: 2)
            case 4: unsigned(at: entry + 8, size: 4)
            default: nil
            }
            return value.flatMap(ExifOrientation.init(rawValue:)) ?? .identity
        }
        return .identity
    }
}
