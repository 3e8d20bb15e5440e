/// Decodes a chunked body (RFC 9112 §7.1) incrementally. Strict: CRLF only, hex sizes
/// without overflow, CRLF after every chunk, trailers parsed with the header rules.
struct ChunkedDecoder {
    enum State {
        /// `sizeEnded`: a non-digit (BWS) followed the size, so no more digits may come.
        case sizeLine(length: Int, value: Int, digits: Int, sizeEnded: Bool, inExtension: Bool, sawCR: Bool)
        case data(remaining: Int)
        case dataCR
        case dataLF
        case trailers
        case done
    }

    enum Output {
        case needMore
        case data(ArraySlice<UInt8>)
        case end(trailers: HTTPHeaders)
        case failed(HTTPError)
    }

    private(set) var state: State = ChunkedDecoder.freshSizeLine
    let limits: ParserLimits
    var bodyLimit: Int
    private(set) var total = 0
    private var trailerScanner: HeadScanner
    private var trailerBytes: [UInt8] = []

    static let freshSizeLine = State.sizeLine(length: 0, value: 0, digits: 0, sizeEnded: false, inExtension: false, sawCR: false)

    init(limits: ParserLimits, bodyLimit: Int) {
        self.limits = limits
        self.bodyLimit = bodyLimit
        trailerScanner = HeadScanner(limits: limits)
    }

    static func invalid(_ message: String) -> HTTPError { .badRequest("invalid_chunked_body", message) }

    mutating func next(_ buffer: inout ByteBuffer) -> Output {
        while !buffer.isEmpty {
            switch state {
            case .sizeLine(var length, var value, var digits, var sizeEnded, var inExtension, let sawCR):
                let b = buffer.storage[buffer.readIndex]
                buffer.readIndex += 1
                length += 1
                if length > limits.maxChunkLineLength { return fail(Self.invalid("chunk size line too long")) }
                if sawCR {
                    guard b == ASCII.lf else { return fail(Self.invalid("bare CR in chunk size line")) }
                    guard digits > 0 else { return fail(Self.invalid("missing chunk size")) }
                    if value == 0 {
                        state = .trailers
                        startTrailers()
                    } else {
                        state = .data(remaining: value)
                    }
                    continue
                }
                if b == ASCII.cr {
                    state = .sizeLine(length: length, value: value, digits: digits, sizeEnded: sizeEnded,
                                      inExtension: inExtension, sawCR: true)
                    continue
                }
                if b == ASCII.lf { return fail(Self.invalid("bare LF in chunk size line")) }
                if !inExtension, let h = ASCII.hexValue(b) {
                    // Hex digits directly after each other; "1 2" is not a size.
                    guard !sizeEnded else { return fail(Self.invalid("invalid chunk size")) }
                    digits += 1
                    guard value <= (Int.max - 15) / 16 else { return fail(Self.invalid("chunk size overflows")) }
                    value = value * 16 + Int(h)
                    if total + value > bodyLimit { return fail(Self.tooLarge(bodyLimit)) }
                } else if !inExtension {
                    // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
                    if b == ASCII.semicolon && digits > 0 {
                        inExtension = true
                    } else if ASCII.isWhitespace(b) && digits > 0 {
                        sizeEnded = true // BWS before ';'
                    } else {
                        return fail(Self.invalid("invalid chunk size"))
                    }
                } else if !ASCII.isFieldValueByte(b) {
                    return fail(Self.invalid("control character in chunk extension"))
                }
                state = .sizeLine(length: length, value: value, digits: digits, sizeEnded: sizeEnded,
                                  inExtension: inExtension, sawCR: false)

            case .data(let remaining):
                let slice = buffer.read(upTo: remaining)
                total += slice.count
                state = slice.count == remaining ? .dataCR : .data(remaining: remaining - slice.count)
                return .data(slice)

            case .dataCR:
                guard buffer.storage[buffer.readIndex] == ASCII.cr else { return fail(Self.invalid("chunk data not followed by CRLF")) }
                buffer.readIndex += 1
                state = .dataLF

            case .dataLF:
                guard buffer.storage[buffer.readIndex] == ASCII.lf else { return fail(Self.invalid("chunk data not followed by CRLF")) }
                buffer.readIndex += 1
                state = Self.freshSizeLine

            case .trailers:
                // Trailer section: same scanner and field rules as a head, minus the request line.
                let start = buffer.readIndex
                let consumedBefore = trailerBytes.count
                let (outcome, scanned) = buffer.storage.withUnsafeBufferPointer { all in
                    trailerScanner.scan(UnsafeBufferPointer(rebasing: all[start...]), consumed: consumedBefore)
                }
                trailerBytes.append(contentsOf: buffer.storage[start..<(start + scanned)])
                buffer.readIndex += scanned
                switch outcome {
                case .needMore: return .needMore
                case .failed(let e): return fail(e)
                case .complete:
                    state = .done
                    var headers = HTTPHeaders()
                    let lines = trailerBytes.split(separator: ASCII.lf, omittingEmptySubsequences: false).dropFirst()
                    for line in lines {
                        guard let last = line.last, last == ASCII.cr else {
                            if line.isEmpty { continue }
                            return fail(.badRequest("bare_lf", "line terminated by LF without CR"))
                        }
                        let content = line.dropLast()
                        if content.isEmpty { break }
                        let parsed = Array(content).withUnsafeBufferPointer { HeadParser.parseField($0) }
                        switch parsed {
                        case .success(let f): headers.add(name: f.name, value: f.value)
                        case .failure(let e): return fail(e)
                        }
                    }
                    trailerBytes = []
                    return .end(trailers: headers)
                }

            case .done:
                return .needMore
            }
        }
        return .needMore
    }

    /// A fake request line lets the head scanner and field parser be reused unchanged for trailers.
    private mutating func startTrailers() {
        trailerBytes = Array("T / HTTP/1.1\r\n".utf8)
        let fake = trailerBytes
        _ = fake.withUnsafeBufferPointer { trailerScanner.scan($0, consumed: 0) }
    }

    static func tooLarge(_ limit: Int) -> HTTPError {
        HTTPError(.contentTooLarge, code: "body_too_large", message: "request body larger than \(limit) bytes")
    }

    private mutating func fail(_ e: HTTPError) -> Output {
        state = .done
        return .failed(e)
    }
}
