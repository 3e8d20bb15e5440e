/// URLs of a job's resources. With a configured public base URL they are absolute;
/// otherwise they are paths. They never come from the request's `Host` header.
struct LinkBuilder: Sendable {
    let base: String

    init(publicBaseURL: String) {
        var b = publicBaseURL
        while b.hasSuffix("/") { b.removeLast() }
        base = b
    }

    func job(_ id: JobID) -> String { "\(base)/v1/jobs/\(id)" }
    func events(_ id: JobID) -> String { job(id) + "/events" }
    func snapshots(_ id: JobID) -> String { job(id) + "/snapshots" }
    func snapshot(_ id: JobID, _ iteration: Int) -> String { job(id) + "/snapshots/\(iteration).png" }
    func cancel(_ id: JobID) -> String { job(id) + "/cancel" }
    func result(_ id: JobID) -> String { job(id) + "/result.png" }
}
