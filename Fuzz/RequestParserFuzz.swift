// libFuzzer target for RequestParser. Besides "no crash, no sanitizer report", it checks
// that parsing is independent of how the bytes are split across reads: the input parsed
// in one piece and in pieces of a size taken from the input must give the same result.

struct Outcome: Equatable {
    var heads: [RequestHead] = []
    var bodies: [[UInt8]] = []
    var trailers: [HTTPHeaders] = []
    var error: HTTPError?
}

func parse(_ input: [UInt8], step: Int, limits: ParserLimits, bodyLimit: Int) -> Outcome {
    var parser = RequestParser(limits: limits, bodyLimit: bodyLimit)
    var buffer = ByteBuffer()
    var outcome = Outcome()
    var body: [UInt8] = []
    var offset = 0
    while true {
        let end = step == 0 ? input.count : min(input.count, offset + step)
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
                precondition(!b.isEmpty, "empty body event")
                body.append(contentsOf: b)
                precondition(body.count <= bodyLimit, "body limit exceeded")
            case .end(let t):
                if case .length(let n) = outcome.heads.last!.framing { precondition(body.count == n, "length mismatch") }
                outcome.bodies.append(body)
                outcome.trailers.append(t)
            case .error(let e):
                precondition((400...599).contains(e.status.code), "error status out of range")
                outcome.error = e
                return outcome
            }
        }
        if offset == input.count { return outcome }
    }
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
    let whole = parse(input, step: 0, limits: limits, bodyLimit: bodyLimit)
    let pieces = parse(input, step: step, limits: limits, bodyLimit: bodyLimit)
    precondition(whole == pieces, "result depends on how the input is split (step \(step))")
    return 0
}
