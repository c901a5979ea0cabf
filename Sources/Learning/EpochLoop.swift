import Foundation
import Tensors

/// What a trainer supplies to the epoch loop: its minibatches, one optimization step, and what
/// happens after each epoch (dev scores, keeping the best model, checkpoints).
protocol EpochTraining: AnyObject {
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
}

/// The loop both trainers run, written once: epochs of minibatches under a step-decayed
/// learning rate, a checkpoint every `checkpointEvery` iterations and after each epoch, a dev
/// evaluation after each epoch that keeps the best model, and resume from where a checkpoint
/// left off.
struct EpochLoop {
    let schedule: TrainingSchedule
    var state: TrainingState
    /// Minibatches in each epoch.
    let batchCounts: [Int]

    init(schedule: TrainingSchedule, state: TrainingState = TrainingState(), batchCounts: [Int]) {
        self.schedule = schedule
        self.state = state
        self.batchCounts = batchCounts
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
                    progress(completedIterations, loss)
                }
                if completedIterations % schedule.checkpointEvery == 0 { try training.saveCheckpoint(state: state) }
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
        try training.saveCheckpoint(state: state)
        return training.report(evaluation, epoch: state.epoch, trainLoss: trainLoss, seconds: seconds, isBest: isBest)
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
