import Foundation

/// Which algorithm each 3×3 conv layer of a network uses, and how a layer is shared by the
/// cores at batch 1: chosen by timing the candidates on this machine (`measure`), or a built-in
/// default measured on a 2-core AMD EPYC (`builtIn`).
///
/// A layer's kernel is prepared once for one algorithm, so the same algorithm serves batch 1
/// (each layer split over all cores) and batches of at least one image per core (each core a
/// whole image, `workers: 1`). The score of a candidate is the sum of both times:
///
///     score = t(batch 1, all cores) + t(one image, one core) / cores
///
/// **Memory budget.** Prepared kernels are 9 (im2col), 16 (F(2×2)) or 36 (F(4×4)) floats per
/// input–output channel pair: VGG16 needs 59 MB in im2col everywhere, 104 MB in F(2×2), 235 MB
/// in F(4×4). Kernels mapped from the prepared cache are resident one layer at a time (the
/// encoder hands each layer's pages back after use), so what the budget bounds is the cache
/// file and the page cache it occupies, and the resident kernels of a run without a cache (the
/// first, or one beside unwritable weights): `kernelBudget` is F(2×2) everywhere plus 80 MB,
/// 184 MB for VGG16. That buys F(4×4) up to conv4 (35% faster there than F(2×2) on the 2-core
/// EPYC) and keeps conv5, where F(4×4)'s 4 × 4 tiles gain nothing on a 14 × 14 map, compact.
/// When the fastest choices do not fit, the layer that loses least time per byte saved steps
/// down to a smaller kernel, until they do.
public struct ConvPlan: Codable, Sendable, Equatable {
    /// One conv layer's input side and channels: what its timing depends on.
    public struct Shape: Codable, Sendable, Hashable, CustomStringConvertible {
        public var height: Int, width: Int, inChannels: Int, outChannels: Int
        public init(height: Int, width: Int, inChannels: Int, outChannels: Int) {
            self.height = height
            self.width = width
            self.inChannels = inChannels
            self.outChannels = outChannels
        }
        public var description: String { "\(height)×\(width)×\(inChannels)→\(outChannels)" }
    }

    public struct Choice: Codable, Sendable, Equatable {
        public var algorithm: Conv2D.Algorithm
        public var split: Conv2D.Split
        public init(_ algorithm: Conv2D.Algorithm, _ split: Conv2D.Split) {
            self.algorithm = algorithm
            self.split = split
        }
    }

    /// What the timings hold for: CPU model and core count (`ConvPlan.machine`).
    public var machine: String
    public var shapes: [Shape]
    public var choices: [Choice]

    public init(machine: String = ConvPlan.machine, shapes: [Shape], choices: [Choice]) {
        precondition(shapes.count == choices.count, "one choice per layer")
        self.machine = machine
        self.shapes = shapes
        self.choices = choices
    }

    /// Bytes of all prepared kernels under this plan.
    public var kernelBytes: Int {
        zip(shapes, choices).reduce(0) { $0 + 4 * $1.1.algorithm.kernelCount(inChannels: $1.0.inChannels, outChannels: $1.0.outChannels) }
    }

    /// F(2×2) everywhere plus 80 MB (see the type's comment).
    public static func kernelBudget(_ shapes: [Shape]) -> Int {
        shapes.reduce(80_000_000) { $0 + 4 * Conv2D.Algorithm.winograd2x2.kernelCount(inChannels: $1.inChannels, outChannels: $1.outChannels) }
    }

    /// The default without a measured plan, from `caption bench encoder --plan` on the 2-core
    /// EPYC: F(4×4) on the maps of 28 × 28 and more, F(2×2) on smaller ones (a 14 × 14 map is
    /// only 4 × 4 tiles of 4), im2col where Winograd does not fit (3 input channels). Whole
    /// bands per worker on the big maps (no barriers), the three steps split on the small ones
    /// (too few bands to go round).
    public static func builtIn(_ shapes: [Shape]) -> ConvPlan {
        let choices = shapes.map { shape -> Choice in
            guard Conv2D.Algorithm.winograd2x2.supports(inChannels: shape.inChannels, outChannels: shape.outChannels),
                  shape.inChannels >= 16 else { return Choice(.im2col, .bands) }
            let split: Conv2D.Split = shape.height * shape.width >= 112 * 112 ? .bands : .steps
            return Choice(shape.height * shape.width >= 28 * 28 ? .winograd4x4 : .winograd2x2, split)
        }
        return ConvPlan(shapes: shapes, choices: choices).fitted(budget: kernelBudget(shapes), times: nil)
    }

    /// Times every candidate for each layer (random weights and input of the layer's shape, the
    /// best of `runs` after a warm-up), picks the best score, then fits the budget. Returns the
    /// plan and the timings, `[layer][candidate]`, for the bench table.
    public static func measure(_ shapes: [Shape], runs: Int = 3, workers: Int = Parallel.workers)
        -> (plan: ConvPlan, timings: [[Timing]]) {
        var random = SplitMix64(seed: 7)
        var timings: [[Timing]] = []
        for shape in shapes {
            let input = Tensor(shape: [shape.height, shape.width, shape.inChannels],
                               data: (0..<(shape.height * shape.width * shape.inChannels)).map { _ in Float(random.nextUnit()) })
            let weight = Tensor(shape: [shape.outChannels, shape.inChannels, 3, 3],
                                data: (0..<(shape.outChannels * shape.inChannels * 9)).map { _ in Float(random.nextUnit() - 0.5) * 0.1 })
            let bias = Tensor(shape: [shape.outChannels])
            var layer: [Timing] = []
            for algorithm in Conv2D.Algorithm.allCases where algorithm.supports(inChannels: shape.inChannels, outChannels: shape.outChannels) {
                var conv = Conv2D(weight: weight, bias: bias, algorithm: algorithm)
                let single = bestTime(runs: runs) { _ = conv(input, workers: 1) }
                // im2col always shares bands; only Winograd has the two splits.
                for split in algorithm == .im2col ? [Conv2D.Split.bands] : Conv2D.Split.allCases {
                    conv.split = split
                    let shared = bestTime(runs: runs) { _ = conv(input, workers: workers) }
                    layer.append(Timing(choice: Choice(algorithm, split), batchOne: shared, perCore: single,
                                        score: shared + single / Double(workers)))
                }
            }
            timings.append(layer)
        }
        let best = timings.map { $0.min { $0.score < $1.score }!.choice }
        let plan = ConvPlan(shapes: shapes, choices: best).fitted(budget: kernelBudget(shapes), times: timings)
        return (plan, timings)
    }

    /// One candidate's seconds for a layer.
    public struct Timing: Sendable {
        public var choice: Choice
        public var batchOne: Double, perCore: Double, score: Double
    }

    /// Steps layers down to smaller kernels until the plan fits `budget`: each step the one that
    /// costs least score per byte saved (by the timings, or, without them, the deepest layer first).
    func fitted(budget: Int, times: [[Timing]]?) -> ConvPlan {
        var plan = self
        while plan.kernelBytes > budget {
            var bestStep: (layer: Int, choice: Choice, cost: Double)?
            for (i, shape) in shapes.enumerated() {
                let current = plan.choices[i]
                let bytes = { (a: Conv2D.Algorithm) in 4 * a.kernelCount(inChannels: shape.inChannels, outChannels: shape.outChannels) }
                let currentScore = times?[i].first { $0.choice == current }?.score ?? 0
                for candidate in times?[i].map(\.choice) ?? [Choice(.winograd2x2, current.split), Choice(.im2col, .bands)]
                where bytes(candidate.algorithm) < bytes(current.algorithm)
                    && candidate.algorithm.supports(inChannels: shape.inChannels, outChannels: shape.outChannels) {
                    let saved = Double(bytes(current.algorithm) - bytes(candidate.algorithm))
                    let score = times?[i].first { $0.choice == candidate }?.score ?? Double(shapes.count - i)
                    let cost = (score - currentScore) / saved
                    if bestStep == nil || cost < bestStep!.cost { bestStep = (i, candidate, cost) }
                }
            }
            guard let step = bestStep else { break }
            plan.choices[step.layer] = step.choice
        }
        return plan
    }

    /// CPU model and core count, e.g. "AMD EPYC 7B13, 2 cores": a plan measured elsewhere is not reused.
    public static let machine: String = {
        let model = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        return "\(model), \(Parallel.workers) cores"
    }()

    private static func bestTime(runs: Int, _ body: () -> Void) -> Double {
        body()
        var best = Double.infinity
        for _ in 0..<max(1, runs) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return best
    }
}
