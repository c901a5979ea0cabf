import Application
import ArgumentParser

/// `caption batch`: caption whole folders, resumably; `caption batch merge` joins shards.
struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Caption a folder tree or a list of files into a resumable results file.",
        subcommands: [BatchRunCommand.self, BatchMergeCommand.self],
        defaultSubcommand: BatchRunCommand.self)
}
