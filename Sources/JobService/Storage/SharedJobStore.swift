import Foundation

/// A store that several services share (PostgreSQL). It, not any service's memory, is
/// the authority: the jobs' states, the queue, who runs what (leases), cancel requests
/// and the jobs' events all live in it, and it wakes the services when something they
/// wait for happens. Every service that runs a job holds a lease on it; the writes of a
/// running job are fenced by that lease, so a service that lost it cannot write over
/// the one that took the job over.
protocol SharedJobStore: JobStore {
    /// This service's name in the leases.
    var owner: String { get }

    /// The next submission number, from the database (shared by every service).
    func nextSequence() throws -> UInt64
    /// Stores a new job and wakes the services waiting for work. Throws
    /// `DuplicateIdempotencyKey` when another submission with its key came first.
    func submit(_ record: JobRecord, inputs: [(file: String, bytes: [UInt8])]) throws

    /// Takes the oldest job that is queued, or running under a lease that expired, and
    /// holds it under a new lease of `leaseSeconds`. `takenOver`: its last run was lost.
    /// The record comes back as it was stored: the scheduler moves it on (`JobLifecycle`).
    func claim(leaseSeconds: Int) throws -> (record: JobRecord, takenOver: Bool)?
    /// Saves the record of a job this service holds and renews its lease. Returns whether
    /// someone asked to cancel it; throws `LeaseLost` when the lease is no longer ours.
    func hold(_ record: JobRecord, leaseSeconds: Int) throws -> Bool
    /// Saves the record of a job this service holds, whose run has ended (the record's state
    /// says how: finished, or queued again), and gives up the lease.
    func release(_ record: JobRecord, reason: String) throws
    /// Gives the leases still held under this service's name (by an earlier process of
    /// it that died) up at once, so that their jobs are taken over without waiting.
    func expireOwnLeases() throws -> Int

    /// A job with the number of queued jobs up to it (nil unless queued).
    func find(_ id: JobID) throws -> (record: JobRecord, queuePosition: Int?)?
    func find(idempotencyKey: String) throws -> JobRecord?
    /// Newest first, up to `limit` of them, and whether there are more; tile jobs are left out.
    func list(state: JobState?, limit: Int, before sequence: UInt64?) throws -> (jobs: [(record: JobRecord, queuePosition: Int?)], more: Bool)
    func countByState() throws -> [JobState: Int]
    /// Saves the record of a job no service holds (a queued job canceled, a tiled job
    /// settled), if the stored job is still in `state` (false: it moved on meanwhile).
    func replace(_ record: JobRecord, ifState state: JobState) throws -> Bool
    /// The stored records of these jobs (the missing ones left out).
    func records(_ ids: [JobID]) throws -> [JobRecord]
    /// Asks the service running the job to stop it; false when it is not running.
    func requestCancel(_ id: JobID) throws -> Bool
    /// Removes a job and its files; the service running it, if any, stops.
    func remove(_ id: JobID) throws -> Bool
    /// Removes jobs that finished before `date`.
    func removeFinished(before date: Date) throws -> Int

    /// Appends an event to the job's log and wakes the services following the job.
    func append(_ id: JobID, _ payload: JobEvent.Payload) throws
    /// The job's events after `id`, oldest first.
    func events(_ id: JobID, after: Int) throws -> [JobEvent]
    /// The id of the job's last event (0: none).
    func lastEventID(_ id: JobID) throws -> Int

    /// Calls back, on a thread of its own, when a job may be waiting to be taken (or the
    /// connection that listens came back: something may have been missed), when a cancel
    /// of a job is asked for, and when a job has new events.
    func listen(queued: @escaping @Sendable () -> Void, cancel: @escaping @Sendable (JobID) -> Void,
                events: @escaping @Sendable (JobID) -> Void)
    func stopListening()
}

/// The lease on a job is no longer this service's: another one took the job over (or it
/// was deleted). The run stops and writes nothing more.
struct LeaseLost: Error, CustomStringConvertible {
    var id: JobID
    var description: String { "the lease on job \(id) is no longer held by this service" }
}

struct DuplicateIdempotencyKey: Error {}
