import Foundation
import Tensors

/// Several captioners trained apart (other seeds or settings, the same vocabulary and image
/// features), decoding as one: at each step the next word's probability is the mean of the
/// members' probabilities, p(w) = (1/M) Σ_m p_m(w). Members make different mistakes, so the
/// mean is better calibrated than any one of them (Vinyals et al. 2015 ensembled too).
///
/// The members' states travel side by side in one ``RecurrentState``, member m in columns
/// m·H..<(m+1)·H, so beam search reorders all of them with one row selection.
public struct CaptionEnsemble: StepwiseDecoder {
    public let members: [CaptionModel]

    /// Members must agree on the vocabulary size, the feature size and being image-conditioned;
    /// the caller checks that they share the vocabulary and feature recipe themselves.
    public init(_ members: [CaptionModel]) throws(CaptionModelFileError) {
        guard let first = members.first else { throw CaptionModelFileError("an ensemble needs at least one model") }
        for member in members.dropFirst() {
            guard member.config.vocabularySize == first.config.vocabularySize,
                  member.config.featureSize == first.config.featureSize,
                  member.config.textOnly == first.config.textOnly,
                  (member.config.cell == .lstm) == (first.config.cell == .lstm)
            else {
                throw CaptionModelFileError("ensemble members differ in vocabulary, feature size, text-only or cell memory")
            }
        }
        self.members = members
    }

    public var vocabularySize: Int { members[0].config.vocabularySize }

    public func initialState(feature: Tensor?) -> RecurrentState {
        Self.join(members.map { $0.initialState(feature: feature) })
    }

    public func step(_ state: RecurrentState, tokens: [Int]) -> (state: RecurrentState, logProbs: Tensor) {
        let parts = split(state)
        var next: [RecurrentState] = []
        var sum: Tensor?
        for (member, part) in zip(members, parts) {
            let (memberState, logProbs) = member.step(part, tokens: tokens)
            next.append(memberState)
            // Accumulate p = Σ exp(log p_m), then take log(p / M) once.
            var probabilities = logProbs
            probabilities.data.withUnsafeMutableBufferPointer { p in
                for k in p.indices { p[k] = exp(p[k]) }
            }
            if sum == nil {
                sum = probabilities
            } else {
                sum!.data.withUnsafeMutableBufferPointer { s in
                    probabilities.data.withUnsafeBufferPointer { p in
                        for k in s.indices { s[k] += p[k] }
                    }
                }
            }
        }
        var logProbs = sum!
        let scale = 1 / Float(members.count)
        logProbs.data.withUnsafeMutableBufferPointer { p in
            for k in p.indices { p[k] = log(p[k] * scale) }
        }
        return (Self.join(next), logProbs)
    }

    /// Member states side by side: hidden (and memory) `[B, M·H]`.
    static func join(_ states: [RecurrentState]) -> RecurrentState {
        guard states.count > 1 else { return states[0] }
        let hidden = Tensor.concatenatingColumns(states.map(\.hidden))
        let memory = states[0].memory == nil ? nil : Tensor.concatenatingColumns(states.map { $0.memory! })
        return RecurrentState(hidden: hidden, memory: memory)
    }

    func split(_ state: RecurrentState) -> [RecurrentState] {
        guard members.count > 1 else { return [state] }
        var start = 0
        return members.map { member in
            let width = member.config.hiddenSize
            defer { start += width }
            return RecurrentState(hidden: state.hidden.columns(start..<(start + width)),
                                  memory: state.memory?.columns(start..<(start + width)))
        }
    }
}
