import CPNG

/// 8-bit PNG encoding through libpng's simplified write API, which handles errors internally.
enum PNGEncoder {
    static func encode(_ image: Image) throws(ImageCodecError) -> [UInt8] {
        try validate(image)
        let format: UInt32 = switch image.channels {
        case 1: UInt32(PNG_FORMAT_GRAY)
        case 2: UInt32(PNG_FORMAT_GA)
        case 3: UInt32(PNG_FORMAT_RGB)
        default: UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)   // PNG_FORMAT_RGBA does not import
        }
        let pixels = image.samples.map(SampleConversion.to8)
        let stride = image.width * image.channels

        // One pass into a buffer sized for incompressible data; libpng reports the needed size if
        // it was still too small, and a second pass then cannot fail for lack of room.
        let raw = image.height * (stride + 1)
        var capacity = raw + raw / 64 + 4096
        for _ in 0..<2 {
            var out = [UInt8](repeating: 0, count: capacity)
            var size = png_alloc_size_t(capacity)
            var png = png_image()
            png.version = UInt32(PNG_IMAGE_VERSION)
            png.width = UInt32(image.width)
            png.height = UInt32(image.height)
            png.format = format
            let ok = out.withUnsafeMutableBytes { dst in
                pixels.withUnsafeBytes { src in
                    png_image_write_to_memory(&png, dst.baseAddress, &size, 0, src.baseAddress, Int32(stride), nil)
                }
            }
            if ok != 0 {
                out.removeSubrange(Int(size)...)
                return out
            }
            guard Int(size) > capacity else {
                throw .invalidImage("libpng could not write the image: \(message(&png))")
            }
            capacity = Int(size)
        }
        throw .invalidImage("libpng kept asking for a larger output buffer")
    }

    private static func validate(_ image: Image) throws(ImageCodecError) {
        guard (1...4).contains(image.channels) else {
            throw .invalidImage("channels must be 1...4, got \(image.channels)")
        }
        // PNG allows up to 2^31-1; libpng's simplified writer also needs the stride in an Int32.
        guard image.width > 0, image.height > 0, image.width <= Int(Int32.max) / 4,
              image.height <= Int(Int32.max) else {
            throw .invalidImage("bad dimensions \(image.width)×\(image.height)")
        }
        let (count, overflow) = image.width.multipliedReportingOverflow(by: image.height * image.channels)
        guard !overflow, count == image.samples.count else {
            throw .invalidImage("expected \(image.width)×\(image.height)×\(image.channels) samples, got \(image.samples.count)")
        }
    }

    private static func message(_ png: inout png_image) -> String {
        withUnsafeBytes(of: &png.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
