// libFuzzer target for RequestParser and, on the same bytes, ChunkedDecoder alone. Besides
// "no crash, no sanitizer report", it checks that parsing is independent of how the bytes
// are split across reads: the input parsed in one piece must give the same requests, bodies,
// trailers, verdict (and, for a chunked body, the same count of bytes consumed) as the input
// fed in pieces of a size taken from the input, and as the input cut in two at every point
// (inputs up to 160 bytes; longer ones at 24 points).

struct Outcome: Equatable {
    var heads: [RequestHead] = []
    var bodies: [[UInt8]] = []
    var trailers: [HTTPHeaders] = []
    var error: HTTPError?
}

/// The ends of the pieces the input is fed in.
func pieceEnds(count: Int, step: Int) -> [Int] {
    Array(stride(from: step, to: count, by: step)) + [count]
}

func parse(_ input: [UInt8], ends: [Int], limits: ParserLimits, bodyLimit: Int) -> Outcome {
    var parser = RequestParser(limits: limits, bodyLimit: bodyLimit)
    var buffer = ByteBuffer()
    var outcome = Outcome()
    var body: [UInt8] = []
    var offset = 0
    for end in ends {
        if offset < end {
            buffer.append(contentsOf: input[offset..<end])
            offset = end
        }
        events: while true {
            switch parser.next(&buffer) {
            case .needMore: break events
            case .head(let h):
                outcome.heads.append(h)
                body = []
            case .body(let b):
                require(!b.isEmpty, "empty body event")
                body.append(contentsOf: b)
                require(body.count <= bodyLimit, "body limit exceeded")
            case .end(let t):
                if case .length(let n) = outcome.heads.last!.framing { require(body.count == n, "length mismatch") }
                outcome.bodies.append(body)
                outcome.trailers.append(t)
            case .error(let e):
                require((400...599).contains(e.status.code), "error status out of range")
                outcome.error = e
                return outcome
            }
        }
    }
    return outcome
}

struct ChunkedOutcome: Equatable {
    var data: [UInt8] = []
    var trailers: HTTPHeaders?
    var error: HTTPError?
    /// Bytes taken from the input when the body ended or failed (nil: it needs more).
    var consumed: Int?
}

func decodeChunked(_ input: [UInt8], ends: [Int], limits: ParserLimits, bodyLimit: Int) -> ChunkedOutcome {
    var decoder = ChunkedDecoder(limits: limits, bodyLimit: bodyLimit)
    var buffer = ByteBuffer()
    var outcome = ChunkedOutcome()
    var offset = 0
    for end in ends {
        if offset < end {
            buffer.append(contentsOf: input[offset..<end])
            offset = end
        }
        events: while true {
            switch decoder.next(&buffer) {
            case .needMore: break events
            case .data(let d):
                require(!d.isEmpty, "empty chunk data event")
                outcome.data.append(contentsOf: d)
                require(outcome.data.count <= bodyLimit, "chunked body limit exceeded")
            case .end(let t):
                outcome.trailers = t
                outcome.consumed = offset - buffer.readableCount
                return outcome
            case .failed(let e):
                require((400...599).contains(e.status.code), "error status out of range")
                outcome.error = e
                outcome.consumed = offset - buffer.readableCount
                return outcome
            }
        }
    }
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let control = data[0]
    let input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    var limits = ParserLimits()
    if control & 0x80 != 0 {
        // Small limits so that the limit checks themselves get exercised.
        limits.maxRequestLineLength = 40
        limits.maxHeaderLineLength = 40
        limits.maxHeaderBytes = 200
        limits.maxHeaderCount = 5
        limits.maxChunkLineLength = 16
    }
    let bodyLimit = control & 0x40 != 0 ? 16 : 1 << 20
    let step = Int(control & 0x3F) + 1
    let n = input.count
    let cuts = n <= 160 ? Array(0...n) : (0..<24).map { n * $0 / 23 }

    let whole = parse(input, ends: [n], limits: limits, bodyLimit: bodyLimit)
    let pieces = parse(input, ends: pieceEnds(count: n, step: step), limits: limits, bodyLimit: bodyLimit)
    require(whole == pieces, "result depends on how the input is split (step \(step))")
    for cut in cuts {
        let two = parse(input, ends: [cut, n], limits: limits, bodyLimit: bodyLimit)
        require(whole == two, "result depends on a cut at \(cut)")
    }

    let chunked = decodeChunked(input, ends: [n], limits: limits, bodyLimit: bodyLimit)
    let trickled = decodeChunked(input, ends: pieceEnds(count: n, step: step), limits: limits, bodyLimit: bodyLimit)
    require(chunked == trickled, "chunked body depends on how it is split (step \(step))")
    for cut in cuts {
        let two = decodeChunked(input, ends: [cut, n], limits: limits, bodyLimit: bodyLimit)
        require(chunked == two, "chunked body depends on a cut at \(cut)")
    }
    return 0
}
