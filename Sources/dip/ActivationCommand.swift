import ArgumentParser
import DIPEngine
import DIPTasks
import Foundation

struct ActivationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activation",
        abstract: "Activation maximization: make the image whose SqueezeNet score for one ImageNet class is as large as it can be.",
        discussion: """
        The activation maximization of the reference, with SqueezeNet 1.1 in place of AlexNet: no input image; the network \
        is fitted so that its --size² output raises one channel of --layer (at conv10, the class's score). The loss shown is \
        −5 × that channel's mean. The class is printed first, and at the end the classifier's top 5 on the written image \
        (as the fit saw it: not resized), which rank the class first once the fit has gone far enough.
        """)

    @Option(name: .customLong("class"),
            help: "The ImageNet class: its index (0 to 999) or a name as in synset_words.txt, in any case (goldfish, tench, Tinca tinca).")
    var imageNetClass: String
    @Option(help: "SqueezeNet 1.1 weights: .safetensors, or an ncnn .param/.bin pair (either file).") var weights: String
    @Option(help: "The layer one of whose channels is raised: conv10 (the class scores), or an earlier fireN / conv1, where --class is the index of a channel.")
    var layer = "conv10"
    @Option(help: "Side of the square image made (the reference: 224).") var size = 224
    @Option(help: "What is fitted: network (the DIP-parametrised image) or pixels (the image itself, the same loss and Adam steps without the network's prior: the paper's comparison).")
    var parametrisation = ActivationMaximizationTask.Parametrisation.network
    @OptionGroup var fit: FitOptions

    func validate() throws {
        guard (32...1024).contains(size) else { throw ValidationError("--size must be 32...1024") }
        if fit.crop != nil { throw ValidationError("--crop has no effect: activation takes no input image") }
        if fit.saveDegraded != nil { throw ValidationError("--save-degraded has no effect: activation takes no input image") }
    }

    func run() throws {
        let layer = try ClassifierFiles.layer(self.layer)
        let index: Int
        do { index = try ImageNetClasses.index(named: imageNetClass, field: "--class") } catch { throw CLIError(error.description) }
        let classifier = try ClassifierFiles.squeezeNet(weights)

        var spec = try fit.spec(.activation)
        spec.layer = layer
        spec.class = index
        spec.size = size
        var task: any FittingTask
        do { task = try fit.build(spec, .none, classifier: classifier) } catch let e as SpecError where e.field == "class" {
            throw CLIError("--class: \(e.problem)")
        }
        if var activation = task as? ActivationMaximizationTask {
            activation.parametrisation = parametrisation
            task = activation
        }
        let what = layer == .conv10 ? "class \(index): \(ImageNetClasses.words[index])" : "channel \(index) of \(layer.rawValue)"
        print("maximising \(what)")
        fflush(nil)     // out before the progress on stderr, also when stdout is a pipe
        try FitRun(command: "activation", input: what, options: fit,
                   settings: ["layer": layer.rawValue, "class": "\(index)", "size": "\(size)", "parametrisation": parametrisation.rawValue,
                              "loss": "−5 × the mean of the channel (the class's score at conv10)"])
            .run(task)

        // The classifier's view of the image as written (8 bits), at the size the fit raised the score at.
        let written = try SqueezeNet.rgb(ImageFiles.load(fit.output).tensor)
        let logits = classifier.logits(written, compute: Compute(threads: fit.threads ?? ProcessInfo.processInfo.activeProcessorCount))
        print("top 5 on the result:")
        for (rank, c) in SqueezeNet.top(5, of: logits).enumerated() {
            print(String(format: "%d  %6.2f%%  %4d  %@", rank + 1, c.probability * 100, c.index, ImageNetClasses.names(c.index)[0]))
        }
    }
}

extension ActivationMaximizationTask.Parametrisation: ExpressibleByArgument {}
