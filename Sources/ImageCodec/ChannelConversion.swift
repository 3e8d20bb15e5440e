extension Image {
    /// The same picture with a different channel layout (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA).
    ///
    /// Colour → gray uses Rec. 601 luma (0.299 R + 0.587 G + 0.114 B), the weights most image
    /// libraries use for "L"; gray → colour replicates the value. A missing alpha channel is added
    /// as fully opaque (1); an unwanted one is dropped without compositing. The bit depth is kept.
    public func converted(toChannels target: Int) -> Image {
        precondition((1...4).contains(target), "channels must be 1...4, got \(target)")
        precondition((1...4).contains(channels), "image has \(channels) channels")
        // The loop below reads through unchecked pointers, so a size mismatch must stop here.
        precondition(width >= 0 && height >= 0 && samples.count == width * height * channels,
                     "image has \(samples.count) samples for \(width)×\(height)×\(channels)")
        if target == channels { return self }

        let n = width * height
        let sourceColour = channels >= 3, targetColour = target >= 3
        let sourceAlpha = hasAlpha, targetAlpha = target == 2 || target == 4
        var out = [Float](repeating: 0, count: n * target)
        samples.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for p in 0..<n {
                    let s = p * channels, d = p * target
                    if targetColour {
                        if sourceColour {
                            dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
                        } else {
                            dst[d] = src[s]; dst[d + 1] = src[s]; dst[d + 2] = src[s]
                        }
                    } else {
                        dst[d] = sourceColour
                            ? 0.299 * src[s] + 0.587 * src[s + 1] + 0.114 * src[s + 2]
                            : src[s]
                    }
                    if targetAlpha {
                        dst[d + target - 1] = sourceAlpha ? src[s + channels - 1] : 1
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: target, samples: out, bitDepth: bitDepth)
    }
}
