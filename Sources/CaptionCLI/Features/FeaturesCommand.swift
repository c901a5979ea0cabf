import ArgumentParser

/// `caption features`: the encoder's outputs for photos (`extract`, the default), and
/// `caption features merge` to join the caches of a sharded run.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Print or save the VGG16 encoder's features; join sharded feature caches.",
        discussion: """
        `caption features IMAGE…` runs `extract`, the default; `caption help features extract` \
        lists its options. A photo literally named merge or extract must be written ./merge.

        Examples:
          caption features examples/chelsea.jpg --json
          caption features photos/ --cache photos.features
          caption features photos/ --shard 3/8 --cache part-3.features
          caption features merge part-*.features --out photos.features
        """,
        subcommands: [FeaturesExtractCommand.self, FeaturesMergeCommand.self],
        defaultSubcommand: FeaturesExtractCommand.self)
}
