import CPNG
import CPNGRead

/// PNG encoding: 8-bit through libpng's simplified write API, which handles errors internally;
/// 16-bit through the classic writer in CPNGRead, since the simplified API writes 16-bit samples
/// only as linear light (premultiplying alpha and marking the file gamma 1.0).
enum PNGEncoder {
    static func encode(_ image: Image, bitDepth: Int = 8) throws(ImageCodecError) -> [UInt8] {
        try validate(image)
        switch bitDepth {
        case 8: return try encode8(image)
        case 16: return try encode16(image)
        default: throw .invalidImage("PNG bit depth must be 8 or 16, got \(bitDepth)")
        }
    }

    private static func encode16(_ image: Image) throws(ImageCodecError) -> [UInt8] {
        // Big-endian, as PNG stores 16-bit samples.
        var pixels = [UInt8](repeating: 0, count: image.samples.count * 2)
        image.samples.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for i in 0..<src.count {
                    let v = SampleConversion.to16(src[i])
                    dst[2 * i] = UInt8(v >> 8)
                    dst[2 * i + 1] = UInt8(v & 0xFF)
                }
            }
        }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = pixels.withUnsafeBufferPointer { src in
            message.withUnsafeMutableBufferPointer { text in
                cpngwrite_encode(src.baseAddress, UInt32(image.width), UInt32(image.height), Int32(image.channels), 16,
                                 image.width * image.channels * 2, &out, &size, text.baseAddress, text.count)
            }
        }
        defer { cpngwrite_free(out) }
        guard status == 0, let out else {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw .invalidImage("libpng could not write the image: \(text)")
        }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    private static func encode8(_ image: Image) throws(ImageCodecError) -> [UInt8] {
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
