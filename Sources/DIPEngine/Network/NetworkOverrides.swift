/// Changes to a task's network: the `skip` options users may set (per level:
/// channels down, up and skip; the input depth, upsampling and padding). Fields
/// left nil keep the task's or preset's value.
public struct NetworkOverrides: Codable, Sendable, Equatable {
    public var channelsDown: [Int]?
    public var channelsUp: [Int]?
    public var channelsSkip: [Int]?
    public var inputChannels: Int?
    public var upsampleMode: UpsampleMode?
    public var padding: Padding?

    /// The names users write, in the service's spec and the CLI's --network.
    public static let fieldNames = ["channels_down", "channels_up", "channels_skip", "input_channels", "upsample_mode", "padding"]

    public init(channelsDown: [Int]? = nil, channelsUp: [Int]? = nil, channelsSkip: [Int]? = nil,
                inputChannels: Int? = nil, upsampleMode: UpsampleMode? = nil, padding: Padding? = nil) {
        self.channelsDown = channelsDown; self.channelsUp = channelsUp; self.channelsSkip = channelsSkip
        self.inputChannels = inputChannels; self.upsampleMode = upsampleMode; self.padding = padding
    }

    /// `base` with these changes, checked. Changing the number of levels takes all three
    /// channel lists; per-level options given once per level of `base` fall back to their first entry.
    public func applied(to base: SkipConfiguration) throws(SkipConfiguration.Invalid) -> SkipConfiguration {
        var c = base
        if let v = channelsDown { c.channelsDown = v }
        if let v = channelsUp { c.channelsUp = v }
        if let v = channelsSkip { c.channelsSkip = v }
        let levels = c.channelsDown.count
        if c.channelsUp.count != levels || c.channelsSkip.count != levels {
            throw .field("network", "this task's network has \(base.levels) levels: give channels_down, channels_up and channels_skip together to change that")
        }
        if let v = inputChannels { c.inputChannels = v }
        if let v = upsampleMode { c.upsampleMode = [v] }
        if let v = padding { c.padding = v }
        func fit<T>(_ list: [T]) -> [T] { list.count == 1 || list.count == levels ? list : [list[0]] }
        c.upsampleMode = fit(c.upsampleMode); c.downsampleMode = fit(c.downsampleMode)
        c.filterSizeDown = fit(c.filterSizeDown); c.filterSizeUp = fit(c.filterSizeUp)
        try c.validate()
        return c
    }
}
