import ArgumentParser
import Foundation
import Captioning
import Tensors

/// How captions are decoded: beam search (default), greedy, or sampling.
struct DecodingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Beams kept at each step (1–20). On Flickr8k dev, 3 gets most of the gain over 1; 5 adds 0.7 CIDEr-D for about 40% more decoding time (see README).", valueName: "k"))
    var beamSize = 3

    @Option(help: ArgumentHelp("Captions to return per image, best first (at most --beam-size).", valueName: "n"))
    var nBest = 1

    @Option(help: ArgumentHelp("Longest caption, in words.", valueName: "words"))
    var maxLength = 20

    @Option(help: ArgumentHelp("Rank by logprob / length^α instead of logprob (0 = off). 0.5 scored best with beam 3 on Flickr8k dev; higher favours longer captions.", valueName: "α"))
    var lengthPenalty: Float = 0.5

    @Option(help: ArgumentHelp("Never repeat an n-gram of this many words within a caption (0 = off). 2 blocks loops such as \"a black hat and a black hat\".", valueName: "n"))
    var noRepeatNgram = 2

    @Flag(help: "Take the most likely word at each step (the same as --beam-size 1).")
    var greedy = false

    @Flag(help: "Sample words from the model's distribution instead of searching.")
    var sample = false

    @Option(help: ArgumentHelp("With --sample: below 1 is more conservative, above 1 more varied.", valueName: "t"))
    var temperature: Float = 1

    @Option(help: "With --sample: seed for repeatable samples.")
    var seed: UInt64 = 1

    @Flag(inversion: .prefixedNo, help: "Re-rank the beam's captions by a mix of the captioner's and the aligner's scores. (default: on for beam search with the shipped captioner and aligner; see README)")
    var rerank: Bool?

    @Option(help: ArgumentHelp("With --rerank: the aligner's share w of the ranking score (0…1).", valueName: "w"))
    var rerankWeight: Float = 0.6

    func validate() throws {
        guard (1...20).contains(beamSize) else { throw ValidationError("--beam-size must be 1…20, got \(beamSize)") }
        guard nBest >= 1 && nBest <= beamSize else { throw ValidationError("--n-best must be 1…--beam-size (\(beamSize)), got \(nBest)") }
        guard maxLength >= 1 else { throw ValidationError("--max-length must be at least 1") }
        guard noRepeatNgram >= 0 else { throw ValidationError("--no-repeat-ngram must be 0 or more") }
        guard temperature > 0 else { throw ValidationError("--temperature must be positive, got \(temperature)") }
        if greedy && sample { throw ValidationError("--greedy and --sample are alternatives: choose one") }
        if rerank == true && (greedy || sample) { throw ValidationError("--rerank needs beam search (no --greedy or --sample)") }
        guard (0...1).contains(rerankWeight) else { throw ValidationError("--rerank-weight must be in 0…1, got \(rerankWeight)") }
    }

    /// Whether the aligner picks the caption from `model`'s beam (nil: the shipped captioner):
    /// as asked, else whenever beam search runs the shipped captioner and the shipped aligner is
    /// there (together they gain about 3 CIDEr-D points on Flickr8k dev). Another captioner may
    /// come from another domain or vocabulary than the aligner, so it is not re-ranked unasked.
    func reranks(model: String?) -> Bool {
        if let rerank { return rerank }
        let shipped = WeightsDirectory.locate("captioner.safetensors").standardizedFileURL.path
        let isShipped = model.map { URL(fileURLWithPath: $0).standardizedFileURL.path == shipped } ?? true
        return isShipped && !greedy && !sample && AlignerLoader.isShipped
    }

    /// The beam search these options describe. When re-ranking it keeps the whole beam, for the
    /// aligner to choose from.
    func search(reranking: Bool) -> BeamSearch {
        BeamSearch(beamSize: greedy ? 1 : beamSize, nBest: greedy ? 1 : (reranking ? beamSize : nBest), maxLength: maxLength + 1,
                   lengthPenalty: lengthPenalty, noRepeatNgram: noRepeatNgram)
    }

    /// Decodes one image's (or, for a text-only model, no image's) captions, best first; the
    /// whole beam when `reranking`. `rng` carries the sampling state across images so a batch
    /// is repeatable from --seed.
    func decode(_ model: some StepwiseDecoder, feature: Tensor?, reranking: Bool, rng: inout SplitMix64) -> [DecodedCaption] {
        // maxLength counts <end>, as in im2txt.
        if sample {
            return [Sampler(maxLength: maxLength + 1, noRepeatNgram: noRepeatNgram)
                .sample(model, feature: feature, temperature: temperature, rng: &rng)]
        }
        return search(reranking: reranking).search(model, feature: feature)
    }
}
