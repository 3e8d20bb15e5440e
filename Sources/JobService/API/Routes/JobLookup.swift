import HTTPServer

/// What the routes under `/v1/jobs/{id}` share: the job named by the path, or a 404.
protocol JobLookup {
    var jobs: any JobScheduler { get }
}

extension JobLookup {
    func jobID(_ request: Request) throws(APIError) -> JobID {
        let raw = request.parameter("id") ?? ""
        guard let id = JobID(raw) else { throw .jobNotFound(raw) }
        return id
    }

    func job(_ id: JobID) throws -> JobSnapshot {
        guard let s = try jobs.job(id) else { throw APIError.jobNotFound(id.rawValue) }
        return s
    }
}
