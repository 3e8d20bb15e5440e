import CTurboJPEG

/// Real JPEGs for the tests, made with TurboJPEG's encoder: the decoder's fixtures (orientations,
/// YCCK) and the artefact-removal task's inputs.
public enum JPEGEncoder {
    /// How the encoder stores colour: at full resolution (4:4:4), or with chroma halved in both
    /// directions (4:2:0), as cameras and phones save. Grey images have no chroma either way.
    public enum Chroma: Sendable { case full, halved }

    /// Compresses 8-bit interleaved pixels of 1 (grey), 3 (RGB) or 4 (CMYK) channels. TurboJPEG
    /// writes CMYK as YCCK, with an Adobe APP14 segment.
    public static func encode(_ pixels: [UInt8], width: Int, height: Int, channels: Int,
                              quality: Int = 95, chroma: Chroma = .full) -> [UInt8] {
        precondition(pixels.count == width * height * channels, "\(pixels.count) samples for \(width)x\(height)x\(channels)")
        let format: TJPF
        switch channels {
        case 1: format = TJPF_GRAY
        case 3: format = TJPF_RGB
        case 4: format = TJPF_CMYK
        default: preconditionFailure("no JPEG pixel format has \(channels) channels")
        }
        let subsampling = channels == 1 ? TJSAMP_GRAY : chroma == .halved ? TJSAMP_420 : TJSAMP_444
        let handle = tjInitCompress()!
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = pixels.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(format.rawValue),
                        &buffer, &size, Int32(subsampling.rawValue), Int32(quality), 0)
        }
        defer { tjFree(buffer) }
        precondition(status == 0, String(cString: tjGetErrorStr2(handle)))
        return Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
    }
}
