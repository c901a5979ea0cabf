import Alignment
import Tensors

/// The paper's equations written out directly, one sentence and one vector at a time in Double,
/// with none of the model's batching (packed rows, tiles, GEMMs): what the fast paths must equal.
struct ReferenceAlignment {
    let parameters: [String: Tensor]

    private func matrix(_ parameter: AlignmentParameter) -> (values: [Float], rows: Int, columns: Int) {
        let tensor = parameters[parameter.name]!
        return (tensor.data, tensor.shape[0], tensor.shape.count > 1 ? tensor.shape[1] : 1)
    }

    /// W x + b, optionally through a ReLU.
    private func affine(_ weight: AlignmentParameter, _ bias: AlignmentParameter?, _ x: [Double], relu: Bool) -> [Double] {
        let (w, rows, columns) = matrix(weight)
        precondition(x.count == columns)
        return (0..<rows).map { r in
            var sum = bias.map { Double(parameters[$0.name]!.data[r]) } ?? 0
            for c in 0..<columns { sum += Double(w[r * columns + c]) * x[c] }
            return relu ? max(sum, 0) : sum
        }
    }

    /// v_i = W_m f_i/‖f_i‖ + b_m for each row of `regions` `[R, F]`.
    func regionVectors(_ regions: Tensor) -> [[Double]] {
        let f = regions.shape[1]
        return (0..<regions.shape[0]).map { r in
            let row = (0..<f).map { Double(regions.data[r * f + $0]) }
            let norm = max(row.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-6)
            return affine(.regionWeight, .regionBias, row.map { $0 / norm }, relu: false)
        }
    }

    /// s_t for each word (paper eq. 2–6).
    func wordVectors(_ sentence: [Int]) -> [[Double]] {
        let embedding = parameters[AlignmentParameter.wordEmbedding.name]!
        let e = embedding.shape[1]
        let inputs = sentence.map { id in
            affine(.inputWeight, .inputBias, (0..<e).map { Double(embedding.data[id * e + $0]) }, relu: true)
        }
        let h = inputs.first?.count ?? 0
        func step(_ input: [Double], _ previous: [Double], _ weight: AlignmentParameter, _ bias: AlignmentParameter) -> [Double] {
            let recurrent = affine(weight, bias, previous, relu: false)
            return zip(input, recurrent).map { max($0 + $1, 0) }
        }
        var forward = [[Double]](), backward = [[Double]](repeating: [], count: sentence.count)
        var state = [Double](repeating: 0, count: h)
        for t in sentence.indices {
            state = step(inputs[t], state, .forwardWeight, .forwardBias)
            forward.append(state)
        }
        state = [Double](repeating: 0, count: h)
        for t in sentence.indices.reversed() {
            state = step(inputs[t], state, .backwardWeight, .backwardBias)
            backward[t] = state
        }
        return sentence.indices.map { t in
            affine(.outputWeight, .outputBias, zip(forward[t], backward[t]).map { $0 + $1 }, relu: true)
        }
    }

    /// S_kl and the argmax region of each word (paper eq. 8).
    func score(regions: Tensor, sentence: [Int]) -> (raw: Double, alignment: [Int]) {
        let v = regionVectors(regions)
        var raw = 0.0, alignment = [Int]()
        for s in wordVectors(sentence) {
            let products = v.map { region in zip(region, s).reduce(0) { $0 + $1.0 * $1.1 } }
            // max(by:) keeps the first of equal elements, as the model does.
            let best = products.indices.max { products[$0] < products[$1] }!
            raw += products[best]
            alignment.append(best)
        }
        return (raw, alignment)
    }
}

/// Deterministic inputs for the tests.
struct AlignmentFixtures {
    var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    mutating func uniform(_ range: ClosedRange<Double>) -> Float {
        Float(range.lowerBound + generator.nextUnit() * (range.upperBound - range.lowerBound))
    }

    /// Non-negative features with some exact zeros, like ReLU outputs, scaled like pool5 values.
    mutating func regions(count: Int, features: Int, scale: Double = 1) -> Tensor {
        let data = (0..<(count * features)).map { _ -> Float in
            let x = uniform(-0.5...1)
            return Float(Double(max(x, 0)) * scale)
        }
        return Tensor(shape: [count, features], data: data)
    }

    mutating func sentence(length: Int, vocabularySize: Int) -> [Int] {
        (0..<length).map { _ in Int(generator.next() % UInt64(vocabularySize)) }
    }

    /// The same model with every bias set to a small random value, so no bias gradient is
    /// trivially zero and fewer ReLUs start dead.
    mutating func withRandomBiases(_ model: AlignmentModel) -> AlignmentModel {
        var model = model
        for parameter in AlignmentParameter.all(for: model.config) where parameter.isBias {
            let count = model.parameters[parameter.name]!.count
            model.parameters[parameter.name]!.data = (0..<count).map { _ in uniform(-0.1...0.3) }
        }
        return model
    }
}
