import Application
import ArgumentParser
import Captioning
import Foundation
import Tensors

/// `caption sample`: text from a language model trained with `--text-only` (char-rnn style).
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Generate text from a model trained with --text-only.",
        discussion: """
        Draws --count sequences, one a line. Temperature below 1 gives safer, more repetitive \
        text; above 1 more surprising text. The same --seed repeats the same samples.

        Example:
          caption sample --model runs/chars --temperature 0.8 --count 5
        """)

    @Option(help: ArgumentHelp("A model trained with --text-only (file or training folder).", valueName: "path"))
    var model: String

    @Option(help: "Sampling temperature (> 0).")
    var temperature: Float = 1

    @Option(help: "Sequences to print.")
    var count = 1

    @Option(help: ArgumentHelp("Longest sequence, in tokens (words, or characters for --chars models).", valueName: "tokens"))
    var maxLength = 100

    @Option(help: "Seed for repeatable samples.")
    var seed: UInt64 = 1

    func validate() throws {
        guard DecodingPolicy.Limits.temperature.contains(temperature) else {
            throw ValidationError("--temperature: must be in 0.01…100, got \(temperature)")
        }
        guard (1...10_000).contains(count) else { throw ValidationError("--count: must be in 1…10000, got \(count)") }
        guard (1...1_000).contains(maxLength) else { throw ValidationError("--max-length: must be in 1…1000, got \(maxLength)") }
    }

    func run() throws {
        let file = try ModelFiles.captioner(model)
        guard file.features == nil else {
            throw CaptionError.input(model, "this is an image captioner; sample a --text-only model, or caption an image")
        }
        var rng = SplitMix64(seed: seed)
        let sampler = Sampler(maxLength: maxLength + 1)
        for _ in 0..<count {
            emit(file.sentence(sampler.sample(file.decoder, feature: nil, temperature: temperature, rng: &rng).words))
        }
    }
}
