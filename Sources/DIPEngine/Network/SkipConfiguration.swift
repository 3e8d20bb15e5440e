/// Downsampling of the skip network's encoder convolutions.
public enum DownsampleMode: String, Sendable, Codable, CaseIterable {
    case stride                 // the conv itself has stride 2
    case avg, max               // conv at stride 1, then a 2×2 pool
    case lanczos2, lanczos3     // conv at stride 1, then the fixed Lanczos downsampler
}

/// Initial value of BatchNorm's γ. PyTorch 0.4, which produced the reference
/// results, drew γ ~ U(0, 1); PyTorch ≥ 1.2 starts at 1.
public enum BatchNormInit: String, Sendable, Codable { case uniform, ones }

/// Every constructor option of the reference's `skip` network. Per-level
/// options are lists with one entry per level (a single entry is repeated).
public struct SkipConfiguration: Codable, Sendable, Equatable {
    public var inputChannels: Int
    public var outputChannels: Int
    public var channelsDown: [Int]
    public var channelsUp: [Int]
    public var channelsSkip: [Int]
    public var filterSizeDown: [Int]
    public var filterSizeUp: [Int]
    public var filterSkipSize: Int
    public var needSigmoid: Bool
    public var needBias: Bool
    public var padding: Padding
    public var upsampleMode: [UpsampleMode]
    public var downsampleMode: [DownsampleMode]
    public var activation: ActivationKind
    public var need1x1Up: Bool

    public init(inputChannels: Int, outputChannels: Int,
                channelsDown: [Int], channelsUp: [Int], channelsSkip: [Int],
                filterSizeDown: [Int] = [3], filterSizeUp: [Int] = [3], filterSkipSize: Int = 1,
                needSigmoid: Bool = true, needBias: Bool = true, padding: Padding = .zero,
                upsampleMode: [UpsampleMode] = [.nearest], downsampleMode: [DownsampleMode] = [.stride],
                activation: ActivationKind = .leakyReLU, need1x1Up: Bool = true) {
        self.inputChannels = inputChannels; self.outputChannels = outputChannels
        self.channelsDown = channelsDown; self.channelsUp = channelsUp; self.channelsSkip = channelsSkip
        self.filterSizeDown = filterSizeDown; self.filterSizeUp = filterSizeUp; self.filterSkipSize = filterSkipSize
        self.needSigmoid = needSigmoid; self.needBias = needBias; self.padding = padding
        self.upsampleMode = upsampleMode; self.downsampleMode = downsampleMode
        self.activation = activation; self.need1x1Up = need1x1Up
    }

    public var levels: Int { channelsDown.count }

    /// Every level's channel count (down, up and skip) capped at `cap`: how the presets narrow a network.
    public mutating func capChannels(at cap: Int) {
        channelsDown = channelsDown.map { min($0, cap) }
        channelsUp = channelsUp.map { min($0, cap) }
        channelsSkip = channelsSkip.map { min($0, cap) }
    }

    /// The per-level value of a list option (a one-element list applies to all levels).
    func at<T>(_ list: [T], _ level: Int) -> T { list.count == 1 ? list[0] : list[level] }

    public enum Invalid: Error, Equatable, CustomStringConvertible {
        case field(String, String)
        public var description: String {
            switch self { case let .field(name, why): return "\(name): \(why)" }
        }
    }

    /// Checks the options the way a user would want to hear about them.
    public func validate() throws(Invalid) {
        let n = levels
        func check(_ ok: Bool, _ field: String, _ why: String) throws(Invalid) { if !ok { throw Invalid.field(field, why) } }
        try check(n >= 1 && n <= 8, "channels_down", "needs 1 to 8 levels")
        try check(channelsUp.count == n, "channels_up", "needs \(n) entries, one per level")
        try check(channelsSkip.count == n, "channels_skip", "needs \(n) entries, one per level")
        try check(inputChannels >= 1 && inputChannels <= 256, "input_channels", "must be 1...256")
        try check(outputChannels >= 1 && outputChannels <= 16, "output_channels", "must be 1...16")
        for (name, list, lo) in [("channels_down", channelsDown, 1), ("channels_up", channelsUp, 1), ("channels_skip", channelsSkip, 0)] {
            try check(list.allSatisfy { $0 >= lo && $0 <= 1024 }, name, "entries must be \(lo)...1024")
        }
        for (name, list) in [("filter_size_down", filterSizeDown), ("filter_size_up", filterSizeUp)] {
            try check(list.count == 1 || list.count == n, name, "needs 1 or \(n) entries")
            try check(list.allSatisfy { $0 >= 1 && $0 <= 15 && $0 % 2 == 1 }, name, "entries must be odd, 1...15")
        }
        try check(filterSkipSize >= 1 && filterSkipSize <= 15 && filterSkipSize % 2 == 1, "filter_skip_size", "must be odd, 1...15")
        try check(upsampleMode.count == 1 || upsampleMode.count == n, "upsample_mode", "needs 1 or \(n) entries")
        try check(downsampleMode.count == 1 || downsampleMode.count == n, "downsample_mode", "needs 1 or \(n) entries")
    }

    /// The reference's `get_net(input_depth, 'skip', pad, upsample_mode, n_channels, skip_n33d,
    /// skip_n33u, skip_n11, num_scales, downsample_mode)`.
    public static func getNet(inputDepth: Int, padding: Padding, upsample: UpsampleMode, outputChannels: Int = 3,
                              n33d: Int = 128, n33u: Int = 128, n11: Int = 4, scales: Int = 5,
                              downsample: DownsampleMode = .stride) -> SkipConfiguration {
        SkipConfiguration(inputChannels: inputDepth, outputChannels: outputChannels,
                          channelsDown: Array(repeating: n33d, count: scales),
                          channelsUp: Array(repeating: n33u, count: scales),
                          channelsSkip: Array(repeating: n11, count: scales),
                          padding: padding, upsampleMode: [upsample], downsampleMode: [downsample])
    }

    /// Denoising (σ = 25) as in the reference notebook: 32 noise channels in.
    public static func denoising(outputChannels: Int = 3) -> SkipConfiguration {
        getNet(inputDepth: 32, padding: .reflection, upsample: .bilinear, outputChannels: outputChannels)
    }

    /// Blind JPEG artefact removal: a small network, channels 8…128, skip 0,0,0,4,4.
    public static func jpeg(outputChannels: Int = 3) -> SkipConfiguration {
        SkipConfiguration(inputChannels: 3, outputChannels: outputChannels,
                          channelsDown: [8, 16, 32, 64, 128], channelsUp: [8, 16, 32, 64, 128],
                          channelsSkip: [0, 0, 0, 4, 4], padding: .reflection, upsampleMode: [.bilinear])
    }
}
