/// The settings a job runs with: its spec with every default filled in.
public struct EffectiveParameters: Codable, Sendable, Equatable {
    public var task: String
    public var preset: String?
    public var setup: String?
    public var iterations: Int
    public var snapshotEvery: Int
    public var seed: UInt64
    public var learningRate: Double
    public var regNoise: Double
    public var expWeight: Double
    public var backtracking: Bool
    /// When the input is fitted too: its learning rate (nil: the input is fixed).
    public var inputLearningRate: Double?
    /// When the loss has a total-variation term: its weight.
    public var tvWeight: Double?
    /// Optional only so that records written before auto stop existed still load.
    public var autoStop: Bool?
    /// With auto stop: what it watches (`variance` or `held-out`) and its patience.
    public var autoStopRule: String?
    public var autoStopPatience: Int?
    public var maxSeconds: Double?
    /// With an ensemble: how many networks are fitted and averaged.
    public var members: Int?
    public var factor: Int?
    public var keep: Double?
    public var layer: String?
    /// Activation: the class (at conv10; elsewhere the layer's channel) whose score is maximised.
    public var `class`: Int?
    /// Activation: the side of the square image made.
    public var size: Int?
    public var optimizer: String
    public var threads: Int
    public var network: Network

    public init(task: String, preset: String? = nil, setup: String? = nil, iterations: Int, snapshotEvery: Int, seed: UInt64,
                learningRate: Double, regNoise: Double, expWeight: Double, backtracking: Bool,
                inputLearningRate: Double? = nil, tvWeight: Double? = nil, autoStop: Bool? = nil, autoStopRule: String? = nil,
                autoStopPatience: Int? = nil, maxSeconds: Double? = nil, members: Int? = nil, factor: Int? = nil, keep: Double? = nil,
                layer: String? = nil, class: Int? = nil, size: Int? = nil, optimizer: String, threads: Int, network: Network) {
        self.task = task; self.preset = preset; self.setup = setup; self.iterations = iterations
        self.snapshotEvery = snapshotEvery; self.seed = seed; self.learningRate = learningRate; self.regNoise = regNoise
        self.expWeight = expWeight; self.backtracking = backtracking; self.inputLearningRate = inputLearningRate
        self.tvWeight = tvWeight; self.autoStop = autoStop; self.autoStopRule = autoStopRule
        self.autoStopPatience = autoStopPatience; self.maxSeconds = maxSeconds; self.members = members; self.factor = factor; self.keep = keep
        self.layer = layer; self.class = `class`; self.size = size; self.optimizer = optimizer; self.threads = threads; self.network = network
    }

    public struct Network: Codable, Sendable, Equatable {
        public var inputChannels: Int
        public var outputChannels: Int
        public var channelsDown: [Int]
        public var channelsUp: [Int]
        public var channelsSkip: [Int]
        public var upsampleMode: [String]
        public var downsampleMode: [String]
        public var padding: String

        public init(inputChannels: Int, outputChannels: Int, channelsDown: [Int], channelsUp: [Int], channelsSkip: [Int],
                    upsampleMode: [String], downsampleMode: [String], padding: String) {
            self.inputChannels = inputChannels; self.outputChannels = outputChannels; self.channelsDown = channelsDown
            self.channelsUp = channelsUp; self.channelsSkip = channelsSkip; self.upsampleMode = upsampleMode
            self.downsampleMode = downsampleMode; self.padding = padding
        }
    }
}
