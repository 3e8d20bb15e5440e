// libFuzzer target for MultipartParser: no crash, bounded limits respected, and the same
// parts (data merged) whether the body arrives whole or in pieces.

func run(_ body: [UInt8], step: Int, limits: MultipartLimits) -> ([MultipartEvent], HTTPError?) {
    var parser: MultipartParser
    do { parser = try MultipartParser(boundary: "XyZ", limits: limits) } catch { return ([], error) }
    var events: [MultipartEvent] = []
    var offset = 0
    do {
        while offset < body.count {
            let end = step == 0 ? body.count : min(body.count, offset + step)
            events += try parser.feed(body[offset..<end])
            offset = end
        }
        try parser.finish()
    } catch {
        return (merge(events), error)
    }
    return (merge(events), nil)
}

func merge(_ events: [MultipartEvent]) -> [MultipartEvent] {
    var out: [MultipartEvent] = []
    for e in events {
        if case .partData(let d) = e, case .partData(let prev)? = out.last {
            out[out.count - 1] = .partData(prev + d)
        } else {
            out.append(e)
        }
    }
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let control = data[0]
    let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    var limits = MultipartLimits()
    if control & 0x80 != 0 {
        limits.maxParts = 3
        limits.maxPartHeaderBytes = 64
        limits.maxPartSize = 32
        limits.maxTotalSize = 64
    }
    let step = Int(control & 0x7F) + 1
    let whole = run(body, step: 0, limits: limits)
    let pieces = run(body, step: step, limits: limits)
    // Limits may trip at different events, but the parts seen and the verdict must agree.
    if whole.1 == nil || pieces.1 == nil {
        require(whole.0 == pieces.0 && whole.1 == pieces.1, "multipart result depends on the split (step \(step))")
    } else {
        require(whole.1!.status == pieces.1!.status, "different error for a different split")
    }
    var total = 0
    for case .partData(let d) in whole.0 { total += d.count }
    require(total <= limits.maxTotalSize, "total size limit exceeded")
    return 0
}
