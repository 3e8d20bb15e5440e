import TestData

/// The EXIF segments phones add to JPEGs, for the decoder's orientation tests; the JPEGs
/// themselves come from `JPEGEncoder` (TurboJPEG's encoder).
enum JPEGEncoding {
    /// `jpeg` with marker segments inserted right after SOI, in order.
    static func inserting(_ segments: [(marker: UInt8, payload: [UInt8])], into jpeg: [UInt8]) -> [UInt8] {
        var out = Array(jpeg.prefix(2))
        for (marker, payload) in segments { out += segment(marker, payload) }
        return out + jpeg.dropFirst(2)
    }

    static func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0xFF, marker, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
    }

    /// `jpeg` with an EXIF APP1 segment stating `orientation`.
    static func withOrientation(_ orientation: Int, _ jpeg: [UInt8], bigEndian: Bool = false) -> [UInt8] {
        inserting([(0xE1, ExifPayload(orientation: orientation, bigEndian: bigEndian).build())], into: jpeg)
    }
}

/// An APP1 EXIF payload: "Exif\0\0", a TIFF header and IFD0, as cameras write it: entries in
/// tag order, values longer than 4 bytes stored after the IFD, a link to the next IFD.
struct ExifPayload {
    /// nil leaves the Orientation entry out.
    var orientation: Int?
    var bigEndian = false
    /// TIFF type of the Orientation entry: 3 SHORT as the standard has it; 4 LONG as some write.
    var orientationType = 3
    /// Make and Model entries before it, and an ExifIFD pointer after it, as phones write.
    var otherEntries = true

    func build() -> [UInt8] {
        var tiff: [UInt8] = bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]
        tiff += u16(42) + u32(8)
        var entries: [(tag: Int, type: Int, count: Int, value: [UInt8])] = []
        var extra: [UInt8] = []
        let entryCount = (otherEntries ? 3 : 0) + (orientation == nil ? 0 : 1)
        let dataStart = 8 + 2 + 12 * entryCount + 4
        func ascii(_ text: String) -> [UInt8] {
            let bytes = Array(text.utf8) + [0]
            let offset = dataStart + extra.count
            extra += bytes
            return u32(offset)
        }
        if otherEntries {
            entries.append((0x010F, 2, 8, ascii("Example")))     // Make
            entries.append((0x0110, 2, 10, ascii("Phone 12a")))  // Model
        }
        if let orientation {
            let value = orientationType == 4 ? u32(orientation) : u16(orientation) + [0, 0]
            entries.append((0x0112, orientationType, 1, value))
        }
        if otherEntries { entries.append((0x8769, 4, 1, u32(dataStart + extra.count))) }   // ExifIFD, empty
        tiff += u16(entries.count)
        for e in entries { tiff += u16(e.tag) + u16(e.type) + u32(e.count) + e.value }
        tiff += u32(0)   // no IFD1
        tiff += extra
        if otherEntries { tiff += u16(0) + u32(0) }   // the empty ExifIFD
        return Array("Exif".utf8) + [0, 0] + tiff
    }

    func u16(_ v: Int) -> [UInt8] {
        bigEndian ? [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)]
    }

    func u32(_ v: Int) -> [UInt8] {
        let be = [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
        return bigEndian ? be : be.reversed()
    }
}
