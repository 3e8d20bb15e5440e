/// The recent events of one job and the streams following it, on a local scheduler.
/// A value: its owner keeps it under its lock.
struct JobEventLog {
    static let capacity = 512
    private(set) var nextID = 1
    private(set) var recent: [JobEvent] = []
    private var subscribers: [Int: AsyncStream<JobEvent>.Continuation] = [:]
    private var nextSubscriber = 0

    mutating func publish(_ payload: JobEvent.Payload) {
        let event = JobEvent(id: nextID, payload: payload)
        nextID += 1
        recent.append(event)
        if recent.count > Self.capacity { recent.removeFirst(recent.count - Self.capacity) }
        for c in subscribers.values { c.yield(event) }
        if event.kind.endsStream { finishAll() }
    }

    /// The id of the last event published (0: none yet).
    var lastID: Int { nextID - 1 }

    /// Events after `lastID`, or nil when some of them are no longer kept.
    func replay(after lastID: Int) -> [JobEvent]? {
        if lastID >= nextID - 1 { return [] }
        guard let first = recent.first, first.id <= lastID + 1 else { return nil }
        return recent.filter { $0.id > lastID }
    }

    mutating func subscribe() -> (Int, AsyncStream<JobEvent>) {
        let (stream, continuation) = AsyncStream<JobEvent>.makeStream(bufferingPolicy: .bufferingNewest(Self.capacity))
        let key = nextSubscriber
        nextSubscriber += 1
        subscribers[key] = continuation
        return (key, stream)
    }

    mutating func unsubscribe(_ key: Int) {
        subscribers.removeValue(forKey: key)?.finish()
    }

    mutating func finishAll() {
        for c in subscribers.values { c.finish() }
        subscribers = [:]
    }
}
