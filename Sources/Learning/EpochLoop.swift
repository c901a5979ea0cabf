import Foundation
import Tensors

/// What a trainer supplies to the epoch loop: its minibatches, one optimization step, and what
/// happens after each epoch (dev scores, keeping the best model, checkpoints), and what its
/// report page shows.
protocol EpochTraining: Trainer {
    /// What one epoch's dev evaluation found.
    associatedtype Evaluation
    /// The line reported after each epoch.
    associatedtype Report

    /// The minibatches of `epoch` (0-based), as example indices. Fixed by the seed and the
    /// epoch, so a resumed run sees the same ones.
    func batches(epoch: Int) -> [[Int]]
    /// One optimization step at `learningRate`; `iteration` counts the steps before it over the
    /// whole run. Returns the batch's loss, or nil when the batch had nothing to learn from.
    func step(_ batch: [Int], epoch: Int, iteration: Int, learningRate: Float) -> Float?
    /// Scores the model on the dev split; higher `score` is better.
    func evaluate() throws -> (score: Double, evaluation: Evaluation)
    /// Writes the model, the best so far, with where the run stands.
    func saveBest(_ evaluation: Evaluation, state: TrainingState) throws
    /// Writes a resumable checkpoint.
    func saveCheckpoint(state: TrainingState) throws
    func report(_ evaluation: Evaluation, epoch: Int, trainLoss: Float, seconds: Double, isBest: Bool) -> Report
    /// What the report page calls the run's kind ("captioner", "aligner").
    var reportKind: String { get }
    /// Facts of the run for the report page beyond the command and schedule (the model's config).
    var reportFacts: [TrainingReport.Fact] { get }
    /// An evaluation's figures as the report page plots them, one plot a distinct `plot` name.
    func reportFigures(_ evaluation: Evaluation) -> [TrainingReport.Figure]
    /// What `step` returns, when not the training loss (the report page's name for it).
    var iterationFigure: String? { get }
    /// Whether the model it starts from is scored first, as "epoch 0", and kept unless an epoch
    /// beats it (fine-tuning, which must never leave a worse model than it was given).
    var evaluatesStart: Bool { get }
}

extension EpochTraining {
    var iterationFigure: String? { nil }
    var evaluatesStart: Bool { false }
}

/// The loop both trainers run, written once: epochs of minibatches under a step-decayed
/// learning rate, a checkpoint every `checkpointEvery` iterations and after each epoch, a dev
/// evaluation after each epoch that keeps the best model, and resume from where a checkpoint
/// left off. The run's `report.html` is written at the start and with every checkpoint, so it
/// always shows what the checkpoint holds.
struct EpochLoop {
    let schedule: TrainingSchedule
    var state: TrainingState
    /// Minibatches in each epoch.
    let batchCounts: [Int]
    /// The loss and dev figures so far, for the run's report page.
    private(set) var report = TrainingReport()

    init(schedule: TrainingSchedule, state: TrainingState = TrainingState(), batchCounts: [Int]) {
        self.schedule = schedule
        self.state = state
        self.batchCounts = batchCounts
    }

    /// Continues from a checkpoint's `state`, with the report history saved in `folder` up to
    /// that point.
    mutating func resume(from state: TrainingState, folder: URL) {
        self.state = state
        report = TrainingReport.resumed(from: folder, iterations: completedIterations, epochs: state.epoch)
    }

    /// Minibatches over all epochs.
    var totalIterations: Int { batchCounts.reduce(0, +) }
    /// Minibatches done so far (also after a resume).
    var completedIterations: Int {
        batchCounts.prefix(min(state.epoch, batchCounts.count)).reduce(0, +) + state.batchInEpoch
    }

    /// Runs the remaining epochs. `progress(iteration, loss)` after every minibatch that
    /// learned, `report` after every epoch.
    mutating func run<Training: EpochTraining>(_ training: Training, progress: (Int, Float) -> Void,
                                               report: (Training.Report) -> Void) throws {
        describeReport(training)
        try self.report.write(to: training.outputDirectory)
        if training.evaluatesStart && state.epoch == 0 && state.batchInEpoch == 0 && state.bestScore == nil {
            report(try evaluateStart(training))
        }
        while state.epoch < schedule.epochs {
            let start = Date()
            let batches = training.batches(epoch: state.epoch)
            let learningRate = schedule.learningRate(epoch: state.epoch)
            while state.batchInEpoch < batches.count {
                let loss = training.step(batches[state.batchInEpoch], epoch: state.epoch, iteration: completedIterations,
                                         learningRate: learningRate)
                state.batchInEpoch += 1
                if let loss {
                    state.lossSum += Double(loss)
                    state.lossCount += 1
                    self.report.addIteration(completedIterations, loss: loss)
                    progress(completedIterations, loss)
                }
                if completedIterations % schedule.checkpointEvery == 0 { try checkpoint(training) }
            }
            report(try finishEpoch(training, seconds: Date().timeIntervalSince(start)))
        }
    }

    private mutating func finishEpoch<Training: EpochTraining>(_ training: Training, seconds: Double) throws -> Training.Report {
        let trainLoss = Float(state.lossSum / Double(max(1, state.lossCount)))
        let (score, evaluation) = try training.evaluate()
        let isBest = state.bestScore.map { score > $0 } ?? true
        state.epoch += 1
        state.seconds += seconds
        state.batchInEpoch = 0
        state.lossSum = 0
        state.lossCount = 0
        if isBest {
            state.bestScore = score
            try training.saveBest(evaluation, state: state)
        }
        report.addEpoch(state.epoch, figures: training.reportFigures(evaluation), trainLoss: trainLoss, seconds: seconds,
                        isBest: isBest)
        try checkpoint(training)
        return training.report(evaluation, epoch: state.epoch, trainLoss: trainLoss, seconds: seconds, isBest: isBest)
    }

    /// Scores the model the run starts from as epoch 0, the best so far: its figures are the
    /// page's first points, and it is the model kept if no epoch beats it.
    private mutating func evaluateStart<Training: EpochTraining>(_ training: Training) throws -> Training.Report {
        let start = Date()
        let (score, evaluation) = try training.evaluate()
        let seconds = Date().timeIntervalSince(start)
        state.bestScore = score
        try training.saveBest(evaluation, state: state)
        report.addEpoch(0, figures: training.reportFigures(evaluation), trainLoss: .nan, seconds: seconds, isBest: true)
        try checkpoint(training)
        return training.report(evaluation, epoch: 0, trainLoss: .nan, seconds: seconds, isBest: true)
    }

    /// The checkpoint, then the report page as of the same iteration (so a resume from this
    /// checkpoint finds the history up to it).
    private func checkpoint<Training: EpochTraining>(_ training: Training) throws {
        try training.saveCheckpoint(state: state)
        try report.write(to: training.outputDirectory)
    }

    /// The report's title and facts: the run's folder, command (from `info`) and schedule, and
    /// the trainer's own (model, data). Set at every start, so a resumed run shows the command
    /// that resumed it.
    private mutating func describeReport<Training: EpochTraining>(_ training: Training) {
        report.title = "\(training.reportKind) training: \(training.outputDirectory.lastPathComponent)"
        report.iterationFigure = training.iterationFigure
        report.plannedEpochs = schedule.epochs
        report.plannedIterations = totalIterations
        var facts = [TrainingReport.Fact("folder", training.outputDirectory.path)]
        if let command = training.info["command"] { facts.append(.init("command", command)) }
        let s = schedule
        facts.append(.init("schedule", "\(s.epochs) epochs of \(batchCounts.first ?? 0) iterations, batch \(s.batchSize), "
            + "learning rate \(s.learningRate) × \(s.learningRateDecay) every \(s.decayEvery) epochs, "
            + "clip \(s.clipNorm), seed \(s.seed)"))
        report.facts = facts + training.reportFacts
    }
}

extension EpochLoop {
    /// The indices 0..<count in `epoch`'s order (Fisher–Yates with a generator seeded by `seed`
    /// and the epoch, so a resumed run sees the same batches), cut into batches of `size`.
    static func shuffledBatches(count: Int, size: Int, seed: UInt64, epoch: Int) -> [[Int]] {
        var rng = SplitMix64(seed: seed ^ (UInt64(epoch + 1) &* 0xD1B5_4A32_D192_ED03))
        var order = Array(0..<count)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
        return stride(from: 0, to: order.count, by: size).map { Array(order[$0..<min(order.count, $0 + size)]) }
    }
}

/// Where a run stands, saved in checkpoints.
struct TrainingState: Codable, Sendable {
    var epoch = 0
    var batchInEpoch = 0
    var lossSum = 0.0
    var lossCount = 0
    var bestScore: Double?
    /// Wall-clock seconds spent in finished epochs, across resumes.
    var seconds = 0.0
}

/// A training run that cannot go on, with the reason.
public struct TrainingError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
