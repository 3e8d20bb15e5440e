/// Every setting of the service, with its default. `SettingsTable` states each setting's
/// key, default and accepted values (the defaults here are tested against it); the `dipd`
/// executable reads the configuration file, then `DIPD_*` environment variables, then
/// flags, and fills this in.
public struct ServiceConfiguration: Sendable, Equatable {
    // Listening
    public var host = "127.0.0.1"
    public var port = 8080
    /// Absolute URL prefix for links (`https://dip.example.com`). Empty: links are
    /// relative paths. Never taken from the request's `Host`, which a proxy rewrites.
    public var publicBaseURL = ""
    /// Peers whose `X-Forwarded-For` names the real client (logged with each submission).
    public var trustedProxies: [String] = ["127.0.0.1", "::1"]
    /// Origins allowed to call the API from a browser (`*` for any); empty: no CORS headers.
    public var corsAllowedOrigins: [String] = []
    /// When set, every `/v1` request needs `Authorization: Bearer <key>`.
    public var apiKey: String? = nil
    public var logLevel = "info"

    // Storage
    public var dataDirectory = "data"
    /// `postgres://user:password@host:5432/database`: jobs and their files are kept in that
    /// PostgreSQL database instead of `dataDirectory`. Empty: the embedded file store.
    public var databaseURL = ""
    /// Finished jobs (succeeded, failed, canceled) and their files are removed this long after they finish.
    public var retentionSeconds = 7 * 24 * 3600
    /// How often expired jobs are looked for.
    public var sweepIntervalSeconds = 60

    // Work
    /// Jobs fitted at once; 0: fitted to the machine (one per 8 cores, at least one).
    public var workers = 0
    /// Engine threads per worker; 0: the cores divided among the workers.
    public var threadsPerWorker = 0
    /// Nice value of fitting threads, so that the HTTP threads keep answering while the cores fit.
    public var workerNice = 5
    /// Jobs waiting beyond the running ones; one more is answered 429.
    public var queueCapacity = 32
    /// Seconds suggested in `Retry-After` when the queue is full.
    public var retryAfterSeconds = 30
    /// Side of a tile in output pixels: larger images are fitted in tiles (`TilingInfo`).
    public var tileSize = 512
    /// Output pixels shared by neighbouring tiles, blended across.
    public var tileOverlap = 64

    // Limits
    public var limits = Limits()
    public struct Limits: Sendable, Equatable {
        /// Whole request body of a submission (413).
        public var maxUploadBytes = 32 << 20
        /// Pixels of any input image and of a result (413). Larger images are tiled: this bounds
        /// the decoded copy held while one is cut and blended, not a fit.
        public var maxImagePixels = 50_331_648
        /// Pixels of a fit of a task that is not tiled (others are at most `tileSize`²). A fit
        /// needs about 3 KiB per pixel with `balanced`, 9 KiB with `reference`.
        public var maxFitPixels = 1_048_576
        /// Width or height of any input image (413).
        public var maxImageSide = 16384
        /// Iterations a job may ask for (422).
        public var maxIterations = 20_000
        /// Snapshots a job may keep: iterations / snapshot_every (422).
        public var maxSnapshots = 200
        /// Longest `Prefer: wait=N`.
        public var maxWaitSeconds = 55
        public init() {}
    }

    /// The engine's kernels: `auto` (the fastest this CPU runs), or `generic`, `avx2`, `avx512` to force one.
    public var instructionSet = "auto"

    /// The number format of the convolutions' products: `fp32`, `bf16` or `auto`.
    public var precision = "fp32"

    /// Weights of the classifier used by the `preimage` task (ncnn .param/.bin pair or .safetensors); empty: task unavailable.
    public var preimageWeights = ""

    /// How long a shutdown waits for running fits to stop and be saved as queued.
    public var shutdownGraceSeconds = 10

    /// A job whose fit was lost this many times to the process dying during it (a crash, an
    /// out-of-memory kill) fails instead of running again: a job that kills the service
    /// would otherwise kill it again at every start.
    public var maxLostRuns = 3

    /// A running fit saves its whole state this often (seconds of fitting), and when a
    /// shutdown stops it; after a crash or a restart it goes on from there. 0: never.
    public var checkpointSeconds = 60

    // Several services on one database (`database_url`)
    /// A running job is held under a lease the service renews every `leaseRenewSeconds`; when
    /// the service stops renewing it (it died, or lost the database) another service takes the
    /// job over this long after the last renewal and goes on from its checkpoint.
    public var leaseSeconds = 30
    /// How often running jobs' records are written and their leases renewed; at most half of
    /// `leaseSeconds`, so that one late renewal does not lose a lease.
    public var leaseRenewSeconds = 1
    /// This service's name in the leases; must differ between the services sharing a
    /// database. Empty: the host name and the port (the process ID with port 0). A service
    /// that starts again under the same name takes its own lost runs back without waiting.
    public var replicaID = ""
    /// A lost `LISTEN` connection to the database is opened again after this long.
    public var listenerReconnectSeconds = 1

    /// A write the store cannot take (its database is unreachable) is tried again this often.
    public var storeRetrySeconds = 1

    // Events
    /// An idle event stream gets a comment line this often, so that proxies keep it open.
    public var sseHeartbeatSeconds = 15
    /// Shortest time between two progress events of one job.
    public var progressEventIntervalMilliseconds = 250

    // Webhooks
    /// The key webhook deliveries are signed with; empty: jobs that name a webhook are refused.
    public var webhookSecret = ""
    /// Attempts of one delivery before it is given up.
    public var webhookMaxAttempts = 8
    /// The wait after a delivery's first failed attempt; it doubles with every failure after it.
    public var webhookFirstBackoffMilliseconds = 1000
    /// The longest wait between two attempts.
    public var webhookMaxBackoffSeconds = 3600
    /// Connecting to a receiver may take this long.
    public var webhookConnectTimeoutSeconds = 5
    /// A whole webhook request (connect, TLS, send, status line) may take this long.
    public var webhookTimeoutSeconds = 10
    /// Bytes of a receiver's response read, at most.
    public var webhookMaxResponseBytes = 4096
    /// Shortest time between two snapshot webhooks of a job.
    public var webhookSnapshotIntervalSeconds = 60
    /// Networks webhooks may reach though they are not public (`127.0.0.0/8`, `10.1.0.0/16`).
    public var webhookAllowedNetworks: [String] = []

    // The HTTP server
    public var http = HTTP()
    public struct HTTP: Sendable, Equatable {
        /// Open connections beyond this get an immediate 503.
        public var maxConnections = 1024
        /// A request's head must be complete this long after it starts (408).
        public var headerTimeoutSeconds = 10
        /// Longest pause between body bytes (408).
        public var bodyIdleTimeoutSeconds = 30
        /// An idle keep-alive connection is closed after this long (longer than nginx's 60 s).
        public var keepAliveTimeoutSeconds = 75
        /// A client that accepts no response bytes this long is dropped.
        public var writeTimeoutSeconds = 30
        public init() {}
    }

    public init() {}

    /// Workers and threads for a machine with `cores` cores.
    public func resolvedWorkers(cores: Int) -> (workers: Int, threads: Int) {
        let w = workers > 0 ? workers : max(1, cores / 8)
        let t = threadsPerWorker > 0 ? threadsPerWorker : max(1, cores / w)
        return (w, t)
    }
}
