/// Activation maximization (the reference's activation_maximization notebook): fit the
/// network so that one channel of a pretrained classifier's layer — at `conv10`, one
/// class's score — is as large as it can be. The image the DIP-parametrised network makes
/// is what the classifier "sees" in that class; the network's structure keeps it natural.
/// The reference maximizes AlexNet's units; here the classifier is SqueezeNet 1.1, whose
/// `conv10` (before its ReLU and the average that make the logits) holds the class maps.
public struct ActivationMaximizationTask: FittingTask {
    public var classifier: SqueezeNet
    public var layer: SqueezeNetLayer
    /// The channel of `layer` to maximize: the class index at `conv10`.
    public var channel: Int
    /// Side of the square image the classifier sees (the reference: 224 for its 227/224 nets).
    public var size: Int
    public var network: SkipConfiguration
    public var settings: FitSettings
    /// What is fitted: the network (Deep Image Prior, the default) or the image's own pixels.
    public var parametrisation = Parametrisation.network

    public enum Parametrisation: String, Sendable, CaseIterable {
        /// The DIP-parametrised image: the network's output, the network fitted.
        case network
        /// The image itself (`PixelActivationFit`): the paper's comparison without the prior.
        case pixels
    }

    /// The reference's scale of the loss (its `loss × 5`).
    public static let lossScale: Float = 5

    /// The notebook's settings: lr 0.01 for class scores (0.001 for inner layers), 3100
    /// steps, input jitter 0.03, no output average, no backtracking.
    public static func reference(classifier: SqueezeNet, layer: SqueezeNetLayer = .conv10, channel: Int,
                                 size: Int = 224) -> ActivationMaximizationTask {
        var s = FitSettings()
        s.iterations = 3100
        s.learningRate = layer == .conv10 ? 0.01 : 0.001
        s.regNoiseStd = 0.03
        s.expWeight = nil
        s.backtracking = nil
        return ActivationMaximizationTask(classifier: classifier, layer: layer, channel: channel, size: size,
                                          network: .activationMaximization(), settings: s)
    }

    public init(classifier: SqueezeNet, layer: SqueezeNetLayer, channel: Int, size: Int, network: SkipConfiguration,
                settings: FitSettings) {
        self.classifier = classifier; self.layer = layer; self.channel = channel; self.size = size
        self.network = network; self.settings = settings
    }

    public var outputShape: Shape { Shape(3, size, size) }
    /// No: there is no degradation to turn back to; the activation only grows.
    public static var autoStopApplies: Bool { false }
    /// Reference settings only: the network and the run are the method itself here.
    public static var takesPresets: Bool { false }

    /// The channels `layer` has (the classes at `conv10`) for an image of `size`.
    public func channelCount() -> Int { classifier.network(upTo: layer).outputShape(for: outputShape).channels }

    /// Runs the fit at the next multiple of 2^levels (224 → 256, as the reference) and crops
    /// the output to `size` at the top left. `FitProgress.loss` is −5 × the channel's mean
    /// activation; `psnrInput` means nothing here and is 0.
    public func run(cancel: CancellationFlag? = nil, checkpoints: FitCheckpointing? = nil,
                    onProgress: ((FitProgress) -> Void)? = nil,
                    onSnapshot: ((FitProgress) -> Void)? = nil) throws -> FitResult {
        guard network.outputChannels == 3 else { throw TaskInputError.channelMismatch(image: 3, network: network.outputChannels) }
        let channels = channelCount()
        guard (0..<channels).contains(channel) else {
            throw TaskInputError.invalid("layer \(layer.rawValue) has channels 0 to \(channels - 1), not \(channel)")
        }
        if parametrisation == .pixels {
            let objective = FitActivation(classifier: classifier.copy(), layer: layer, channel: channel, size: size,
                                          outputShape: outputShape, scale: Self.lossScale)
            return PixelActivationFit.run(objective: objective, settings: settings, cancel: cancel,
                                          onProgress: onProgress, onSnapshot: onSnapshot)
        }
        let net = try SkipNetwork(network)
        net.initialize(seed: settings.seed, batchNorm: settings.batchNormInit)
        let multiple = 1 << network.levels
        let padded = (size + multiple - 1) / multiple * multiple
        guard (try? net.checkedOutputShape(height: padded, width: padded)) != nil else {
            throw TaskInputError.imageTooSmall(height: size, width: size)
        }
        let region = PaddedRegion(top: 0, left: 0, height: size, width: size, paddedHeight: padded, paddedWidth: padded)
        // A copy of the classifier: its layers keep per-run buffers, and jobs may share one loaded SqueezeNet.
        let objective = FitActivation(classifier: classifier.copy(), layer: layer, channel: channel, size: size,
                                      outputShape: Shape(3, padded, padded), scale: Self.lossScale)
        let result = try DeepImagePrior.fit(network: net, input: .noise(channels: network.inputChannels), objective: objective,
                                            settings: settings, cancel: cancel, checkpoints: checkpoints,
                                            onProgress: onProgress.map { f in { f($0.cropped(region)) } },
                                            onSnapshot: onSnapshot.map { f in { f($0.cropped(region)) } })
        return result.cropped(region)
    }
}

/// loss = −scale · mean over positions of φ(out[:, :size, :size])[channel], with φ a
/// pretrained classifier truncated at a layer. Its gradient on the features is −scale/N at
/// every position of the channel and 0 elsewhere, carried back through the frozen
/// classifier into the output's top-left window.
public final class FitActivation: FitObjective {
    public let outputShape: Shape
    public let channel: Int
    public let scale: Float
    private let extractor: Sequential
    private let crop: Tensor
    /// dLoss/dFeatures: the same at every step (−scale/N on the channel, 0 elsewhere).
    private let featureGradient: Tensor

    public init(classifier: SqueezeNet, layer: SqueezeNetLayer, channel: Int, size: Int, outputShape: Shape, scale: Float) {
        precondition(outputShape.channels == 3 && outputShape.height >= size && outputShape.width >= size)
        self.outputShape = outputShape; self.channel = channel; self.scale = scale
        extractor = classifier.network(upTo: layer)
        crop = Tensor(Shape(3, size, size))
        let features = extractor.outputShape(for: crop.shape)
        precondition((0..<features.channels).contains(channel))
        featureGradient = Tensor(features)
        featureGradient.zero()
        let plane = features.height * features.width
        for i in 0..<plane { featureGradient.data[channel * plane + i] = -scale / Float(plane) }
    }

    public func loss(output: Tensor, gradient: Tensor, compute: Compute) -> Float {
        output.copyTopLeft(into: crop)
        let features = extractor.forward(crop, compute)
        let plane = features.height * features.width
        var sum: Float = 0
        for i in 0..<plane { sum += features.data[channel * plane + i] }
        guard let back = extractor.backward(featureGradient, compute) else { preconditionFailure("the classifier gives no input gradient") }
        gradient.zero()
        back.copyTopLeft(into: gradient)
        compute.workspace.recycle(back)
        return -scale * sum / Float(plane)
    }

    /// No input image: nothing to compare with.
    public func psnrAgainstInput(_ output: Tensor) -> Double { 0 }
}

extension SkipConfiguration {
    /// The activation-maximization notebook's network: 6 levels of 16…128 channels, skips
    /// [0, 4, 4, 4, 4, 4], filters down [5,3,5,5,3,5] and up [5,3,5,3,5,3], average-pool
    /// downsampling, bilinear upsampling, reflection padding, 32 input channels.
    public static func activationMaximization() -> SkipConfiguration {
        SkipConfiguration(inputChannels: 32, outputChannels: 3,
                          channelsDown: [16, 32, 64, 128, 128, 128], channelsUp: [16, 32, 64, 128, 128, 128],
                          channelsSkip: [0, 4, 4, 4, 4, 4], filterSizeDown: [5, 3, 5, 5, 3, 5], filterSizeUp: [5, 3, 5, 3, 5, 3],
                          padding: .reflection, upsampleMode: [.bilinear], downsampleMode: [.avg])
    }
}
