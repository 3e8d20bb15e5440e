/// The natural pre-image (feature inversion, the reference's feature_inversion
/// notebook): fit the network so that a pretrained classifier's features of its
/// output match the features of a target image. The reference inverts AlexNet's
/// fc6; here the classifier is SqueezeNet 1.1 and the layer `fire9` or `conv10`.
public struct PreimageTask: FittingTask {
    /// The image whose features are inverted, RGB in [0, 1] (the reference resizes it to 224×224).
    public var image: Tensor
    public var classifier: SqueezeNet
    public var layer: SqueezeNetLayer
    public var network: SkipConfiguration
    /// Reference: lr 0.001, 3100 steps, no input jitter, no output average, no backtracking.
    public var settings: FitSettings

    /// The feature-inversion notebook's settings.
    public static func reference(image: Tensor, classifier: SqueezeNet, layer: SqueezeNetLayer = .fire9) -> PreimageTask {
        var s = FitSettings()
        s.iterations = 3100
        s.learningRate = 0.001
        s.regNoiseStd = 0
        s.expWeight = nil
        s.backtracking = nil
        return PreimageTask(image: image, classifier: classifier, layer: layer, network: .featureInversion(), settings: s)
    }

    public init(image: Tensor, classifier: SqueezeNet, layer: SqueezeNetLayer, network: SkipConfiguration, settings: FitSettings) {
        self.image = image; self.classifier = classifier; self.layer = layer; self.network = network; self.settings = settings
    }

    public var outputShape: Shape { image.shape }

    /// No: the fit matches a classifier's features, not a degraded image; the pre-image
    /// keeps improving with the feature loss, and no output is the degradation.
    public static var autoStopApplies: Bool { false }
    /// Reference settings only: the network and run are the method itself here.
    public static var takesPresets: Bool { false }

    /// Runs the fit. The network works at the next multiple of 2^levels (224 → 256, as the
    /// reference) and its output is cropped to the image's size at the top left, as the
    /// reference's `out[:, :, :imsize, :imsize]`; progress, snapshots and the result are
    /// that crop. `FitProgress.loss` is the feature MSE; `psnrInput` is the PSNR of the crop
    /// against the image (a diagnostic: the fit does not minimise it).
    public func run(cancel: CancellationFlag? = nil, checkpoints: FitCheckpointing? = nil,
                    onProgress: ((FitProgress) -> Void)? = nil,
                    onSnapshot: ((FitProgress) -> Void)? = nil) throws -> FitResult {
        guard image.channels == 3, network.outputChannels == 3 else {
            throw TaskInputError.channelMismatch(image: image.channels, network: network.outputChannels)
        }
        let net = try SkipNetwork(network)
        net.initialize(seed: settings.seed, batchNorm: settings.batchNormInit)
        let multiple = 1 << network.levels
        let h = (image.height + multiple - 1) / multiple * multiple, w = (image.width + multiple - 1) / multiple * multiple
        guard (try? net.checkedOutputShape(height: h, width: w)) != nil,
              classifier.network(upTo: layer).outputShape(for: image.shape).count > 0 else {
            throw TaskInputError.imageTooSmall(height: image.height, width: image.width)
        }
        let region = PaddedRegion(top: 0, left: 0, height: image.height, width: image.width, paddedHeight: h, paddedWidth: w)
        // A copy of the classifier: its layers keep per-run buffers, and jobs may share one loaded SqueezeNet.
        let objective = FitFeatures(classifier: classifier.copy(), layer: layer, target: image, outputShape: Shape(3, h, w),
                                    threads: settings.threads)
        let result = try DeepImagePrior.fit(network: net, input: .noise(channels: network.inputChannels), objective: objective,
                                            settings: settings, cancel: cancel, checkpoints: checkpoints,
                                            onProgress: onProgress.map { f in { f($0.cropped(region)) } },
                                            onSnapshot: onSnapshot.map { f in { f($0.cropped(region)) } })
        return result.cropped(region)
    }
}

/// Feature matching: loss = MSE(φ(out[:, :h, :w]), φ(target)) with φ a pretrained
/// classifier truncated at a layer (mean over all feature elements, as the reference's
/// Matcher). The gradient runs back through the frozen classifier into the output.
public final class FitFeatures: FitObjective {
    public let target: Tensor
    public let targetFeatures: Tensor
    public let outputShape: Shape
    /// Mean square of the target's features: loss / targetEnergy is the relative error.
    public let targetEnergy: Float
    private let extractor: Sequential
    private let crop: Tensor
    private let featureGradient: Tensor

    public init(classifier: SqueezeNet, layer: SqueezeNetLayer, target: Tensor, outputShape: Shape, threads: Int = 1) {
        precondition(outputShape.channels == target.channels && outputShape.height >= target.height && outputShape.width >= target.width)
        self.target = target; self.outputShape = outputShape
        extractor = classifier.network(upTo: layer)
        targetFeatures = extractor.forward(target, Compute(threads: threads)).clone()
        targetEnergy = targetFeatures.values.reduce(0) { $0 + $1 * $1 } / Float(targetFeatures.count)
        crop = Tensor(target.shape)
        featureGradient = Tensor(targetFeatures.shape)
    }

    public func loss(output: Tensor, gradient: Tensor, compute: Compute) -> Float {
        Self.copyTopLeft(output, crop)
        let features = extractor.forward(crop, compute)
        let loss = MSELoss.evaluate(output: features, target: targetFeatures, gradient: featureGradient, compute: compute)
        guard let g = extractor.backward(featureGradient, compute) else { preconditionFailure("the classifier gives no input gradient") }
        gradient.zero()
        Self.copyTopLeft(g, gradient)
        compute.workspace.recycle(g)
        return loss
    }

    /// PSNR of the output's crop against the target image: how close in pixels the
    /// pre-image is to the image (a diagnostic, not what the fit minimises).
    public func psnrAgainstInput(_ output: Tensor) -> Double {
        Self.copyTopLeft(output, crop)
        return PSNR.compute(target, crop)
    }

    static func copyTopLeft(_ src: Tensor, _ dst: Tensor) { src.copyTopLeft(into: dst) }
}

extension Tensor {
    /// Copies the top-left window this tensor and `dst` have in common (the classifier tasks'
    /// crop of a network output made at a multiple of 2^levels).
    func copyTopLeft(into dst: Tensor) {
        let h = min(height, dst.height), w = min(width, dst.width)
        for c in 0..<dst.channels {
            for y in 0..<h {
                (dst.data + (c * dst.height + y) * dst.width).update(from: data + (c * height + y) * width, count: w)
            }
        }
    }
}

extension SkipConfiguration {
    /// The feature-inversion notebook's network: 6 levels of 16…128 channels, skip 4, filter
    /// sizes 7,7,5,5,3,3, average-pool downsampling, zero padding, nearest upsampling, 32 input channels.
    public static func featureInversion() -> SkipConfiguration {
        SkipConfiguration(inputChannels: 32, outputChannels: 3,
                          channelsDown: [16, 32, 64, 128, 128, 128], channelsUp: [16, 32, 64, 128, 128, 128],
                          channelsSkip: [4, 4, 4, 4, 4, 4], filterSizeDown: [7, 7, 5, 5, 3, 3], filterSizeUp: [7, 7, 5, 5, 3, 3],
                          padding: .zero, upsampleMode: [.nearest], downsampleMode: [.avg])
    }
}
