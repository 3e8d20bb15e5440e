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
        JPEGMetadata.read(bytes).frame
    }

    /// The frame header in a SOF segment's payload, or nil if the payload is too short for one.
    init?(marker: UInt8, bytes: [UInt8], payload: Range<Int>) {
        guard payload.count >= 6 else { return nil }
        let i = payload.lowerBound
        self.init(marker: marker,
                  precision: Int(bytes[i]),
                  width: Int(bytes[i + 3]) << 8 | Int(bytes[i + 4]),
                  height: Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]),
                  components: Int(bytes[i + 5]))
    }

    init(marker: UInt8, precision: Int, width: Int, height: Int, components: Int) {
        self.marker = marker; self.precision = precision; self.width = width; self.height = height
        self.components = components
    }

    /// SOF0...SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
    static func isStartOfFrame(_ marker: UInt8) -> Bool {
        (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
    }
}

/// What the decoder takes from the marker segments before the first scan: the frame header,
/// the EXIF orientation and whether an Adobe APP14 segment is present.
struct JPEGMetadata: Equatable {
    /// The first SOF segment; nil if none well-formed precedes the first scan.
    var frame: JPEGFrameHeader?
    /// From the first EXIF APP1 segment; `.identity` without one, or when it cannot be read.
    var orientation: ExifOrientation = .identity
    /// An APP14 segment starting "Adobe" with the 12 bytes libjpeg needs to recognise it. It says
    /// that 4-component (CMYK, YCCK) data is stored inverted (see `CMYKConversion`).
    var hasAdobeMarker = false

    /// The frame's size once turned upright.
    var uprightSize: (width: Int, height: Int)? {
        frame.map { orientation.upright(width: $0.width, height: $0.height) }
    }

    /// Walks the segments from SOI to the first scan, as libjpeg does, and stops without a
    /// verdict at anything malformed, keeping what it found before.
    static func read(_ bytes: [UInt8]) -> JPEGMetadata {
        var metadata = JPEGMetadata()
        guard bytes.starts(with: [0xFF, 0xD8]) else { return metadata }
        var sawExif = false
        var i = 2
        while i + 1 < bytes.count {
            guard bytes[i] == 0xFF else { return metadata }
            let marker = bytes[i + 1]
            i += 2
            switch marker {
            case 0xFF:
                i -= 1   // fill byte: the next 0xFF starts the marker
                continue
            case 0x01, 0xD0...0xD7:
                continue   // standalone markers carry no length
            case 0xD8, 0xD9, 0xDA:
                return metadata   // SOI again, EOI or start of scan
            default:
                break
            }
            guard i + 1 < bytes.count else { return metadata }
            let length = Int(bytes[i]) << 8 | Int(bytes[i + 1])
            if length < 2 {
                // libjpeg reads a segment it only skips (APPn, COM, DNL) with a length under 2 as
                // one without data, and goes on after the length field; so must we, or a file it
                // decodes would have no frame header here.
                guard (0xE0...0xEF).contains(marker) || marker == 0xFE || marker == 0xDC else { return metadata }
                i += 2
                continue
            }
            guard i + length <= bytes.count else { return metadata }
            let payload = (i + 2)..<(i + length)
            if JPEGFrameHeader.isStartOfFrame(marker) {
                // Only the first frame header counts; libjpeg refuses a second one.
                if metadata.frame == nil {
                    guard let frame = JPEGFrameHeader(marker: marker, bytes: bytes, payload: payload) else { return metadata }
                    metadata.frame = frame
                }
            } else if marker == 0xE1, !sawExif, ExifOrientation.isExif(bytes, payload: payload) {
                sawExif = true
                metadata.orientation = ExifOrientation.read(exif: bytes, payload: payload)
            } else if marker == 0xEE, payload.count >= 12,
                      bytes[payload.lowerBound..<(payload.lowerBound + 5)].elementsEqual("Adobe".utf8) {
                metadata.hasAdobeMarker = true
            }
            i += length
        }
        return metadata
    }
}
