import CTurboJPEG

/// JPEG decoding through TurboJPEG: grayscale files give 1 channel; colour files, CMYK and YCCK
/// included, 3 (RGB). The picture is turned upright by its EXIF orientation, so its width and
/// height are those of the upright picture; the limits apply to that size.
///
/// Decoding is strict: anything libjpeg reports, even a warning such as premature end of data,
/// fails the decode, so a truncated upload is an error rather than a half-gray picture.
enum JPEGDecoder {
    static func decode(_ bytes: [UInt8], limits: DecodeLimits) throws(ImageCodecError) -> Image {
        let metadata = JPEGMetadata.read(bytes)
        let orientation = metadata.orientation
        if let frame = metadata.frame {
            if frame.isLossless { throw .unsupportedEncoding("lossless JPEG") }
            if frame.precision != 8 { throw .unsupportedEncoding("\(frame.precision)-bit JPEG") }
            if ![1, 3, 4].contains(frame.components) {
                throw .unsupportedEncoding("JPEG with \(frame.components) components")
            }
            // Height 0 means "given later in a DNL marker", which libjpeg does not support either.
            let upright = orientation.upright(width: frame.width, height: frame.height)
            try limits.check(width: upright.width, height: upright.height)
        }

        guard let handle = tjInitDecompress() else { throw .corrupt("TurboJPEG could not be initialised") }
        defer { tjDestroy(handle) }
        func failure() -> ImageCodecError {
            .corrupt(tjGetErrorStr2(handle).map { String(cString: $0) } ?? "TurboJPEG error")
        }

        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let headerStatus = bytes.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt($0.count), &width, &height, &subsampling, &colorspace)
        }
        guard headerStatus == 0 else { throw failure() }
        let upright = orientation.upright(width: Int(width), height: Int(height))
        try limits.check(width: upright.width, height: upright.height)

        // `decoded` samples per pixel come out of TurboJPEG; `channels` are returned.
        let decoded: Int, channels: Int, pixelFormat: TJPF
        switch colorspace {
        case Int32(TJCS_GRAY.rawValue): (decoded, channels, pixelFormat) = (1, 1, TJPF_GRAY)
        case Int32(TJCS_RGB.rawValue), Int32(TJCS_YCbCr.rawValue): (decoded, channels, pixelFormat) = (3, 3, TJPF_RGB)
        // libjpeg turns YCCK into CMYK itself.
        case Int32(TJCS_CMYK.rawValue), Int32(TJCS_YCCK.rawValue): (decoded, channels, pixelFormat) = (4, 3, TJPF_CMYK)
        default: throw .unsupportedEncoding("JPEG colour space \(colorspace)")
        }

        let w = Int(width), h = Int(height)
        var raw = [UInt8](repeating: 0, count: w * h * decoded)
        // LIMITSCANS bounds the work a hostile progressive file with thousands of scans can cause.
        let flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS
        let status = bytes.withUnsafeBufferPointer { src in
            raw.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, src.baseAddress, UInt(src.count), dst.baseAddress,
                              width, Int32(w * decoded), height, Int32(pixelFormat.rawValue), flags)
            }
        }
        guard status == 0 else { throw failure() }
        if decoded == 4 { raw = CMYKConversion.toRGB(raw, inverted: metadata.hasAdobeMarker) }
        let turned = orientation.apply(to: raw, width: w, height: h, channels: channels)
        return Image(width: turned.width, height: turned.height, channels: channels,
                     samples: SampleConversion.from8(turned.pixels), bitDepth: 8)
    }
}
