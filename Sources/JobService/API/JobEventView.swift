/// A job's event as the API sends it: its SSE name (the kind's) and its JSON, made here,
/// at the edge, from the typed event.
enum JobEventView {
    static func data(_ event: JobEvent, of job: JobID, links: LinkBuilder) -> String {
        switch event.payload {
        // Not through the polls' cache: an event's job is as it was then, whatever its revision says.
        case .status(let s), .state(let s), .done(let s): JobView.json(s, links: links)
        case .progress(let p): JobView.Progress.json(p)
        case .snapshot(let info): JobView.snapshotJSON(info, url: links.snapshot(job, info.iteration))
        case .deleted(let id): #"{"id":"\#(id)"}"#
        }
    }
}
