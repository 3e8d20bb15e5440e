import Dispatch
import Glibc

/// Waits for the first of some signals through Dispatch (the default disposition is
/// ignored first, so the signal reaches the source instead of ending the process).
enum Signals {
    static func wait(for signals: [Int32]) async -> Int32 {
        let queue = DispatchQueue(label: "dipd.signals")
        return await withCheckedContinuation { continuation in
            queue.async {
                var sources: [DispatchSourceSignal] = []
                var fired = false
                for sig in signals {
                    signal(sig, SIG_IGN)
                    let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
                    source.setEventHandler {
                        guard !fired else { return }
                        fired = true
                        sources.forEach { $0.cancel() }
                        sources = []
                        continuation.resume(returning: sig)
                    }
                    source.activate()
                    sources.append(source)
                }
            }
        }
    }
}
