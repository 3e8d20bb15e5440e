import DIPEngine

/// The applications of Deep Image Prior the service runs.
public enum TaskKind: String, Codable, Sendable, CaseIterable {
    case denoise, superResolution = "super-resolution", inpaint, restore, jpeg, flash, preimage, activation
}

/// What a user asks for: the task and any settings that differ from the reference's.
/// Absent fields take the task's defaults; the job shows the effective values.
public struct TaskSpec: Codable, Sendable, Equatable {
    public var task: TaskKind
    public var iterations: Int?
    public var snapshotEvery: Int?
    public var seed: UInt64?
    public var learningRate: Double?
    public var regNoise: Double?
    public var expWeight: Double?
    public var backtracking: Bool?
    /// Fit the network's input too, at this learning rate; 0 keeps it fixed (default: the preset's).
    public var inputLearningRate: Double?
    /// Weight of the loss's total-variation term; 0 drops it (default: the preset's).
    public var tvWeight: Double?
    /// Stop where the auto-stop rule's signal has passed its minimum (default: on where the task allows it).
    public var autoStop: Bool?
    /// What auto stop watches: the outputs' moving variance or the error on held-out pixels (default: the preset's).
    public var autoStopRule: AutoStop.Criterion?
    /// Iterations without a new minimum of auto stop's signal before the fit stops (default: the preset's).
    public var autoStopPatience: Int?
    /// Denoise: the noise's standard deviation on the [0, 1] scale, which auto stop's variance rule
    /// waits for the loss to come down to (its square is the loss floor), instead of the level
    /// estimated from the image fitted: a tile of a large image can be given the whole image's
    /// level, which the tile alone estimates less well. No effect where auto stop is off or watches held-out pixels.
    public var noiseLevel: Double?
    /// Stop after this many seconds of fitting, with the best result so far.
    public var maxSeconds: Double?
    /// Networks fitted at once from their own seeds and averaged (denoise; default: the preset's).
    public var members: Int?
    /// fast, balanced or reference (tasks that take presets; default balanced).
    public var preset: Preset?
    /// Inpainting: which of the reference's setups the network follows (text, large-hole, region).
    public var setup: InpaintingTask.Setup?
    public var factor: Int?
    public var keep: Double?
    /// Preimage: the layer whose features are matched (default fire9); activation: the layer
    /// one of whose channels is maximised (default conv10).
    public var layer: SqueezeNetLayer?
    /// Activation: the ImageNet class whose score is maximised (at a layer other than conv10:
    /// the index of the layer's channel). Users give an index or a name; the spec keeps the index.
    public var `class`: Int?
    /// Activation: the side of the square image made (default 224, the classifier's own).
    public var size: Int?
    public var optimizer: FitSettings.Optimizer?
    public var network: NetworkOverrides?
    /// An http or https URL the service POSTs the job to when one of `webhookEvents` happens.
    public var webhook: String?
    /// The events the webhook is told of (default: `completed` only).
    public var webhookEvents: [WebhookEvent]?

    public init(task: TaskKind) { self.task = task }

    /// The field names users write (the record on disk uses the same, through snake_case coding).
    public static let fieldNames = ["task", "iterations", "snapshot_every", "seed", "learning_rate", "reg_noise", "exp_weight",
                                    "backtracking", "input_learning_rate", "tv_weight", "auto_stop", "auto_stop_rule",
                                    "auto_stop_patience", "noise_level", "max_seconds", "members", "preset", "setup", "factor", "keep", "layer", "class",
                                    "size", "optimizer", "network", "webhook", "webhook_events"]

    /// The events a webhook is told of: `webhookEvents`, or `completed` when the spec names none.
    public var notifiedEvents: [WebhookEvent] { webhook == nil ? [] : webhookEvents ?? [.completed] }
}

/// What a job's webhook can be told of.
public enum WebhookEvent: String, Codable, Sendable, CaseIterable {
    /// A worker started the job's run (again after a restart).
    case started
    /// The fit stored a snapshot (at most one every `webhook_snapshot_interval_seconds`).
    case snapshot
    /// The job finished: succeeded, failed or canceled.
    case completed
}
