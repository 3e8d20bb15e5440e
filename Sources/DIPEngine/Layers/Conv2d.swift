#if canImport(Glibc)
import Glibc
#endif
import CKernels

/// 2-D convolution with any odd kernel, stride 1 or 2 (or more), bias, and
/// zero / reflection / replication padding of (k−1)/2 pixels (or a given amount).
///
/// Implementation: "implicit GEMM" without im2col. The padded input is split
/// into stride² polyphase images of width Wq; for every kernel tap (ky, kx) the
/// input the tap sees, for a band of output rows, is then one contiguous strip
/// of a phase image, so the convolution is k² GEMMs W_tap[Cout×Cin] ·
/// strip[Cin×(rows·Wq)] accumulated into an output band. Columns ≥ Wo of the
/// band are garbage and dropped; this wastes (k−1)/s columns per row instead
/// of materialising a k²-times larger im2col matrix. Backward uses the same
/// strips: dW_tap += dY·stripᵀ and dStrip += W_tapᵀ·dY, then the polyphase
/// split and the padding are undone (their adjoints add gradients back).
/// Bands run in parallel; backward runs the even bands, then the odd ones, so no
/// two threads add into the same rows of the input gradient at once.
///
/// Stride-1 3×3 convolutions with enough channels (nearly all of a DIP network's
/// multiply-adds) take Winograd's F(4×4, 3×3) instead, forward and for the input
/// gradient (a full correlation of the output gradient with the rotated filters),
/// reading the padding through index maps rather than a padded copy, and for the
/// filters' gradient (the output gradient's tiles times the input's); see `Compute.winograd`.
public final class Conv2d: Module {
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Padding
    /// Pixels of padding on each side: (k−1)/2 unless given.
    public let padAmount: Int
    public let weight: Parameter           // out × in × k × k
    public let bias: Parameter?            // out
    public var needsInputGradient = true
    /// False for frozen weights (a pretrained classifier): backward then computes
    /// only the input gradient, and the parameters' gradients stay untouched.
    public var needsParameterGradients = true

    private var geometry: Geometry?
    private var input: Tensor?
    private var output: Tensor?
    private var packedWeight = Buffer()    // k² × out × in
    private var winogradWeight = Buffer()  // 36 × out × in, or 36 × in × out for the input gradient
    private var packedByForward: Geometry?  // set when forward packed the weights for the strips
    private var winogradMaps: (geometry: Geometry, rows: [Int], cols: [Int])?  // forward's, for the filter gradient
    /// The per-channel scale and shift the last forward applied to its input as it read it
    /// (a batch norm folded into this convolution; see `NormalizedConv`), for the filter gradient.
    private var inputAffine: Affine?
    typealias Affine = (scale: [Float], shift: [Float])
    /// Where the forward pass sums its output per channel for the batch norm that follows
    /// (see `sumsOutput`); nil: it does not.
    private var outputSums: ChannelSums?

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1,
                padding: Padding = .zero, bias: Bool = true, name: String = "conv", pad: Int? = nil) {
        precondition(kernel % 2 == 1 && kernel > 0, "kernel size must be odd")
        precondition(stride >= 1)
        self.inChannels = inChannels; self.outChannels = outChannels
        self.kernel = kernel; self.stride = stride; self.padding = padding
        padAmount = pad ?? (kernel - 1) / 2
        precondition(padAmount >= 0 && padAmount <= (kernel - 1) / 2, "padding must be 0...(k−1)/2")
        weight = Parameter(name: name + ".weight", shape: [outChannels, inChannels, kernel, kernel])
        self.bias = bias ? Parameter(name: name + ".bias", shape: [outChannels]) : nil
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    public func outputShape(for s: Shape) -> Shape {
        let p = padAmount
        return Shape(outChannels, (s.height + 2 * p - kernel) / stride + 1, (s.width + 2 * p - kernel) / stride + 1)
    }

    /// Fan-in used by the reference's default initialisation.
    public var fanIn: Int { inChannels * kernel * kernel }

    /// Target width of an output band in columns (rows × Wq).
    static let bandColumns = 2048

    struct Geometry: Equatable {
        let cin, h, w, k, s, p, hp, wp, ho, wo, hq, wq, rows: Int
        var direct: Bool { k == 1 && s == 1 }            // input is its own phase image
        var planeQ: Int { hq * wq }
        var phaseCount: Int { s * s }
        var tiles: Int { (ho + rows - 1) / rows }
        var phaseFloats: Int { phaseCount * cin * planeQ + wq + k }   // slack for garbage-column reads

        init(_ x: Shape, k: Int, s: Int, p: Int) {
            cin = x.channels; h = x.height; w = x.width; self.k = k; self.s = s
            self.p = p; hp = h + 2 * p; wp = w + 2 * p
            ho = (hp - k) / s + 1; wo = (wp - k) / s + 1
            hq = (hp + s - 1) / s; wq = (wp + s - 1) / s
            // Bands of about 2048 columns keep a band of the output (1 MB at 128
            // channels) in cache across the k² taps that add into it; a band must be
            // taller than the (k−1)/s rows a tap reaches below it.
            rows = min(ho, max(Conv2d.bandColumns / wq, (k - 1) / s + 1, 1))
        }
    }

    /// Whether this layer runs by Winograd F(4×4, 3×3) on `compute`: below 8
    /// channels on either side the transforms cost more than they save.
    /// Makes the forward pass sum each output channel (Σy, Σy²) as it writes it — in the
    /// Winograd output transform, or band by band while the strips' rows are in cache — for
    /// the batch norm that reads the output next; the sums it hands that batch norm.
    func sumsOutput() -> ChannelSums {
        if let s = outputSums { return s }
        let s = ChannelSums()
        outputSums = s
        return s
    }

    func usesWinograd(_ compute: Compute) -> Bool {
        compute.winograd && kernel == 3 && stride == 1 && inChannels >= 8 && outChannels >= 8
    }

    /// The number format of this layer's Winograd products for an output of `height` × `width`:
    /// bf16 where `compute` asks for it and the layer is large enough to gain from it
    /// (see `Precision`), else fp32. The other paths always run fp32.
    func productPrecision(_ compute: Compute, height: Int, width: Int) -> Precision {
        guard usesWinograd(compute), compute.productPrecision == .bf16,
              min(inChannels, outChannels) >= Precision.minimumChannels,
              ((height + 3) / 4) * ((width + 3) / 4) >= Precision.minimumTiles else { return .fp32 }
        return .bf16
    }

    public func forward(_ x: Tensor, _ compute: Compute) -> Tensor { forward(x, affine: nil, compute) }

    /// The convolution of x·scale + shift (per input channel), read that way by the
    /// Winograd path without storing it; only for a layer that `usesWinograd`.
    func forward(_ x: Tensor, affine: Affine?, _ compute: Compute) -> Tensor {
        precondition(affine == nil || usesWinograd(compute), "an input scale and shift needs the Winograd path")
        inputAffine = affine
        precondition(x.channels == inChannels, "conv expects \(inChannels) channels, got \(x.channels)")
        precondition(x.height + 2 * padAmount >= kernel && x.width + 2 * padAmount >= kernel)
        let g = Geometry(x.shape, k: kernel, s: stride, p: padAmount)
        geometry = g
        input = x
        let y = reuse(&output, Shape(outChannels, g.ho, g.wo))
        if usesWinograd(compute) {
            winogradWeight.ensure(36 * outChannels * inChannels)
            dip_winograd_f43_weights(weight.value, outChannels, inChannels, false, winogradWeight.pointer)
            let (rows, cols) = winogradInputMaps(g)
            winograd(x.data, channels: inChannels, plane: x.plane, affine: affine, rows: rows, cols: cols,
                     to: y.data, channels: outChannels, plane: y.plane, rowStride: g.wo, height: g.ho, width: g.wo,
                     bias: bias?.value, sums: outputSums, precision: productPrecision(compute, height: g.ho, width: g.wo), compute)
            packedByForward = nil
            return y
        }
        packWeights(g)
        packedByForward = g
        let ws = compute.workspace
        let threads = min(compute.threads, g.tiles)
        let bands = (0..<threads).map { ws.buffer("conv.band\($0)", outChannels * g.rows * g.wq) }
        let kernels = compute.instructionSet
        let gemmScratch = (0..<threads).map { ws.buffer("conv.gemm\($0)", gemmScratchCount(kernels)) }
        let pbase = g.direct ? x.data : splitPhases(x, g, compute)
        let ldP = g.direct ? x.plane : g.planeQ
        let w = packedWeight.pointer
        let cout = outChannels, cin = inChannels, k = kernel, s = stride
        let sums = outputSums
        sums?.reset(parts: threads, channels: cout)
        compute.forEachTask(threads) { t in
            let band = bands[t]
            for tile in Compute.chunk(t, of: threads, count: g.tiles) {
                let r0 = tile * g.rows, r1 = min(g.ho, r0 + g.rows)
                let n = (r1 - r0) * g.wq
                // Direct (1×1) convolutions write straight into the output.
                let c = g.direct ? y.data + r0 * g.wo : band
                let ldc = g.direct ? y.plane : n
                var beta: Float = 0
                if let b = self.bias?.value {
                    for co in 0..<cout { (c + co * ldc).update(repeating: b[co], count: n) }
                    beta = 1
                }
                for ky in 0..<k {
                    for kx in 0..<k {
                        let phase = (ky % s) * s + kx % s
                        let src = pbase + phase * cin * ldP + (r0 + ky / s) * g.wq + kx / s
                        sgemm(m: cout, n: n, k: cin, a: w + (ky * k + kx) * cout * cin, lda: cin,
                              b: src, ldb: ldP, beta: beta, c: c, ldc: ldc, kernels: kernels, scratch: gemmScratch[t])
                        beta = 1
                    }
                }
                if !g.direct {      // drop the garbage columns
                    for co in 0..<cout {
                        for r in r0..<r1 {
                            (y.data + co * y.plane + r * g.wo)
                                .update(from: band + co * n + (r - r0) * g.wq, count: g.wo)
                        }
                    }
                }
                if let sums {       // the band's rows, still in cache
                    let part = sums.part(t)
                    for co in 0..<cout {
                        let (a, b) = sumAndSquares(y.data + co * y.plane + r0 * g.wo, (r1 - r0) * g.wo)
                        part[2 * co] += a; part[2 * co + 1] += b
                    }
                }
            }
        }
        sums?.tensor = y.data
        return y
    }

    public func backward(_ dy: Tensor, _ compute: Compute) -> Tensor? {
        guard let x = input, let g = geometry else { preconditionFailure("backward before forward") }
        precondition(dy.shape == Shape(outChannels, g.ho, g.wo))
        let wantParameters = needsParameterGradients
        if let b = bias, wantParameters {
            compute.forEachChunk(outChannels) { range in
                for co in range {
                    b.grad[co] += sum(dy.data + co * dy.plane, dy.plane)
                }
            }
        }
        let wantInput = needsInputGradient
        let byWinograd = usesWinograd(compute)
        let ws = compute.workspace
        let dx: Tensor? = wantInput ? ws.gradient(x.shape) : nil
        if byWinograd {
            if wantParameters {
                if let profile = compute.profile {
                    profile.part("filter gradient", of: self, .backward) { winogradFilterGradient(x, dy, g, compute) }
                } else {
                    winogradFilterGradient(x, dy, g, compute)
                }
            }
            return wantInput ? winogradInputGradient(dy, into: dx!, g, compute) : nil
        }
        // The phase images are shared scratch: other layers have used them since forward.
        let pbase = g.direct ? x.data : splitPhases(x, g, compute)
        let ldP = g.direct ? x.plane : g.planeQ
        var dpbase: UnsafeMutablePointer<Float>? = nil
        if wantInput {
            if packedByForward != g { packWeights(g) }
            if g.direct {
                dpbase = dx!.data
            } else {
                let dp = ws.buffer("conv.phaseGrad", g.phaseFloats)
                dp.update(repeating: 0, count: g.phaseFloats)
                dpbase = dp
            }
        }
        let w = packedWeight.pointer
        let cout = outChannels, cin = inChannels, k = kernel, s = stride, taps = kernel * kernel
        // Bands of the input gradient overlap their neighbours by the (k−1)/s rows a tap
        // reaches below, so neighbours never run at once: even bands first, then odd ones.
        // Small images get shorter bands, so that each phase still has work for every thread.
        let reach = (k - 1) / s + 1
        let rows = max(reach, min(g.rows, (g.ho + 4 * compute.threads - 1) / (4 * compute.threads)))
        let tiles = (g.ho + rows - 1) / rows
        let threads = min(compute.threads, (tiles + 1) / 2)
        let bands = (0..<threads).map { ws.buffer("conv.band\($0)", cout * rows * g.wq) }
        let kernels = compute.instructionSet
        let gemmScratch = (0..<threads).map { ws.buffer("conv.gemm\($0)", gemmScratchCount(kernels)) }
        let weightGrads = wantParameters ? (0..<threads).map { ws.buffer("conv.dw\($0)", taps * cout * cin) } : []
        for t in weightGrads.indices { weightGrads[t].update(repeating: 0, count: taps * cout * cin) }

        func band(_ tile: Int, _ t: Int) {
            let r0 = tile * rows, r1 = min(g.ho, r0 + rows)
            let n = (r1 - r0) * g.wq
            let scratch = bands[t]
            let a: UnsafeMutablePointer<Float>
            let lda: Int
            if g.direct {
                a = dy.data + r0 * g.wo; lda = dy.plane
            } else {        // dY band with zeros in the garbage columns
                a = scratch; lda = n
                for co in 0..<cout {
                    for r in r0..<r1 {
                        let dst = scratch + co * n + (r - r0) * g.wq
                        dst.update(from: dy.data + co * dy.plane + r * g.wo, count: g.wo)
                        (dst + g.wo).update(repeating: 0, count: g.wq - g.wo)
                    }
                }
            }
            for ky in 0..<k {
                for kx in 0..<k {
                    let tap = ky * k + kx
                    let phase = (ky % s) * s + kx % s
                    let offset = phase * cin * ldP + (r0 + ky / s) * g.wq + kx / s
                    if wantParameters {
                        sgemm(transB: true, m: cout, n: cin, k: n, a: a, lda: lda,
                              b: pbase + offset, ldb: ldP, beta: 1, c: weightGrads[t] + tap * cout * cin, ldc: cin,
                              kernels: kernels, scratch: gemmScratch[t])
                    }
                    if let dp = dpbase {
                        sgemm(transA: true, m: cin, n: n, k: cout, a: w + tap * cout * cin, lda: cin,
                              b: a, ldb: lda, beta: g.direct ? 0 : 1, c: dp + offset, ldc: ldP,
                              kernels: kernels, scratch: gemmScratch[t])
                    }
                }
            }
        }

        if threads == 1 {
            for tile in 0..<tiles { band(tile, 0) }
        } else {
            for parity in 0..<2 {
                let count = (tiles - parity + 1) / 2       // tiles parity, parity + 2, …
                compute.forEachTask(threads) { t in
                    for i in Compute.chunk(t, of: threads, count: count) { band(2 * i + parity, t) }
                }
            }
        }

        // Sum the per-thread weight gradients back into out × in × k × k order.
        if wantParameters {
            let wg = weight.grad
            compute.forEachChunk(cout) { range in
                for co in range {
                    for ci in 0..<cin {
                        for tap in 0..<taps {
                            var sum: Float = 0
                            for t in 0..<threads { sum += weightGrads[t][(tap * cout + co) * cin + ci] }
                            wg[(co * cin + ci) * taps + tap] += sum
                        }
                    }
                }
            }
        }
        guard let dx else { return nil }
        if !g.direct { mergePhases(dpbase!, into: dx, g, compute) }
        return dx
    }

    // MARK: - helpers

    /// Where the forward pass's Winograd tiles read the input: for each row of the virtual
    /// padded image its offset in a plane, for each column its source column (−1: zero); computed once per input size and kept for the filter gradient and later passes.
    private func winogradInputMaps(_ g: Geometry) -> (rows: [Int], cols: [Int]) {
        if let m = winogradMaps, m.geometry == g { return (m.rows, m.cols) }
        let pad = padding
        let rows = (0..<(4 * ((g.ho + 3) / 4) + 2)).map { q in
            q < g.hp ? pad.source(q, pad: g.p, size: g.h).offset(g.w) : -1
        }
        let cols = (0..<(4 * ((g.wo + 3) / 4) + 2)).map { q in q < g.wp ? pad.source(q, pad: g.p, size: g.w) : -1 }
        winogradMaps = (g, rows, cols)
        return (rows, cols)
    }

    /// The input gradient by Winograd: the padded input's gradient is the full correlation
    /// P'[q][r] = Σ dY[q − 2 + a][r − 2 + b]·w[2 − a][2 − b]. Its inside is the input's
    /// gradient, written in place; its ring (the padding) is kept aside and added back to
    /// the pixels it was read from — no padded copy of the gradient.
    private func winogradInputGradient(_ dy: Tensor, into dx: Tensor, _ g: Geometry, _ compute: Compute) -> Tensor {
        let p = g.p, cin = inChannels
        let border = compute.workspace.buffer("conv.winogradBorder", max(1, cin * 2 * p * (g.wp + g.hp)))
        winogradWeight.ensure(36 * outChannels * inChannels)
        dip_winograd_f43_weights(weight.value, outChannels, inChannels, true, winogradWeight.pointer)
        let rows = (0..<(4 * ((g.hp + 3) / 4) + 2)).map { q in q >= 2 && q - 2 < g.ho ? (q - 2) * g.wo : -1 }
        let cols = (0..<(4 * ((g.wp + 3) / 4) + 2)).map { q in q >= 2 && q - 2 < g.wo ? q - 2 : -1 }
        winograd(dy.data, channels: outChannels, plane: dy.plane, rows: rows, cols: cols,
                 to: dx.data, channels: cin, plane: dx.plane, rowStride: g.w, height: g.hp, width: g.wp,
                 crop: p, border: border, bias: nil, precision: productPrecision(compute, height: g.ho, width: g.wo), compute)
        guard p > 0, padding != .zero else { return dx }
        // The adjoint of the padding on the ring: each padded position adds to its source.
        let pad = padding, (h, w, hp, wp) = (g.h, g.w, g.hp, g.wp)
        let sideColumns = border + cin * 2 * p * wp
        compute.forEachChunk(cin) { range in
            for c in range {
                let out = dx.data + c * dx.plane
                for k in 0..<(2 * p) {
                    let q = k < p ? k : h + k
                    let sy = pad.source(q, pad: p, size: h)
                    guard sy >= 0 else { continue }
                    let row = border + (c * 2 * p + k) * wp
                    for x in 0..<wp {
                        let sx = pad.source(x, pad: p, size: w)
                        if sx >= 0 { out[sy * w + sx] += row[x] }
                    }
                }
                for q in p..<(hp - p) {
                    let side = sideColumns + (c * hp + q) * 2 * p, orow = out + (q - p) * w
                    for j in 0..<(2 * p) {
                        let sx = pad.source(j < p ? j : w + j, pad: p, size: w)
                        if sx >= 0 { orow[sx] += side[j] }
                    }
                }
            }
        }
        return dx
    }

    /// The filters' gradient by Winograd: per band, the input's and the output gradient's
    /// tiles transformed and multiplied into a per-thread sum of 36 × out × in, which
    /// is then transformed back to 3×3 (Gᵀ·dU·G) and added to the weights' gradient.
    private func winogradFilterGradient(_ x: Tensor, _ dy: Tensor, _ g: Geometry, _ compute: Compute) {
        let (rows, cols) = winogradInputMaps(g)
        let cout = outChannels, cin = inChannels, kernels = compute.instructionSet
        let precision = productPrecision(compute, height: g.ho, width: g.wo)
        let bands = WinogradBands(height: g.ho, width: g.wo, threads: compute.threads)
        let ws = compute.workspace
        let scratchCount = dip_winograd_f43_scratch_floats(cin, cout, bands.tilesX, bands.rows)
        let scratch = (0..<bands.threads).map { ws.buffer("conv.winograd\($0)", scratchCount) }
        let gemmScratch = (0..<bands.threads).map { ws.buffer("conv.gemm\($0)", gemmScratchCount(kernels, precision)) }
        let part = 36 * cout * cin
        let du = ws.buffer("conv.winogradFilterGradient", bands.threads * part)
        du.update(repeating: 0, count: bands.threads * part)
        forEachWinogradBand(bands, rows: rows, cols: cols, affine: inputAffine, compute) { t, ty0, ty1, scale, shift, rowMap, colMap in
            dip_winograd_f43_filter_gradient(kernels.kernelID, precision.kernelID, x.data, cin, x.plane, scale, shift, rowMap, colMap,
                                             bands.tilesX, ty0, ty1, dy.data, cout, dy.plane, g.wo, g.ho, g.wo,
                                             du + t * part, scratch[t], gemmScratch[t])
        }
        dip_winograd_f43_filter_gradient_finish(du, bands.threads, cout, cin, weight.grad)
    }

    /// One Winograd convolution over bands of tile rows, `winogradWeight` holding the
    /// transformed filters: reads the virtual padded image (rows: offset of the source
    /// row or −1; cols: source column or −1), writes height × width of every channel.
    private func winograd(_ src: UnsafePointer<Float>, channels cin: Int, plane srcPlane: Int, affine: Affine? = nil, rows: [Int], cols: [Int],
                          to dst: UnsafeMutablePointer<Float>, channels cout: Int, plane: Int, rowStride: Int,
                          height: Int, width: Int, crop: Int = 0, border: UnsafeMutablePointer<Float>? = nil,
                          bias: UnsafeMutablePointer<Float>?, sums: ChannelSums? = nil, precision: Precision, _ compute: Compute) {
        let bands = WinogradBands(height: height, width: width, threads: compute.threads)
        sums?.reset(parts: bands.threads, channels: cout)
        let ws = compute.workspace, kernels = compute.instructionSet
        let scratchCount = dip_winograd_f43_scratch_floats(cin, cout, bands.tilesX, bands.rows)
        let scratch = (0..<bands.threads).map { ws.buffer("conv.winograd\($0)", scratchCount) }
        let gemmScratch = (0..<bands.threads).map { ws.buffer("conv.gemm\($0)", gemmScratchCount(kernels, precision)) }
        let u = winogradWeight.pointer
        forEachWinogradBand(bands, rows: rows, cols: cols, affine: affine, compute) { t, ty0, ty1, scale, shift, rowMap, colMap in
            dip_winograd_f43(kernels.kernelID, precision.kernelID, src, cin, srcPlane, scale, shift, rowMap, colMap,
                             bands.tilesX, ty0, ty1, u, cout, bias, dst, plane, rowStride, height, width,
                             crop, border, sums?.part(t), scratch[t], gemmScratch[t])
        }
        sums?.tensor = dst
    }

    /// Runs `band` (a Winograd kernel call, returning its status) for every band of tile rows
    /// on the engine's threads, with the index maps and the input's scale and shift as C
    /// pointers: (thread, first tile row, end tile row, scale, shift, row map, column map).
    private func forEachWinogradBand(
        _ bands: WinogradBands, rows: [Int], cols: [Int], affine: Affine?, _ compute: Compute,
        _ band: (Int, Int, Int, UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Int>?, UnsafePointer<Int>?) -> Int32
    ) {
        let kernels = compute.instructionSet
        func run(_ scale: UnsafePointer<Float>?, _ shift: UnsafePointer<Float>?) {
            rows.withUnsafeBufferPointer { rowMap in
                cols.withUnsafeBufferPointer { colMap in
                    compute.forEachTask(bands.threads) { t in
                        for b in Compute.chunk(t, of: bands.threads, count: bands.count) {
                            let (ty0, ty1) = bands.tileRows(b)
                            let status = band(t, ty0, ty1, scale, shift, rowMap.baseAddress, colMap.baseAddress)
                            precondition(status == 0, "the \(kernels) (\(compute.productPrecision)) kernels cannot run on this CPU")
                        }
                    }
                }
            }
        }
        guard let affine else { return run(nil, nil) }
        affine.scale.withUnsafeBufferPointer { s in affine.shift.withUnsafeBufferPointer { t in run(s.baseAddress, t.baseAddress) } }
    }

    private func packWeights(_ g: Geometry) {
        let taps = kernel * kernel, cout = outChannels, cin = inChannels
        packedWeight.ensure(taps * cout * cin)
        let src = weight.value, dst = packedWeight.pointer
        for co in 0..<cout {
            for ci in 0..<cin {
                for tap in 0..<taps { dst[(tap * cout + co) * cin + ci] = src[(co * cin + ci) * taps + tap] }
            }
        }
    }

    /// phase (py, px), channel c, row i, column j  ←  padded input (s·i + py, s·j + px).
    private func splitPhases(_ x: Tensor, _ g: Geometry, _ compute: Compute) -> UnsafeMutablePointer<Float> {
        let pad = padding, dst = compute.workspace.buffer("conv.phases", g.phaseFloats)
        // The slack after the last plane is read by garbage columns only, but must hold
        // finite numbers: the weight gradient multiplies it by zero.
        let used = g.phaseCount * g.cin * g.planeQ
        (dst + used).update(repeating: 0, count: g.phaseFloats - used)
        compute.forEachChunk(g.cin) { range in
            for c in range {
                let src = x.data + c * x.plane
                for py in 0..<g.s {
                    for px in 0..<g.s {
                        let plane = dst + ((py * g.s + px) * g.cin + c) * g.planeQ
                        for i in 0..<g.hq {
                            let q = g.s * i + py
                            let sy = q < g.hp ? pad.source(q, pad: g.p, size: g.h) : -1
                            let row = plane + i * g.wq
                            if sy < 0 { row.update(repeating: 0, count: g.wq); continue }
                            let srow = src + sy * g.w
                            if g.s == 1 {     // fast path: interior copied in one go
                                for j in 0..<g.p { row[j] = pad.source(j, pad: g.p, size: g.w).map0(srow) }
                                (row + g.p).update(from: srow, count: g.w)
                                for j in (g.p + g.w)..<g.wq { row[j] = pad.source(j, pad: g.p, size: g.w).map0(srow) }
                            } else {
                                for j in 0..<g.wq {
                                    let qx = g.s * j + px
                                    row[j] = qx < g.wp ? pad.source(qx, pad: g.p, size: g.w).map0(srow) : 0
                                }
                            }
                        }
                    }
                }
            }
        }
        return dst
    }

    /// The adjoint of splitPhases: every padded position adds its gradient to the pixel it came from.
    private func mergePhases(_ src: UnsafeMutablePointer<Float>, into dx: Tensor, _ g: Geometry, _ compute: Compute) {
        let pad = padding
        dx.zero()
        compute.forEachChunk(g.cin) { range in
            for c in range {
                let out = dx.data + c * dx.plane
                for py in 0..<g.s {
                    for px in 0..<g.s {
                        let plane = src + ((py * g.s + px) * g.cin + c) * g.planeQ
                        for i in 0..<g.hq {
                            let q = g.s * i + py
                            guard q < g.hp else { continue }
                            let sy = pad.source(q, pad: g.p, size: g.h)
                            if sy < 0 { continue }
                            let row = plane + i * g.wq, orow = out + sy * g.w
                            if g.s == 1 {     // fast path: interior added in one go
                                for x in 0..<g.w { orow[x] += row[g.p + x] }
                                for j in 0..<g.p {
                                    let sx = pad.source(j, pad: g.p, size: g.w)
                                    if sx >= 0 { orow[sx] += row[j] }
                                }
                                for j in (g.p + g.w)..<g.wp {
                                    let sx = pad.source(j, pad: g.p, size: g.w)
                                    if sx >= 0 { orow[sx] += row[j] }
                                }
                                continue
                            }
                            for j in 0..<g.wq {
                                let qx = g.s * j + px
                                guard qx < g.wp else { break }
                                let sx = pad.source(qx, pad: g.p, size: g.w)
                                if sx >= 0 { orow[sx] += row[j] }
                            }
                        }
                    }
                }
            }
        }
    }
}

private extension Int {
    /// The offset of row `self` in rows of `width`, or -1 for the "outside" index -1.
    @inline(__always) func offset(_ width: Int) -> Int { self < 0 ? -1 : self * width }

    /// Reads row[self], or 0 for the "outside" index -1.
    @inline(__always) func map0(_ row: UnsafeMutablePointer<Float>) -> Float { self < 0 ? 0 : row[self] }
}
