/// CMYK → RGB for 4-component JPEGs (CMYK, and YCCK, which libjpeg turns into CMYK).
///
/// Stored values: a plain CMYK JPEG holds ink amounts (0 = no ink), but Adobe's applications,
/// which write most CMYK JPEGs, store them inverted (0 = full ink) and mark the file with an
/// APP14 "Adobe" segment; libjpeg itself writes that segment for every CMYK or YCCK file it
/// makes, and Pillow inverts its CMYK data to match. So, as libjpeg-based viewers and browsers
/// do, values are taken as inverted when the Adobe segment is present and as plain otherwise.
///
/// Conversion: the multiplicative form R = (1 − C)(1 − K), G = (1 − M)(1 − K), B = (1 − Y)(1 − K),
/// as Pillow converts. With no colour profile applied it is an approximation, as in any decoder
/// that ignores ICC profiles; for K = 0 it is the exact inverse of the naive RGB → CMYK.
enum CMYKConversion {
    /// `cmyk` holds 4 interleaved 8-bit samples per pixel as TurboJPEG decodes them; returns 3
    /// RGB samples per pixel.
    static func toRGB(_ cmyk: [UInt8], inverted: Bool) -> [UInt8] {
        let pixels = cmyk.count / 4
        var rgb = [UInt8](repeating: 0, count: pixels * 3)
        cmyk.withUnsafeBufferPointer { src in
            rgb.withUnsafeMutableBufferPointer { dst in
                for p in 0..<pixels {
                    // "Remaining" amounts: 255 − ink, which inverted storage holds as is.
                    var k = Int(src[4 * p + 3])
                    if !inverted { k = 255 - k }
                    for channel in 0..<3 {
                        var c = Int(src[4 * p + channel])
                        if !inverted { c = 255 - c }
                        dst[3 * p + channel] = UInt8((c * k + 127) / 255)   // c·k/255, rounded
                    }
                }
            }
        }
        return rgb
    }
}
