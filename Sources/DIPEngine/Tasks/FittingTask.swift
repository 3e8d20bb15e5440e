/// One Deep Image Prior problem with its inputs bound: the network, the fit
/// settings and the loss of one application (denoising, super-resolution,
/// inpainting, ...). The CLI and the service build one and run it; neither
/// needs to know which loss is inside.
public protocol FittingTask {
    var network: SkipConfiguration { get set }
    var settings: FitSettings { get set }
    /// The settings the fit runs with: `settings`, with anything the task derives from its
    /// inputs filled in (denoising: auto stop's loss floor from the image's noise).
    var fitSettings: FitSettings { get }
    /// Channels × height × width of the restored image (super-resolution: larger than the input).
    var outputShape: Shape { get }
    /// Fits and returns the restored image. Progress and snapshot tensors have `outputShape`.
    /// With `checkpoints`, the fit resumes from its checkpoint and saves new ones as it goes.
    func run(cancel: CancellationFlag?, checkpoints: FitCheckpointing?, onProgress: ((FitProgress) -> Void)?,
             onSnapshot: ((FitProgress) -> Void)?) throws -> FitResult
    /// Whether auto stop serves this task: true where a long fit turns back toward
    /// the degradation (noise, JPEG blocks, aliasing, the holes' fill), so the best
    /// result lies before the end.
    static var autoStopApplies: Bool { get }
    /// Whether `Preset`s other than `reference` apply: true where the reference fits a
    /// wide network for thousands of iterations, so a narrower one saves most of the time.
    /// The presets' values were measured on denoising; the other tasks take the same scaling.
    static var takesPresets: Bool { get }
    /// Whether the degradation is independent from pixel to pixel, so that the fit can leave
    /// pixels out of its loss and stop on the error there (`AutoStop.Criterion.heldOutPixels`).
    var holdsOutPixels: Bool { get }
    /// How this task takes the presets' fitted-input fit (`Preset.FittedInputFit`); nil where it
    /// keeps the reference's fit, scaled.
    var fittedInput: FittedInputTuning? { get }
}

extension FittingTask {
    /// Fits from the start, without checkpoints.
    public func run(cancel: CancellationFlag?, onProgress: ((FitProgress) -> Void)?,
                    onSnapshot: ((FitProgress) -> Void)?) throws -> FitResult {
        try run(cancel: cancel, checkpoints: nil, onProgress: onProgress, onSnapshot: onSnapshot)
    }

    public var fitSettings: FitSettings { settings }
    public static var autoStopApplies: Bool { true }
    public static var takesPresets: Bool { true }
    public var holdsOutPixels: Bool { false }
    public var fittedInput: FittedInputTuning? { nil }

    /// The signal auto stop watches in this task's fit: the held-out rule only where the task
    /// holds pixels out, the variance rule wherever else it is asked for (nil: auto stop off).
    public var autoStopRule: AutoStop.Criterion? {
        settings.autoStop.map { $0.criterion == .heldOutPixels && holdsOutPixels ? .heldOutPixels : .outputVariance }
    }
}

/// Why a task cannot be built or run on the inputs it was given.
public enum TaskInputError: Error, Equatable, CustomStringConvertible {
    case imageTooSmall(height: Int, width: Int)
    case channelMismatch(image: Int, network: Int)
    case sizeMismatch(what: String, expected: String, got: String)
    case invalid(String)

    public var description: String {
        switch self {
        case let .imageTooSmall(h, w): return "image \(w)×\(h) is too small for this network"
        case let .channelMismatch(i, n): return "image has \(i) channels but the network outputs \(n)"
        case let .sizeMismatch(what, e, g): return "\(what) is \(g), expected \(e)"
        case let .invalid(m): return m
        }
    }
}
