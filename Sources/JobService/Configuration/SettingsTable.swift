import DIPEngine

/// Every setting of the service, each stated once. The `dipd` loader reads and checks these
/// keys; `config/dipd.json` and the README's settings table are generated from them
/// (scripts/generate-settings), and `ServiceConfiguration`'s defaults are tested against them.
public enum SettingsTable {
    public static let all: [Setting] = [
        // Listening
        .string("host", \.host, default: "127.0.0.1", .any, "Address to listen on (`::` for every IPv6 and IPv4 address)."),
        .int("port", \.port, default: 8080, .integers(0...65535), "TCP port; 0 picks a free one."),
        .string("public_base_url", \.publicBaseURL, default: "", .emptyOrPrefixed(["http://", "https://"]),
                "Absolute prefix for links (`https://dip.example.com`); empty gives relative links. Never taken from `Host`, which a proxy rewrites."),
        .strings("trusted_proxies", \.trustedProxies, default: ["127.0.0.1", "::1"],
                 "Peers whose `X-Forwarded-For` names the client in the logs."),
        .strings("cors_allowed_origins", \.corsAllowedOrigins, default: [],
                 "Origins that web frontends call from (`*` for any); empty: no CORS headers."),
        .optionalString("api_key", \.apiKey, secret: true, "When set, every `/v1` request needs `Authorization: Bearer <key>`."),
        .string("log_level", \.logLevel, default: "info", .oneOf(["trace", "debug", "info", "notice", "warning", "error", "critical"]),
                "Least severe log messages written."),

        // Storage
        .string("data_dir", \.dataDirectory, default: "data", .nonEmpty, "Directory of the embedded job store."),
        .string("database_url", \.databaseURL, default: "", .any, secret: true,
                "`postgres://user:password@host:5432/database`: jobs and all their files are kept in that PostgreSQL database instead of `data_dir`; empty: the embedded file store."),
        .int("retention_seconds", \.retentionSeconds, default: 7 * 24 * 3600, .integers(0...Int.max),
             "Finished jobs (succeeded, failed, canceled) and their files are removed this long after they finish."),
        .int("sweep_interval_seconds", \.sweepIntervalSeconds, default: 60, .integers(1...Int.max),
             "How often expired jobs are looked for."),

        // Work
        .int("workers", \.workers, default: 0, .integers(0...64, zero: "automatic"),
             "Jobs fitted at once; 0: one per 8 cores, at least one."),
        .int("threads_per_worker", \.threadsPerWorker, default: 0, .integers(0...256, zero: "automatic"),
             "Engine threads per worker; 0: the cores divided among the workers."),
        .int("worker_nice", \.workerNice, default: 5, .integers(-20...19),
             "Nice value of fitting threads, so that the HTTP threads keep answering while the cores fit."),
        .int("queue_capacity", \.queueCapacity, default: 32, .integers(1...Int.max),
             "Jobs waiting beyond the running ones; one more is answered 429."),
        .int("retry_after_seconds", \.retryAfterSeconds, default: 30, .integers(0...Int.max),
             "Seconds suggested in `Retry-After` when the queue is full."),
        .int("tile_size", \.tileSize, default: 512, .integers(64...4096),
             "Images with a side over this (in output pixels) are fitted in overlapping tiles of this side, each a unit of work any worker or replica takes; a fit's memory then depends on this, not on the image."),
        .int("tile_overlap", \.tileOverlap, default: 64, .integers(8...1024),
             "Output pixels shared by neighbouring tiles, across which their results are blended; at most a third of `tile_size` is used."),
        .int("shutdown_grace_seconds", \.shutdownGraceSeconds, default: 10, .integers(0...Int.max),
             "How long SIGTERM waits for running fits to stop and be saved as queued."),
        .int("max_lost_runs", \.maxLostRuns, default: 3, .integers(1...Int.max),
             "A job whose run the process died during this many times (a crash, an out-of-memory kill) fails with `run_lost` instead of running again; a drain does not count."),
        .int("checkpoint_seconds", \.checkpointSeconds, default: 60, .integers(0...Int.max, zero: "off"),
             "A running fit saves its whole state this often (seconds of fitting) and when SIGTERM stops it; after a crash or a restart it goes on from there. 0: never."),

        // Several services on one database
        .int("lease_seconds", \.leaseSeconds, default: 30, .integers(2...3600, note: "it must outlast two lease renewals"),
             "With `database_url`: a job whose service stopped renewing its lease is taken over by another this long after the last renewal."),
        .int("lease_renew_seconds", \.leaseRenewSeconds, default: 1, .integers(1...1800),
             "With `database_url`: how often running jobs' progress is written and their leases renewed; at most half of `lease_seconds`, so that one late renewal does not lose a lease."),
        .string("replica_id", \.replicaID, default: "", .any,
                "With `database_url`: this service's name in the leases, different for every service on the database; empty: host name and port. The same name after a restart takes its own lost runs back at once."),
        .int("store_retry_seconds", \.storeRetrySeconds, default: 1, .integers(1...300),
             "A write the job store cannot take (its database is unreachable) is tried again this often, rather than losing the job's result."),
        .int("listener_reconnect_seconds", \.listenerReconnectSeconds, default: 1, .integers(1...300),
             "With `database_url`: a lost connection for notifications (new jobs, cancels, events) is opened again after this long."),

        // Events
        .int("sse_heartbeat_seconds", \.sseHeartbeatSeconds, default: 15, .integers(1...55, note: "under nginx's 60 s read timeout"),
             "An event stream with nothing to say gets a comment line this often, so that proxies keep it open."),
        .int("progress_event_interval_ms", \.progressEventIntervalMilliseconds, default: 250, .integers(0...60_000),
             "Shortest time between two progress events of a job (the last iteration always sends one), so that fast fits do not flood their followers."),

        // Webhooks
        .string("webhook_secret", \.webhookSecret, default: "", .any, secret: true,
                "Key of the webhooks' HMAC-SHA256 signatures (`whsec_<base64>` or any text); empty: jobs that name a `webhook` are refused (422)."),
        .int("webhook_max_attempts", \.webhookMaxAttempts, default: 8, .integers(1...100),
             "Attempts of one webhook delivery (a timeout, a refused connection, a status other than 2xx) before it is given up."),
        .int("webhook_first_backoff_ms", \.webhookFirstBackoffMilliseconds, default: 1000, .integers(1...3_600_000),
             "Wait after a delivery's first failed attempt; it doubles after each failure, up to `webhook_max_backoff_seconds`."),
        .int("webhook_max_backoff_seconds", \.webhookMaxBackoffSeconds, default: 3600, .integers(1...86_400),
             "Longest wait between two attempts of a delivery."),
        .int("webhook_connect_timeout_seconds", \.webhookConnectTimeoutSeconds, default: 5, .integers(1...60),
             "Connecting to a webhook's receiver may take this long."),
        .int("webhook_timeout_seconds", \.webhookTimeoutSeconds, default: 10, .integers(1...300),
             "A whole webhook request (connect, TLS, send, the response's status line) may take this long."),
        .int("webhook_max_response_bytes", \.webhookMaxResponseBytes, default: 4096, .integers(64...65_536),
             "Bytes of a receiver's response read at most (only its status is used)."),
        .int("webhook_snapshot_interval_seconds", \.webhookSnapshotIntervalSeconds, default: 60, .integers(0...86_400),
             "Shortest time between two `snapshot` webhooks of a job; snapshots in between send none."),
        .strings("webhook_allowed_networks", \.webhookAllowedNetworks, default: [], .networks,
                 "Networks (`127.0.0.0/8`, `::1`, `10.1.0.0/16`) webhooks may reach though they are not public; others (loopback, private, link-local, ...) are refused."),

        // Engine
        .string("preimage_weights", \.preimageWeights, default: "", .any,
                "SqueezeNet 1.1 weights for the `preimage` and `activation` tasks: `.safetensors` or an ncnn `.param`/`.bin` pair, read at start; empty: tasks unavailable."),
        .string("isa", \.instructionSet, default: "auto", .oneOf(["auto"] + InstructionSet.allCases.map(\.rawValue)),
                "The engine's kernels: `auto` (the fastest this CPU runs) or one to force; kernels the CPU cannot run stop the start."),
        .string("precision", \.precision, default: "fp32", .oneOf(Precision.allCases.map(\.rawValue)),
                "Number format of the large convolutions' products: `fp32`; `bf16` (AVX512-BF16; fp32 sums and weights); `auto` (bf16 where this CPU has it and it measured faster). A format the CPU cannot run stops the start."),

        // Limits
        .int("limits.max_upload_bytes", \.limits.maxUploadBytes, default: 32 << 20, .integers(1024...Int.max),
             "Whole request body of a submission (413)."),
        .int("limits.max_image_pixels", \.limits.maxImagePixels, default: 50_331_648, .integers(1...Int.max),
             "Pixels of any input image, and of a result (413): 48 MP photographs pass. Larger images are tiled, so this bounds the upload's decoded copy (16 bytes a pixel while it is cut and while its tiles are blended), not a fit."),
        .int("limits.max_fit_pixels", \.limits.maxFitPixels, default: 1_048_576, .integers(4096...Int.max),
             "Pixels of a fit of a task that is not tiled (`preimage`, `activation`; 413); other tasks' fits are at most `tile_size`². A fit needs about 3 KiB per pixel with `balanced`, 9 KiB with `reference`."),
        .int("limits.max_image_side", \.limits.maxImageSide, default: 16384, .integers(1...Int.max),
             "Width or height of any input image (413)."),
        .int("limits.max_iterations", \.limits.maxIterations, default: 20_000, .integers(1...Int.max),
             "Iterations a job may ask for (422)."),
        .int("limits.max_snapshots", \.limits.maxSnapshots, default: 200, .integers(0...Int.max),
             "Snapshots a job may keep: iterations / snapshot_every (422)."),
        .int("limits.max_wait_seconds", \.limits.maxWaitSeconds, default: 55, .integers(0...55, note: "under nginx's 60 s read timeout"),
             "Longest `Prefer: wait=N` a submission is held for."),

        // HTTP server
        .int("http.max_connections", \.http.maxConnections, default: 1024, .integers(1...Int.max),
             "Open connections beyond this get an immediate 503."),
        .int("http.header_timeout_seconds", \.http.headerTimeoutSeconds, default: 10, .integers(1...3600),
             "A request's head must be complete this long after it starts (408), against slow-header attacks."),
        .int("http.body_idle_timeout_seconds", \.http.bodyIdleTimeoutSeconds, default: 30, .integers(1...3600),
             "Longest pause between request body bytes (408)."),
        .int("http.keep_alive_timeout_seconds", \.http.keepAliveTimeoutSeconds, default: 75, .integers(1...3600),
             "An idle keep-alive connection is closed after this long; longer than nginx's 60 s upstream keepalive."),
        .int("http.write_timeout_seconds", \.http.writeTimeoutSeconds, default: 30, .integers(1...3600),
             "A client that accepts no response bytes this long while some are pending is dropped."),
    ]

    /// The setting named `key`, if any.
    public static func setting(_ key: String) -> Setting? { byKey[key] }

    private static let byKey = Dictionary(all.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })

    /// The configuration with every setting at its default.
    public static var defaults: ServiceConfiguration {
        var c = ServiceConfiguration()
        for s in all { s.store(s.defaultValue, into: &c) }
        return c
    }

    /// Refuses the first setting out of its rule, or settings that do not fit together, with
    /// a message that names the key.
    public static func validate(_ configuration: ServiceConfiguration) throws(InvalidSetting) {
        for s in all {
            if let problem = s.problem(with: s.value(in: configuration)) { throw InvalidSetting(problem) }
        }
        if configuration.leaseRenewSeconds * 2 > configuration.leaseSeconds {
            throw InvalidSetting("lease_renew_seconds: must be at most half of lease_seconds (\(configuration.leaseSeconds))")
        }
    }
}

/// A setting that stops the start: a bad value, an unknown key, a mistyped value.
public struct InvalidSetting: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
