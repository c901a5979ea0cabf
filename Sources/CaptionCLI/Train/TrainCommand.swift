import Application
import ArgumentParser

/// `caption train …`: fit the captioner or the aligner on a dataset.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model on a captioned-image dataset.",
        subcommands: [TrainCaptionerCommand.self, TrainAlignerCommand.self])
}
