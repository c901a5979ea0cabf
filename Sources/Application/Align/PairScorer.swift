import Alignment
import Encoder
import Foundation
import Support

/// Scores image–sentence pairs with the aligner (`caption score`, and a server's scores route):
/// the sentence first (a bad sentence needs no photo decoded), then the photo's region vectors
/// from a bounded cache, so a photo named on many lines is encoded once.
public final class PairScorer {
    public let aligner: AlignmentModelFile
    private let regions: RegionEmbeddingCache

    /// `capacity` photos' region vectors are kept (about 100 KB each).
    public init(aligner: AlignmentModelFile, encoder: VGGEncoder, maxPixels: Int, capacity: Int) {
        self.aligner = aligner
        regions = RegionEmbeddingCache(model: aligner.model, encoder: encoder, maxPixels: maxPixels, capacity: capacity)
    }

    /// The score of `sentence` on the photo at `image`, or why it could not be scored.
    public func score(image: String, sentence: String, line: Int? = nil) -> PairResult {
        PairResult(line: line, image: image, sentence: sentence, outcome: outcome(image: image, sentence: sentence))
    }

    private func outcome(image: String, sentence: String) -> Result<ScoredPair, PairProblem> {
        let input: SentenceInput
        switch SentenceInput.parse(sentence, with: aligner) {
        case .failure(let problem): return .failure(.sentence(problem))
        case .success(let parsed): input = parsed
        }
        switch regions.embeddings(for: image) {
        case .failure(let problem):
            return .failure(.image(problem))
        case .success(let v):
            let alignment = AlignmentModel.align(regionEmbeddings: v, sentenceEmbedding: aligner.model.embedSentence(input.ids))
            return .success(ScoredPair(alignment: alignment, words: input.tokens.count,
                                       reading: MatchReading(input, alignment: alignment, calibration: aligner.calibration)))
        }
    }

    /// Scores every `IMAGE<TAB>sentence` line of `reader`, calling `each` with each result in
    /// order as soon as it is made. Returns how many lines failed.
    public func scoreLines(_ reader: LineReader, each: (PairResult) -> Void) -> Int {
        var number = 0, failures = 0
        while let line = reader.next() {
            number += 1
            let result: PairResult
            switch line {
            case .tooLong(let bytes):
                result = PairResult(line: number, image: "", sentence: "", outcome: .failure(.lineTooLong(bytes)))
            case .text(let text):
                if let tab = text.firstIndex(of: "\t") {
                    result = score(image: String(text[..<tab]), sentence: String(text[text.index(after: tab)...]), line: number)
                } else {
                    let problem: PairProblem = text.allSatisfy(\.isWhitespace) ? .emptyLine : .missingTab
                    result = PairResult(line: number, image: text, sentence: "", outcome: .failure(problem))
                }
            }
            if case .failure = result.outcome { failures += 1 }
            each(result)
        }
        return failures
    }
}
