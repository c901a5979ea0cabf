import Application
import ArgumentParser

/// The decoding options of `caption`, `caption batch` and `caption evaluate captions`: one
/// declaration of `DecodingPolicy`'s fields, with its defaults and its checks.
struct DecodingOptions: ParsableArguments {
    private static let defaults = DecodingPolicy()

    @Option(help: ArgumentHelp("Beams kept at each step (1–20). On Flickr8k dev, 3 gets most of the gain over 1 (CIDEr-D 47.7 → 52.2); 5 and 7 add 0.4 and 0.9 for more decoding time (see README).", valueName: "k"))
    var beamSize = defaults.beamSize

    @Option(help: ArgumentHelp("Captions to return per image, best first (at most --beam-size).", valueName: "n"))
    var nBest = defaults.nBest

    @Option(help: ArgumentHelp("Longest caption, in words (1–100).", valueName: "words"))
    var maxLength = defaults.maxLength

    @Option(help: ArgumentHelp("Rank by logprob / length^α instead of logprob (0 = off, at most 5). 0.2 scored best with beam 3 on Flickr8k dev (the attention ensemble); higher favours longer captions.", valueName: "α"))
    var lengthPenalty = defaults.lengthPenalty

    @Option(help: ArgumentHelp("Never repeat an n-gram of this many words within a caption (0 = off). 2 blocks loops such as \"a black hat and a black hat\".", valueName: "n"))
    var noRepeatNgram = defaults.noRepeatNgram

    @Flag(help: "Take the most likely word at each step (the same as --beam-size 1).")
    var greedy = defaults.greedy

    @Flag(help: "Sample words from the model's distribution instead of searching.")
    var sample = defaults.sample

    @Option(help: ArgumentHelp("With --sample: below 1 is more conservative, above 1 more varied (0.01–100).", valueName: "t"))
    var temperature = defaults.temperature

    @Option(help: "With --sample: seed for repeatable samples; a photo gets the same caption from `caption`, `caption batch` and `caption evaluate`.")
    var seed = defaults.seed

    @Flag(inversion: .prefixedNo, help: "Re-rank the beam's captions by a mix of the captioner's and the aligner's scores. (default: on for beam search with the shipped captioner and aligner; see README)")
    var rerank: Bool?

    @Option(help: ArgumentHelp("With --rerank: the aligner's share w of the ranking score (0…1).", valueName: "w"))
    var rerankWeight = defaults.rerankWeight

    var policy: DecodingPolicy {
        var policy = DecodingPolicy()
        policy.beamSize = beamSize
        policy.nBest = nBest
        policy.maxLength = maxLength
        policy.lengthPenalty = lengthPenalty
        policy.noRepeatNgram = noRepeatNgram
        policy.greedy = greedy
        policy.sample = sample
        policy.temperature = temperature
        policy.seed = seed
        policy.rerank = rerank
        policy.rerankWeight = rerankWeight
        return policy
    }

    func validate() throws {
        do {
            try policy.validate()
        } catch {
            throw ValidationError(error.description)
        }
    }
}
