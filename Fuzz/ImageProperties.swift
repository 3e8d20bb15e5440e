// Properties shared by the PNG and JPEG targets. They are compiled into the same module as
// the codec, so they can read its internal types.

/// Limits small enough that a tiny file claiming a large image stays cheap to decode.
let fuzzLimits = DecodeLimits(maxWidth: 1024, maxHeight: 1024, maxPixels: 1 << 16)
/// Tighter limits: decoding under them must agree with decoding under `fuzzLimits`.
let tightLimits = DecodeLimits(maxWidth: 64, maxHeight: 48, maxPixels: 2000)

func attempt<T>(_ body: () throws(ImageCodecError) -> T) -> Result<T, ImageCodecError> {
    do { return .success(try body()) } catch { return .failure(error) }
}

/// A decoded image is within the limits and its buffer matches its dimensions.
func checkShape(_ image: Image, _ limits: DecodeLimits, channels allowed: ClosedRange<Int>) {
    require(image.width > 0 && image.height > 0, "empty image decoded")
    require(image.width <= limits.maxWidth && image.height <= limits.maxHeight
                 && image.width * image.height <= limits.maxPixels, "decoded image exceeds the limits")
    require(allowed.contains(image.channels), "unexpected channel count \(image.channels)")
    require(image.samples.count == image.width * image.height * image.channels, "sample count does not match the size")
    for s in image.samples { require(s >= 0 && s <= 1, "sample out of [0, 1]: \(s)") }
}

/// A probe's answer is within the limits and describes a layout the decoder produces.
func checkInfo(_ info: ImageInfo, _ limits: DecodeLimits, format: ImageFormat) {
    require(info.format == format, "probe reports the wrong format")
    require(info.width > 0 && info.height > 0 && info.width <= limits.maxWidth && info.height <= limits.maxHeight
                 && info.width * info.height <= limits.maxPixels, "probe reports a size beyond the limits")
    require((1...4).contains(info.channels), "probe reports \(info.channels) channels")
}

/// Where both succeed, the probe describes exactly what the decoder returned.
func checkAgreement(_ info: ImageInfo, _ image: Image) {
    require(info.width == image.width && info.height == image.height,
                 "probe says \(info.width)×\(info.height), decode gives \(image.width)×\(image.height)")
    require(info.channels == image.channels && info.hasAlpha == image.hasAlpha,
                 "probe says \(info.channels) channels, decode gives \(image.channels)")
    require(info.bitDepth == image.bitDepth, "probe says \(info.bitDepth) bits, decode gives \(image.bitDepth)")
}

/// Decoding under tighter limits gives the same image when it fits them and `tooLarge` when it does not.
func checkTightLimits(_ bytes: [UInt8], loose: Result<Image, ImageCodecError>) {
    let tight = attempt { () throws(ImageCodecError) in try ImageCodec.decode(bytes, limits: tightLimits) }
    switch loose {
    case .success(let image):
        let fits = image.width <= tightLimits.maxWidth && image.height <= tightLimits.maxHeight
            && image.width * image.height <= tightLimits.maxPixels
        if fits {
            require(tight == .success(image), "tighter limits changed the decode: \(tight)")
        } else {
            require(tight == .failure(.tooLarge(width: image.width, height: image.height)),
                         "an image beyond the tighter limits gave \(tight)")
        }
    case .failure:
        if case .success = tight { fatalError("tighter limits decoded what looser ones refused") }
    }
}

/// PNG encode → decode: exact for 8-bit samples; after one 8-bit quantisation, a fixed point.
/// A 16-bit image written at 16 bits comes back exactly.
func checkRoundTrip(_ image: Image, eightBit: Bool) {
    require(image.bitDepth == (eightBit ? 8 : 16), "decoded bit depth \(image.bitDepth), file has \(eightBit ? "8 or fewer" : "16")")
    if !eightBit {
        let wide: Image
        do { wide = try ImageCodec.decode(ImageCodec.encodePNG(image, bitDepth: 16)) } catch { fatalError("16-bit PNG round trip failed: \(error)") }
        require(wide == image, "16-bit PNG round trip changed the image")
    }
    let encoded: [UInt8]
    do { encoded = try ImageCodec.encodePNG(image) } catch { fatalError("a decoded image does not encode: \(error)") }
    let back: Image
    do { back = try ImageCodec.decode(encoded) } catch { fatalError("an encoded image does not decode: \(error)") }
    require(back.width == image.width && back.height == image.height && back.channels == image.channels,
                 "PNG round trip changed the layout")
    if eightBit {
        require(back.samples == image.samples, "PNG round trip changed 8-bit samples")
    } else {
        for (a, b) in zip(image.samples, back.samples) {
            require(b == SampleConversion.unit8[Int(SampleConversion.to8(a))], "PNG encode did not round to the nearest level")
        }
        guard let again = try? ImageCodec.decode(ImageCodec.encodePNG(back)) else { fatalError("second round trip failed") }
        require(again == back, "PNG round trip of 8-bit samples is not a fixed point")
    }
}
