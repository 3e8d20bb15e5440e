import CPNGRead

/// PNG decoding through the classic libpng reader in CPNGRead.
enum PNGDecoder {
    static func decode(_ bytes: [UInt8], limits: DecodeLimits) throws(ImageCodecError) -> Image {
        try checkChunkLengths(bytes)
        // The decoder reads straight from `bytes`, so both C calls stay inside this closure.
        let result: Result<Image, ImageCodecError> = bytes.withUnsafeBufferPointer { input in
            guard let decoder = cpngread_create(input.baseAddress, input.count) else {
                return .failure(.corrupt("libpng could not be initialised"))
            }
            defer { cpngread_destroy(decoder) }
            do throws(ImageCodecError) {
                return .success(try read(decoder, limits: limits))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// libpng allocates a text chunk's buffer from the length it states before reading the data,
    /// so a 200-byte file with a zTXt claiming 2 GB had it allocate 2 GB. Every chunk up to IEND must therefore lie
    /// within the data before libpng sees it.
    static func checkChunkLengths(_ bytes: [UInt8]) throws(ImageCodecError) {
        var chunks = PNGHeader.Chunks(bytes: bytes, offset: ImageCodec.pngSignature.count)
        while let chunk = try chunks.next(), chunk.type != "IEND" {}
    }

    private static func read(_ decoder: OpaquePointer, limits: DecodeLimits) throws(ImageCodecError) -> Image {
        func failure() -> ImageCodecError {
            .corrupt(String(cString: cpngread_message(decoder)))
        }
        var width: UInt32 = 0
        var height: UInt32 = 0
        guard cpngread_read_header(decoder, &width, &height) == 0 else { throw failure() }
        // Limits are checked before libpng sizes its row buffers and before we allocate pixels.
        try limits.check(width: Int(width), height: Int(height))

        var channels: Int32 = 0
        var bitDepth: Int32 = 0
        var rowBytes = 0
        guard cpngread_start_image(decoder, &channels, &bitDepth, &rowBytes) == 0 else { throw failure() }
        let w = Int(width), h = Int(height), c = Int(channels)
        let bytesPerSample = bitDepth == 16 ? 2 : 1
        guard (1...4).contains(c), bitDepth == 8 || bitDepth == 16, rowBytes == w * c * bytesPerSample else {
            throw .unsupportedEncoding("unexpected PNG layout: \(c) channels, \(bitDepth) bits")
        }

        var raw = [UInt8](repeating: 0, count: rowBytes * h)
        let status = raw.withUnsafeMutableBufferPointer { cpngread_read_image(decoder, $0.baseAddress, rowBytes) }
        guard status == 0 else { throw failure() }

        let samples = bitDepth == 16 ? SampleConversion.fromBigEndian16(raw) : SampleConversion.from8(raw)
        return Image(width: w, height: h, channels: c, samples: samples, bitDepth: Int(bitDepth))
    }
}
