import ArgumentParser

struct DIPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dip",
        abstract: "Restore images with Deep Image Prior: a randomly initialised network fitted to one image.",
        version: "0.1.0",
        subcommands: [DenoiseCommand.self,
                      SuperResolutionCommand.self, InpaintCommand.self, RestoreCommand.self,
                      JPEGCommand.self, FlashCommand.self,
                      PreimageCommand.self, ActivationCommand.self, ClassifyCommand.self, ConvertWeightsCommand.self, InfoCommand.self])
}
