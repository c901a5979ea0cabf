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
                  (member.config.cell == .lstm) == (first.config.cell == .lstm),
                  member.config.imageInputSize == first.config.imageInputSize,
                  member.config.decoder == first.config.decoder
            else {
                throw CaptionModelFileError("ensemble members differ in vocabulary, feature size, text-only, cell memory or decoder")
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

    /// Member states side by side: hidden (and memory) `[B, M·H]`; with attention, the images
    /// once, with every member's keys in member order.
    static func join(_ states: [RecurrentState]) -> RecurrentState {
        guard states.count > 1 else { return states[0] }
        let hidden = Tensor.concatenatingColumns(states.map(\.hidden))
        let memory = states[0].memory == nil ? nil : Tensor.concatenatingColumns(states.map { $0.memory! })
        let images = states[0].images.map { first in
            AttendedImages(regions: first.regions, keys: states.flatMap { $0.images!.keys }, imageOfRow: first.imageOfRow)
        }
        return RecurrentState(hidden: hidden, memory: memory, images: images)
    }

    func split(_ state: RecurrentState) -> [RecurrentState] {
        guard members.count > 1 else { return [state] }
        var start = 0
        return members.enumerated().map { m, member in
            let width = member.config.hiddenSize
            defer { start += width }
            let images = state.images.map { AttendedImages(regions: $0.regions, keys: [$0.keys[m]], imageOfRow: $0.imageOfRow) }
            return RecurrentState(hidden: state.hidden.columns(start..<(start + width)),
                                  memory: state.memory?.columns(start..<(start + width)), images: images)
        }
    }
}

extension CaptionEnsemble {
    /// The members' attention maps for `words` (`CaptionModel.attention(of:feature:)`),
    /// averaged: where the ensemble as a whole looks. Every member must be an attention decoder.
    public func attention(of words: [Int], feature: Tensor) -> [[Float]] {
        let maps = members.map { $0.attention(of: words, feature: feature) }
        let scale = 1 / Float(members.count)
        return maps[0].indices.map { k in
            maps[0][k].indices.map { i in maps.reduce(0) { $0 + $1[k][i] } * scale }
        }
    }
}
