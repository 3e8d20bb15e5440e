// Times single-threaded SGEMM on the engine's convolution shapes for every
// instruction set this machine runs (and OpenBLAS, when its library can be
// loaded), then full training iterations (forward, loss, backward, Adam) of the
// reference denoising network with the share of each layer kind (from two more
// iterations with every layer timed), and optionally the PyTorch re-implementation
// in the same run. Prints figures; asserts nothing.
//
//   swift run -c release dip-bench [--sizes 256,512] [--iterations 3] [--threads 2] [--torch]
//                                  [--isa auto|generic|avx2|avx512|all|LIST] [--only gemm|network]
//                                  [--gemm-repetitions 7] [--by-shape] [--conv winograd|strips|both]
//                                  [--channels N]   (every level capped at N channels, as the presets do)
//                                  [--precision fp32|bf16|auto|both|LIST]   (the large convolutions' products)
//   swift run -c release dip-bench --quality a.ppm,b.ppm [--crop 256] [--precision both] [--threads 2]
//                                  (the same denoising fit in each precision: PSNR and auto-stop iteration)
import DIPEngine
#if canImport(Glibc)
import Glibc
#endif
import Foundation

struct Options {
    var sizes = [256, 512]
    var iterations = 3
    var threads = 2
    var torch = false
    var isa = [InstructionSet.best]
    var gemm = true
    var network = true
    var gemmRepetitions = 7
    var child: Int? = nil
    /// The layer profile keyed by each layer's shape too (a convolution's kernel, stride and channels).
    var byShape = false
    /// Whether stride-1 3×3 convolutions run by Winograd (true) or on the strips (false).
    var winograd = [true]
    /// Every level's channels capped at this, as a preset does (32: `balanced`, 16: `fast`); nil: the reference's.
    var maxChannels: Int? = nil
    /// The number formats of the large convolutions' products, each measured in turn.
    var precision: [Precision] = [.fp32]
    /// Images (binary PPM) for the quality guard, and the size of their centre crops.
    var quality: [String] = []
    var crop = 256
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write((message + "\n").data(using: .utf8)!)
    exit(2)
}

func parse() -> Options {
    var o = Options()
    var args = CommandLine.arguments.dropFirst().makeIterator()
    while let a = args.next() {
        switch a {
        case "--sizes": o.sizes = (args.next() ?? "").split(separator: ",").compactMap { Int($0) }
        case "--iterations": o.iterations = Int(args.next() ?? "") ?? o.iterations
        case "--threads": o.threads = Int(args.next() ?? "") ?? o.threads
        case "--torch": o.torch = true
        case "--isa":
            let v = args.next() ?? ""
            do {
                o.isa = v == "all" ? InstructionSet.supported
                    : try v.split(separator: ",").map { try InstructionSet.named(String($0)) }
            } catch { fail("dip-bench: \(error)") }
        case "--only":
            switch args.next() {
            case "gemm": o.network = false
            case "network": o.gemm = false
            default: fail("dip-bench: --only takes gemm or network")
            }
        case "--gemm-repetitions": o.gemmRepetitions = max(1, Int(args.next() ?? "") ?? o.gemmRepetitions)
        case "--child": o.child = Int(args.next() ?? "")
        case "--by-shape": o.byShape = true
        case "--precision":
            let v = args.next() ?? ""
            do {
                o.precision = v == "both" ? [.fp32, .bf16]
                    : try v.split(separator: ",").map { try Precision.named(String($0)) }
            } catch { fail("dip-bench: \(error)") }
        case "--quality": o.quality = (args.next() ?? "").split(separator: ",").map(String.init)
        case "--crop": o.crop = Int(args.next() ?? "") ?? o.crop
        case "--channels": o.maxChannels = Int(args.next() ?? "").flatMap { $0 > 0 ? $0 : nil }
        case "--conv":
            switch args.next() {
            case "winograd": o.winograd = [true]
            case "strips": o.winograd = [false]
            case "both": o.winograd = [false, true]
            default: fail("dip-bench: --conv takes winograd, strips or both")
            }
        default:
            fail("usage: dip-bench [--sizes 256,512] [--iterations N] [--threads N] [--torch] [--isa auto|generic|avx2|avx512|all|LIST] [--only gemm|network] [--gemm-repetitions N] [--by-shape] [--conv winograd|strips|both] [--channels N] [--precision fp32|bf16|auto|both|LIST]")
        }
    }
    return o
}

/// Forward conv MACs of the network at this size (BN, activations, resampling not counted).
func convMACs(_ net: SkipNetwork, size: Int) -> Double {
    var total = 0.0
    func walk(_ m: Module, _ s: Shape) -> Shape {
        if let q = m as? Sequential { return q.modules.reduce(s) { walk($1, $0) } }
        if let c = m as? Concat {
            let outs = c.branches.map { walk($0, s) }
            return Shape(outs.map(\.channels).reduce(0, +), outs.map(\.height).min()!, outs.map(\.width).min()!)
        }
        if let n = m as? NormalizedConv { return walk(n.conv, s) }
        let o = m.outputShape(for: s)
        if let conv = m as? Conv2d { total += Double(o.count) * Double(conv.inChannels * conv.kernel * conv.kernel) }
        return o
    }
    _ = walk(net.root, Shape(net.configuration.inputChannels, size, size))
    return total
}

/// User plus system time of the whole process: on a shared machine it shows the work
/// done, where wall time also counts the moments other programs had the cores.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return s(usage.ru_utime) + s(usage.ru_stime)
}

func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// One size, measured in this process (run as a child so peaks do not mix).
func measure(size: Int, iterations: Int, threads: Int) -> [String: Double] {
    var configuration = SkipConfiguration.denoising()
    if let cap = options.maxChannels { configuration.capChannels(at: cap) }
    let net = try! SkipNetwork(configuration)
    net.initialize(seed: 1)
    var compute = Compute(threads: threads)
    compute.winograd = options.winograd[0]
    compute.precision = options.precision[0]
    let z = NetworkInput.noise(channels: 32).make(height: size, width: size, seed: 1)
    let target = Tensor(Shape(3, size, size))
    var rng = RandomSource(seed: 5)
    for i in 0..<target.count { target.data[i] = rng.uniform() }
    let grad = Tensor(target.shape)
    let adam = Adam(net.parameters, learningRate: 0.01)
    var lossSeconds = 0.0, adamSeconds = 0.0
    func clock() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    func step() {
        net.zeroGrad()
        let out = net.forward(z, compute)
        let t0 = clock()
        _ = MSELoss.evaluate(output: out, target: target, gradient: grad, compute: compute)
        let t1 = clock()
        net.backward(grad, compute)
        let t2 = clock()
        adam.update(compute)
        lossSeconds += t1 - t0; adamSeconds += clock() - t2
    }
    step()   // warm-up: allocates every buffer once
    var times: [Double] = [], cpuTimes: [Double] = []
    for _ in 0..<iterations {
        let t0 = DispatchTime.now().uptimeNanoseconds, c0 = cpuSeconds()
        step()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        cpuTimes.append(cpuSeconds() - c0)
    }
    times.sort(); cpuTimes.sort()
    let macs = convMACs(net, size: size)
    // Where an iteration's time goes: the same steps again, each layer timed.
    let profile = LayerProfile(byShape: options.byShape)
    compute.profile = profile
    lossSeconds = 0; adamSeconds = 0
    let profiled = max(1, min(iterations, 2))
    let p0 = clock()
    for _ in 0..<profiled { step() }
    let perStep = (clock() - p0) / Double(profiled)
    var shares: [String: Double] = ["iteration": perStep, "MSELoss": lossSeconds / Double(profiled),
                                    "Adam": adamSeconds / Double(profiled)]
    for (kind, passes) in profile.seconds {
        for (pass, s) in passes { shares["\(kind).\(pass.rawValue)"] = s / Double(profiled) }
    }
    // Training FLOPs ≈ 3 × forward (forward, input gradient, weight gradient) × 2 per MAC.
    return ["size": Double(size), "seconds_min": times[0], "seconds_median": times[times.count / 2],
            "cpu_seconds_min": cpuTimes[0], "cpu_seconds_median": cpuTimes[cpuTimes.count / 2],
            "peak_rss_mb": peakRSSMegabytes(), "gflops": 6 * macs / times[0] / 1e9, "fwd_gmac": macs / 1e9]
        .merging(shares.mapKeys { "time." + $0 }) { $1 }
}

let options = parse()
if options.torch && options.maxChannels != nil { fail("dip-bench: --torch times the reference network; leave out --channels") }
if let size = options.child {
    try! InstructionSet.select(options.isa[0])
    let r = measure(size: size, iterations: options.iterations, threads: options.threads)
    print(String(data: try! JSONSerialization.data(withJSONObject: r, options: [.sortedKeys]), encoding: .utf8)!)
    exit(0)
}

extension Dictionary {
    func mapKeys<K: Hashable>(_ f: (Key) -> K) -> [K: Value] { Dictionary<K, Value>(uniqueKeysWithValues: map { (f($0.key), $0.value) }) }
}

/// The share of an iteration each layer kind takes, forward and backward, from a child's
/// `time.*` entries (a separate, profiled run of the same steps).
func printShares(_ e: [String: Any]) {
    var t: [String: Double] = [:]
    for (k, v) in e where k.hasPrefix("time.") { t[String(k.dropFirst(5))] = v as? Double }
    guard let total = t.removeValue(forKey: "iteration"), total > 0 else { return }
    var kinds: [String: (forward: Double, backward: Double)] = [:]
    for (k, s) in t {
        let parts = k.split(separator: ".")
        let kind = String(parts[0])
        var entry = kinds[kind] ?? (0, 0)
        if parts.count > 1 && parts[1] == "forward" { entry.forward += s } else { entry.backward += s }
        kinds[kind] = entry
    }
    let counted = kinds.values.reduce(0) { $0 + $1.forward + $1.backward }
    kinds["other (concat, glue)"] = (0, max(0, total - counted))
    print(String(format: "      time per iteration by layer kind (a profiled run: %.3f s)", total))
    let width = max(24, (kinds.keys.map(\.count).max() ?? 0) + 1)
    print("      " + "kind".padding(toLength: width, withPad: " ", startingAt: 0) + " forward s  backward s (or step)  share")
    for (kind, s) in kinds.sorted(by: { $0.value.forward + $0.value.backward > $1.value.forward + $1.value.backward }) {
        print("      " + kind.padding(toLength: width, withPad: " ", startingAt: 0)
              + String(format: " %9.3f  %10.3f            %4.1f %%", s.forward, s.backward, 100 * (s.forward + s.backward) / total))
    }
    if kinds.keys.contains(where: { $0.hasSuffix(" filter gradient") }) {
        print("      (a Winograd convolution's backward: its input gradient; its filter gradient has a row of its own)")
    }
}

func runChild(_ args: [String]) -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: args[0])
    p.arguments = Array(args.dropFirst())
    let pipe = Pipe()
    p.standardOutput = pipe
    try! p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(data: data, encoding: .utf8) ?? ""
}

func lastJSON(_ text: String) -> [String: Any]? {
    for line in text.split(separator: "\n").reversed() where line.hasPrefix("{") {
        if let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] { return obj }
    }
    return nil
}

let me = CommandLine.arguments[0].hasPrefix("/") ? CommandLine.arguments[0]
    : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0]
let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("torch_iteration.py").path
print("CPU: \(CPUFeatures.current)")
if !options.quality.isEmpty {
    runQualityGuard(options.quality, crop: options.crop, threads: options.threads,
                    precisions: options.precision.count > 1 ? options.precision : [.fp32, .bf16])
    exit(0)
}
print("kernels this machine runs: \(InstructionSet.supported.map(\.rawValue).joined(separator: ", ")); best: \(InstructionSet.best)\n")
if options.gemm { runGemmBench(repetitions: options.gemmRepetitions) }
guard options.network else { exit(0) }
print("Denoising network (skip 128/128/4, 5 levels, 32 input channels): one training iteration = forward + MSE + backward + Adam")
print("threads \(options.threads), \(options.iterations) timed iterations after one warm-up; each measurement in its own process\n")
print("GFLOP/s counts a convolution's multiply-adds as the direct method does, whatever the algorithm;")
print("\"/strips\": every convolution on the implicit-GEMM strips, none by Winograd\n")
if options.precision != [.fp32] {
    print("\"bf16\": the large Winograd convolutions' products with bf16 operands and fp32 sums (at least")
    print("\(Precision.minimumChannels) channels each side and \(Precision.minimumTiles) output tiles); everything else fp32\n")
}
print("size  kernels        engine s/it (min/med)   GFLOP/s   peak MB   CPU s/it (min/med, all threads)")
for size in options.sizes {
    var engine: (seconds: Double, rss: Double, gflops: Double)? = nil
    var byPrecision: [(label: String, seconds: Double, rss: Double)] = []
    for isa in options.isa {
      for winograd in options.winograd {
       for precision in options.precision {
        let resolved = precision.resolved(for: isa)
        let label = isa.rawValue + (winograd ? "" : "/strips")
            + (precision == .fp32 ? "" : precision == .auto ? " auto:\(resolved)" : " \(precision)")
        guard let e = lastJSON(runChild([me, "--child", "\(size)", "--iterations", "\(options.iterations)",
                                         "--threads", "\(options.threads)", "--isa", isa.rawValue,
                                         "--conv", winograd ? "winograd" : "strips", "--precision", precision.rawValue]
                                         + (options.byShape ? ["--by-shape"] : [])
                                         + (options.maxChannels.map { ["--channels", "\($0)"] } ?? []))) else {
            print("\(size) \(label): engine run failed"); continue
        }
        let es = e["seconds_min"] as! Double, em = e["seconds_median"] as! Double, erss = e["peak_rss_mb"] as! Double
        if winograd && resolved == .fp32 { engine = engine ?? (es, erss, e["gflops"] as! Double) }
        if options.precision.count > 1 { byPrecision.append((label, es, erss)) }
        print(String(format: "%-5d %-14@ %7.3f / %-7.3f   %7.1f   %7.0f   %7.3f / %-7.3f", size, label, es, em,
                     e["gflops"] as! Double, erss, e["cpu_seconds_min"] as! Double, e["cpu_seconds_median"] as! Double))
        printShares(e)
       }
      }
    }
    if let base = byPrecision.first {
        for other in byPrecision.dropFirst() {
            print(String(format: "%-5d %@ against %@: %.2f× the speed, peak memory %.0f MB against %.0f MB", size,
                         other.label, base.label, base.seconds / other.seconds, other.rss, base.rss))
        }
    }
    // PyTorch fp32, and with bf16 among the precisions also PyTorch under bf16 autocast.
    let torchModes = options.precision.contains(where: { $0 != .fp32 }) ? ["fp32", "bf16"] : ["fp32"]
    for mode in torchModes where options.torch {
        guard let engine else { break }
        let out = runChild(["/usr/bin/env", "python3", script, "--size", "\(size)", "--threads", "\(options.threads)",
                            "--iterations", "\(options.iterations)", "--json"] + (mode == "bf16" ? ["--bf16"] : []))
        let label = mode == "bf16" ? "torch bf16" : "torch"
        // Against the engine's run in the same format: its fp32 one, or its bf16 one.
        let mine: (seconds: Double, rss: Double)? = mode == "bf16" ? byPrecision.last.map { ($0.seconds, $0.rss) } : (engine.seconds, engine.rss)
        if let t = lastJSON(out), let ts = t["seconds_min"] as? Double, let tm = t["seconds_median"] as? Double,
           let trss = t["peak_rss_mb"] as? Double, let mine {
            print(String(format: "%-5d %-14@ %7.3f / %-7.3f             %7.0f   (engine, %@ %@: %.2f× faster, %.2f× the memory)",
                         size, label, ts, tm, trss, options.isa[0].rawValue, mode, ts / mine.seconds, mine.rss / trss))
            if mode == "fp32", let sgemm = t["sgemm_gflops"] as? Double {
                print(String(format: "      torch.mm SGEMM 2048³ on %d threads: %.0f GFLOP/s; the engine's direct-convolution GFLOP/s are %.0f %% of it",
                             options.threads, sgemm, 100 * engine.gflops / sgemm))
            }
        } else {
            print("\(size) \(label) run failed (is torch installed? pip install torch)")
        }
    }
}
