import DIPTasks
import Foundation
import HTTPServer

/// The body of a webhook request: `{"type": <event>, "timestamp": <when it happened>,
/// "data": <the job, as GET /v1/jobs/{id} shows it>}`, and for `snapshot` events the
/// snapshot as the snapshots list shows it.
enum WebhookEnvelope {
    static func json(_ event: WebhookEvent, at date: Date, job: JobSnapshot, links: LinkBuilder) -> String {
        var json = #"{"type":\#(JSONString.quoted(event.rawValue)),"timestamp":\#(JSONString.quoted(ISO8601.format(date))),"data":\#(JobView.json(job, links: links))"#
        if event == .snapshot, let info = job.record.snapshots.last {
            json += #","snapshot":\#(JobView.snapshotJSON(info, url: links.snapshot(job.record.id, info.iteration)))"#
        }
        return json + "}"
    }
}
