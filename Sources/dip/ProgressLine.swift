import Foundation

/// Live progress on stderr: one line rewritten in place on a terminal, or a
/// line every `every` iterations when stderr is a file or a pipe.
struct ProgressLine {
    var quiet = false
    var every = 100

    func show(iteration: Int, of total: Int, loss: Float, psnrInput: Double, psnrTruth: Double?,
              itPerSecond: Double) {
        guard !quiet else { return }
        let eta = itPerSecond > 0 ? Double(total - iteration) / itPerSecond : 0
        var s = String(format: "iter %5d/%d  loss %.6f  PSNR(input) %6.2f dB", iteration, total, loss, psnrInput)
        if let t = psnrTruth { s += String(format: "  PSNR(truth, avg) %6.2f dB", t) }
        s += String(format: "  %.2f it/s  ETA %@", itPerSecond, Self.duration(eta))
        if Terminal.isInteractive {
            Terminal.error("\r\u{1B}[K" + s + (iteration == total ? "\n" : ""))
        } else if iteration % every == 0 || iteration == total || iteration == 1 {
            Terminal.errorLine(s)
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s / 60 % 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }
}
