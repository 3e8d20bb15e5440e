/// A job's event as the API sends it: its SSE name (the kind's) and its JSON, made here,
/// at the edge, from the typed event.
enum JobEventView {
    static func data(_ event: JobEvent, of job: JobID, views: JobViewCache, links: LinkBuilder) -> String {
        switch event.payload {
        case .status(let s), .state(let s), .done(let s): views.json(s)
        case .progress(let p): JobView.Progress.json(p)
        case .snapshot(let info): JobView.snapshotJSON(info, url: links.snapshot(job, info.iteration))
        case .deleted(let id): #"{"id":"\#(id)"}"#
        }
    }
}
