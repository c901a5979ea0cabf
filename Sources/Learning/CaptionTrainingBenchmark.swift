import Captioning
import Foundation
import Tensors

/// What `caption bench train` measures: the trainer's own step (`CaptionTrainingStep`) on
/// synthetic minibatches of Flickr8k's shapes, so the figure extrapolates to a real epoch.
///
/// The model is what `caption train captioner` builds by default on Flickr8k: V = 2,540 words
/// (count ≥ 5 in the train split, specials included), F = 1,024 (mean+max pooled pool5), E = H =
/// 512, LSTM, dropout 0.5, Adam, batch 100, global-norm clipping at 5. Caption lengths are drawn
/// from Flickr8k's train split cut at 16 words (mean 10.6); word ids and features are uniform.
public struct CaptionTrainingBenchmark {
    /// Flickr8k train captions by length in words (2…16, 16 including the longer ones cut to
    /// it): 30,000 captions of 6,000 images.
    static let flickr8kLengths: [(words: Int, captions: Int)] = [
        (2, 15), (3, 125), (4, 340), (5, 854), (6, 1948), (7, 2501), (8, 2917), (9, 3318), (10, 3310),
        (11, 3134), (12, 2772), (13, 2332), (14, 1864), (15, 1338), (16, 3232),
    ]
    /// Captions in one epoch of Flickr8k train.
    public static let epochCaptions = 30_000

    public let config: CaptionModel.Config
    public let options: CaptionTrainingOptions

    /// With `decoder` attention: F = 512 per region over pool5's 49 regions, A = 512.
    public init(cell: CellKind = .lstm, decoder: CaptionModel.DecoderKind = .showTell) {
        let pooling: ImageFeatureSpec.Pooling = decoder == .attention ? .regions : .meanMax
        config = CaptionModel.Config(vocabularySize: 2540, cell: cell, featureSize: ImageFeatureSpec.statisticsSize(of: pooling),
                                     decoder: decoder)
        options = CaptionTrainingOptions()
    }

    /// Mean seconds per step and per phase, and the multiply-adds behind them.
    public struct Result: Sendable {
        public var secondsPerStep: Double
        /// CPU seconds per step over all threads: on a machine shared with other work the wall
        /// clock stretches, this much less.
        public var cpuSecondsPerStep: Double
        /// Forward alone (`CaptionModel.loss` without dropout or gradients), seconds per step.
        public var forward: Double
        /// Loss and gradients (forward and backward), clipping, optimizer: seconds per step.
        public var lossAndGradients: Double, clipping: Double, optimizer: Double
        /// GEMM floating-point operations of one step (2 per multiply-add): the cell's fused
        /// products, the output layer and the image projection, forward and backward.
        public var flopsPerStep: Double
        public var stepsPerEpoch: Int
        public var epochSeconds: Double { secondsPerStep * Double(stepsPerEpoch) }

        /// (stage, seconds per step, GFLOP/s) for the table: the step, then its phases when asked.
        public func rows(phases: Bool) -> [(stage: String, seconds: Double, gflops: Double?)] {
            [("train step", secondsPerStep, flopsPerStep / secondsPerStep / 1e9)] + (!phases ? [] : [
                ("  forward (no dropout)", forward, nil), ("  backward", lossAndGradients - forward, nil),
                ("  clipping", clipping, nil), ("  optimizer", optimizer, nil),
            ])
        }

        /// The epoch extrapolated, and its ratio to PyTorch's when given.
        public func summary(pytorch: Double?) -> String {
            String(format: "%d steps an epoch: %.1f s (CPU time %.0f ms a step)", stepsPerEpoch, epochSeconds,
                   cpuSecondsPerStep * 1000)
                + (pytorch.map { String(format: "; PyTorch %.0f s, ratio %.2f×", $0, epochSeconds / $0) } ?? "")
        }
    }

    /// The table's title: the model and batch timed.
    public var title: String {
        "caption bench train: \(config.decoder == .attention ? "attention " : "")\(config.cell.rawValue.uppercased()) \(config.embeddingSize)/\(config.hiddenSize), "
            + "V \(config.vocabularySize), F \(config.featureSize), batch \(options.schedule.batchSize), \(options.optimizer.rawValue)"
    }

    /// Times `steps` training steps after one warm-up step, cycling through 8 minibatches.
    public func run(steps: Int) -> Result {
        let batchSize = options.schedule.batchSize
        var rng = SplitMix64(seed: 17)
        var model = CaptionModel(config: config, rng: &rng)
        var optimizer = options.makeOptimizer()
        let batches = (0..<8).map { _ in syntheticBatch(size: batchSize, rng: &rng) }
        func step(_ i: Int, phases: UnsafeMutablePointer<CaptionTrainingStep.Phases>? = nil) {
            let (features, captions) = batches[i % batches.count]
            _ = CaptionTrainingStep.run(model: &model, optimizer: &optimizer, features: features, captions: captions,
                                        rng: &rng, clipNorm: options.schedule.clipNorm,
                                        learningRate: options.schedule.learningRate, phases: phases)
        }
        step(0)
        var phases = CaptionTrainingStep.Phases()
        let start = ContinuousClock.now, cpuStart = Self.processCPUSeconds()
        for i in 0..<steps { step(i + 1, phases: &phases) }
        let total = (ContinuousClock.now - start).seconds, cpu = Self.processCPUSeconds() - cpuStart
        let forwardStart = ContinuousClock.now
        for i in 0..<steps {
            let (features, captions) = batches[(i + 1) % batches.count]
            _ = model.loss(features: features, captions: captions)
        }
        let forward = (ContinuousClock.now - forwardStart).seconds
        let flopsSum = (0..<steps).reduce(0.0) { $0 + flops(captions: batches[($1 + 1) % batches.count].captions) }
        let n = Double(steps)
        return Result(secondsPerStep: total / n, cpuSecondsPerStep: cpu / n, forward: forward / n, lossAndGradients: phases.lossAndGradients / n,
                      clipping: phases.clipping / n, optimizer: phases.optimizer / n, flopsPerStep: flopsSum / n,
                      stepsPerEpoch: (Self.epochCaptions + batchSize - 1) / batchSize)
    }

    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// A minibatch: uniform(−1, 1) features `[B, F]`, and captions of Flickr8k-distributed
    /// lengths with uniform word ids.
    func syntheticBatch(size: Int, rng: inout SplitMix64) -> (features: Tensor, captions: [[Int]]) {
        let f = config.imageInputSize, v = config.vocabularySize
        let features = Tensor(shape: [size, f], data: (0..<(size * f)).map { _ in Float(rng.nextUnit() * 2 - 1) })
        let captions = (0..<size).map { _ -> [Int] in
            var pick = Int(rng.next() % UInt64(Self.epochCaptions))
            let length = Self.flickr8kLengths.first { pick -= $0.captions; return pick < 0 }!.words
            return (0..<length).map { _ in CaptionModel.firstWordToken + Int(rng.next() % UInt64(v - CaptionModel.firstWordToken)) }
        }
        return (features, captions)
    }

    /// 2 × multiply-adds of the step's GEMMs, each done three times (forward, input gradient,
    /// weight gradient) except the image projection's (no input gradient): Σ(L+2) cell rows of
    /// [E+H]×[E+H, G·H], Σ(L+1) scored rows of [H]×[H, V], B rows of [F]×[F, E].
    ///
    /// With attention, every one of the Σ(L+1) steps is scored and runs [H]×[H, A+F] (query and
    /// gate), [E+F+H]×[E+F+H, 4H], [H+F]×[H+F, E] (deep output) and [E]×[E, V]; each caption's
    /// L regions [F]×[F, A] (keys) and [F]×[F, 2H] (h₀, c₀) once. The tanh of every (step,
    /// region) pair is not a GEMM and not counted.
    func flops(captions: [[Int]]) -> Double {
        let e = Double(config.embeddingSize), h = Double(config.hiddenSize), v = Double(config.vocabularySize)
        let g = Double(config.cell.gateCount), f = Double(config.featureSize), b = Double(captions.count)
        let words = Double(captions.reduce(0) { $0 + $1.count })
        if config.decoder == .attention {
            let a = Double(config.attentionSize), l = Double(config.regionCount), steps = words + b
            let perStep = h * (a + f) + (e + f + h) * 4 * h + (h + f) * e + e * v
            return 2 * (3 * steps * perStep + 2 * b * (l * f * a + f * 2 * h))
        }
        let cellRows = words + 2 * b, scoredRows = words + b
        return 2 * (3 * cellRows * (e + h) * g * h + 3 * scoredRows * h * v + 2 * b * f * e)
    }
}
