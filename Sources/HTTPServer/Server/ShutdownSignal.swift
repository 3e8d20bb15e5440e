import Dispatch
import Glibc

/// Waits for the first of some signals through Dispatch (the signal is ignored by the
/// default disposition first, so it is delivered to the source instead of killing us).
public enum ShutdownSignal {
    public static func wait(for signals: [Int32]) async -> Int32 {
        let queue = DispatchQueue(label: "http.signals")
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
                        for s in sources { s.cancel() }
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
