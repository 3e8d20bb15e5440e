import ArgumentParser

struct DIPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dip",
        abstract: "Restore images with Deep Image Prior: a randomly initialised network fitted to one image.",
        version: "0.1.0",
        subcommands: [DenoiseCommand.self,
                      PreimageCommand.self, ClassifyCommand.self, ConvertWeightsCommand.self])
}
