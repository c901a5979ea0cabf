import Application
import Testing

/// Every numeric field of the decoding policy, given hostile values: each is refused with a
/// usage error naming its option, or accepted within its documented range.
@Suite struct DecodingPolicyTests {
    static let hostileFloats: [Float] = [-3, -0.0001, .nan, .infinity, -.infinity, 1e30]
    static let hostileInts = [-1, 0, 101, 100_000, Int.max, Int.min]

    private func refusal(_ change: (inout DecodingPolicy) -> Void) -> CaptionError? {
        var policy = DecodingPolicy()
        change(&policy)
        do {
            try policy.validate()
            return nil
        } catch {
            return error
        }
    }

    @Test func theDefaultsAreValid() throws {
        try DecodingPolicy().validate()
    }

    @Test(arguments: hostileFloats)
    func hostileFloatsAreRefusedByName(value: Float) {
        let fields: [(String, WritableKeyPath<DecodingPolicy, Float>, ClosedRange<Float>)] = [
            ("--length-penalty", \.lengthPenalty, DecodingPolicy.Limits.lengthPenalty),
            ("--temperature", \.temperature, DecodingPolicy.Limits.temperature),
            ("--rerank-weight", \.rerankWeight, DecodingPolicy.Limits.rerankWeight),
        ]
        for (option, field, range) in fields where !range.contains(value) {
            let error = refusal { $0[keyPath: field] = value }
            #expect(error?.kind == .usage && error?.subject == option, "\(option) \(value): \(String(describing: error))")
        }
    }

    @Test(arguments: hostileInts)
    func hostileIntegersAreRefusedByName(value: Int) {
        let fields: [(String, WritableKeyPath<DecodingPolicy, Int>, ClosedRange<Int>)] = [
            ("--beam-size", \.beamSize, DecodingPolicy.Limits.beamSize),
            ("--max-length", \.maxLength, DecodingPolicy.Limits.maxLength),
            ("--no-repeat-ngram", \.noRepeatNgram, DecodingPolicy.Limits.noRepeatNgram),
            ("--n-best", \.nBest, 1...3),
        ]
        for (option, field, range) in fields where !range.contains(value) {
            let error = refusal { $0[keyPath: field] = value }
            #expect(error?.kind == .usage && error?.subject == option, "\(option) \(value): \(String(describing: error))")
            #expect(error.map { !$0.description.contains("\n") } ?? false)
        }
    }

    @Test func alternativesAreRefused() {
        #expect(refusal { $0.greedy = true; $0.sample = true }?.subject == "--greedy")
        #expect(refusal { $0.rerank = true; $0.sample = true }?.subject == "--rerank")
    }

    @Test func rerankingIsTheDefaultOnlyForTheShippedPairWithBeamSearch() {
        var policy = DecodingPolicy()
        #expect(policy.reranks(shippedCaptioner: true, alignerShipped: true))
        #expect(!policy.reranks(shippedCaptioner: false, alignerShipped: true))
        #expect(!policy.reranks(shippedCaptioner: true, alignerShipped: false))
        policy.greedy = true
        #expect(!policy.reranks(shippedCaptioner: true, alignerShipped: true))
        policy.rerank = true
        #expect(policy.reranks(shippedCaptioner: false, alignerShipped: false))
    }

    @Test func theSearchCountsEndInItsLength() {
        var policy = DecodingPolicy()
        policy.maxLength = 7
        #expect(policy.search(reranking: false).maxLength == 8)
        #expect(policy.search(reranking: true).nBest == policy.beamSize)
    }
}
