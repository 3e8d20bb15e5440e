/// The JPEG start-of-frame fields, found by walking the marker segments.
///
/// TurboJPEG reports 12-bit, lossless or odd-component files only as generic errors; reading the
/// SOF ourselves lets those be told apart (`unsupportedEncoding`) from damaged data (`corrupt`).
struct JPEGFrameHeader: Equatable {
    var marker: UInt8
    var precision: Int
    var width: Int
    var height: Int
    var components: Int

    /// Lossless processes (SOF3, SOF7, SOF11, SOF15), which libjpeg-turbo 2.x cannot decode.
    var isLossless: Bool { marker & 0x03 == 0x03 }

    /// Returns nil if no well-formed SOF segment precedes the first scan; the caller then leaves
    /// the verdict to the full decoder.
    static func find(in bytes: [UInt8]) -> JPEGFrameHeader? {
        guard bytes.starts(with: [0xFF, 0xD8]) else { return nil }
        var i = 2
        while i + 1 < bytes.count {
            guard bytes[i] == 0xFF else { return nil }
            let marker = bytes[i + 1]
            i += 2
            switch marker {
            case 0xFF:
                i -= 1   // fill byte: the next 0xFF starts the marker
                continue
            case 0x01, 0xD0...0xD7:
                continue   // standalone markers carry no length
            case 0xD8, 0xD9, 0xDA:
                return nil   // SOI again, EOI or start of scan before any frame header
            default:
                break
            }
            guard i + 1 < bytes.count else { return nil }
            let length = Int(bytes[i]) << 8 | Int(bytes[i + 1])
            if length < 2 {
                // libjpeg reads a segment it only skips (APPn, COM, DNL) with a length under 2 as
                // one without data, and goes on after the length field; so must we, or a file it
                // decodes would have no frame header here.
                guard (0xE0...0xEF).contains(marker) || marker == 0xFE || marker == 0xDC else { return nil }
                i += 2
                continue
            }
            guard i + length <= bytes.count else { return nil }
            if isStartOfFrame(marker) {
                guard length >= 8 else { return nil }
                return JPEGFrameHeader(
                    marker: marker,
                    precision: Int(bytes[i + 2]),
                    width: Int(bytes[i + 5]) << 8 | Int(bytes[i + 6]),
                    height: Int(bytes[i + 3]) << 8 | Int(bytes[i + 4]),
                    components: Int(bytes[i + 7]))
            }
            i += length
        }
        return nil
    }

    /// SOF0...SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
    static func isStartOfFrame(_ marker: UInt8) -> Bool {
        (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
    }
}
