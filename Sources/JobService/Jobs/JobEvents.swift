/// One Server-Sent Event of a job: `id` grows by one per event of the job.
public struct JobEvent: Sendable, Equatable {
    public var id: Int
    public var name: String
    public var data: String
}

/// The recent events of one job and the streams following it. Owned by `JobManager`
/// and touched only under its lock.
struct JobEventLog {
    static let capacity = 512
    private(set) var nextID = 1
    private(set) var recent: [JobEvent] = []
    var subscribers: [Int: AsyncStream<JobEvent>.Continuation] = [:]
    private var nextSubscriber = 0

    mutating func publish(_ name: String, _ data: String) {
        let event = JobEvent(id: nextID, name: name, data: data)
        nextID += 1
        recent.append(event)
        if recent.count > Self.capacity { recent.removeFirst(recent.count - Self.capacity) }
        for c in subscribers.values { c.yield(event) }
    }

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

    mutating func finishAll() {
        for c in subscribers.values { c.finish() }
        subscribers = [:]
    }
}
