import Foundation
import Tensors

/// Several captioners trained apart (other seeds, settings or decoders, the same vocabulary),
/// decoding as one: at each step the next word's probability is the mean of the members'
/// probabilities, p(w) = (1/M) Σ_m p_m(w). Members make different mistakes, so the mean is
/// better calibrated than any one of them (Vinyals et al. 2015 ensembled too).
///
/// The members' states travel side by side in one ``RecurrentState``, member m in columns
/// m·H..<(m+1)·H, so beam search reorders all of them with one row selection. Members may read
/// different image features (Show and Tell a pooled vector, Show, Attend and Tell the regions):
/// the image row then holds each recipe's values once, and member m reads its own columns
/// (``CaptionInput``).
public struct CaptionEnsemble: StepwiseDecoder {
    public let members: [CaptionModel]
    /// Which columns of an image row member m reads; nil when every member reads all of it.
    public let inputColumns: [Range<Int>]?

    /// Members must agree on the vocabulary size, on being image-conditioned and on having an
    /// LSTM's memory, and member m must read as many image values as `inputColumns[m]` holds
    /// (nil: all members read the whole row, so they agree on its size; see
    /// `CaptionInput.columns(ofMember:)`). The caller checks that they share the vocabulary and
    /// feature recipes themselves.
    public init(_ members: [CaptionModel], inputColumns: [Range<Int>]? = nil) throws(CaptionModelFileError) {
        guard let first = members.first else { throw CaptionModelFileError("an ensemble needs at least one model") }
        for member in members.dropFirst() {
            guard member.config.vocabularySize == first.config.vocabularySize,
                  member.config.textOnly == first.config.textOnly,
                  (member.config.cell == .lstm) == (first.config.cell == .lstm)
            else {
                throw CaptionModelFileError("ensemble members differ in vocabulary size, text-only or cell memory (LSTM or not)")
            }
        }
        if let inputColumns, inputColumns.count != members.count {
            throw CaptionModelFileError("\(inputColumns.count) input column ranges for \(members.count) ensemble members")
        }
        for (m, member) in members.enumerated() where !member.config.textOnly {
            let width = inputColumns?[m].count ?? first.config.imageInputSize
            guard member.config.imageInputSize == width else {
                throw CaptionModelFileError("ensemble member \(m + 1) reads \(member.config.imageInputSize) image values, its features give \(width)")
            }
        }
        self.members = members
        self.inputColumns = inputColumns
    }

    public var vocabularySize: Int { members[0].config.vocabularySize }

    /// Member m's part of `feature` (`[F]` or `[B, F]`): its own columns.
    private func input(_ feature: Tensor?, ofMember m: Int) -> Tensor? {
        guard let feature, let columns = inputColumns?[m] else { return feature }
        return feature.shape.count == 1 ? Tensor(shape: [columns.count], data: Array(feature.data[columns]))
            : feature.columns(columns)
    }

    public func initialState(feature: Tensor?) -> RecurrentState {
        Self.join(members.indices.map { members[$0].initialState(feature: input(feature, ofMember: $0)) })
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

    /// Member states side by side: hidden (and memory) `[B, M·H]`; with attention, each
    /// attention member's images and keys, in member order.
    static func join(_ states: [RecurrentState]) -> RecurrentState {
        guard states.count > 1 else { return states[0] }
        let hidden = Tensor.concatenatingColumns(states.map(\.hidden))
        let memory = states[0].memory == nil ? nil : Tensor.concatenatingColumns(states.map { $0.memory! })
        let attending = states.compactMap(\.images)
        let images = attending.first.map { first in
            AttendedImages(regions: attending.flatMap(\.regions), keys: attending.flatMap(\.keys), imageOfRow: first.imageOfRow)
        }
        return RecurrentState(hidden: hidden, memory: memory, images: images)
    }

    func split(_ state: RecurrentState) -> [RecurrentState] {
        guard members.count > 1 else { return [state] }
        var start = 0, attending = 0
        return members.map { member in
            let width = member.config.hiddenSize
            defer { start += width }
            var images: AttendedImages?
            if member.config.decoder == .attention, let all = state.images {
                images = AttendedImages(regions: [all.regions[attending]], keys: [all.keys[attending]], imageOfRow: all.imageOfRow)
                attending += 1
            }
            return RecurrentState(hidden: state.hidden.columns(start..<(start + width)),
                                  memory: state.memory?.columns(start..<(start + width)), images: images)
        }
    }
}

extension CaptionEnsemble {
    /// The attention maps for `words` (`CaptionModel.attention(of:feature:)`) of the attention
    /// members on the first one's grid, averaged: where the ensemble as a whole looks. nil
    /// when no member attends.
    public func attention(of words: [Int], feature: Tensor) -> [[Float]]? {
        guard let first = members.firstIndex(where: { $0.config.decoder == .attention }) else { return nil }
        let maps = members.indices.filter { members[$0].config.decoder == .attention
            && members[$0].config.regionCount == members[first].config.regionCount }
            .map { members[$0].attention(of: words, feature: input(feature, ofMember: $0)!) }
        let scale = 1 / Float(maps.count)
        return maps[0].indices.map { k in
            maps[0][k].indices.map { i in maps.reduce(0) { $0 + $1[k][i] } * scale }
        }
    }
}
