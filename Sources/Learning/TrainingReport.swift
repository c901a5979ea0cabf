import Foundation
import Formats
import Support

/// The page a training run keeps in its folder, `report.html`: the training loss per iteration,
/// then each dev figure per epoch (perplexity, BLEU-4, CIDEr-D for a captioner; recalls and
/// median ranks for an aligner), as inline SVG line plots, with a table of the run's facts and
/// one row per epoch. The page has no script and no external reference, and reloads itself
/// every minute, so a browser left open on it follows the run.
///
/// Any trainer fills it the same way: `addIteration` after every minibatch, `addEpoch` after
/// every dev evaluation, `write(to:)` whenever it wants the page current (`EpochLoop` does it at
/// the start of a run and with every checkpoint). What the page needs is also saved as
/// `report.json`, so a resumed run reads it back (`resumed(from:iterations:epochs:)`) and the
/// page keeps the whole history.
public struct TrainingReport: Codable, Sendable, Equatable {
    /// One line of the facts table ("command", "model", …).
    public struct Fact: Codable, Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// One dev figure of an epoch: the value of `series` on the plot titled `plot`. A plot with
    /// one series names it after itself: `Figure("perplexity", 14.2)`.
    public struct Figure: Codable, Sendable, Equatable {
        public var plot: String
        public var series: String
        public var value: Double

        public init(plot: String, series: String, value: Double) {
            self.plot = plot
            self.series = series
            self.value = value
        }

        public init(_ name: String, _ value: Double) {
            self.init(plot: name, series: name, value: value)
        }
    }

    /// What one finished epoch reported.
    public struct Epoch: Codable, Sendable, Equatable {
        /// 1-based, as the trainer prints it.
        public var epoch: Int
        /// The last iteration recorded when the epoch ended.
        public var lastIteration: Int
        /// The epoch's mean training loss.
        public var trainLoss: Double
        public var seconds: Double
        /// This epoch's model became the best so far (and was saved).
        public var isBest: Bool
        public var figures: [Figure]
    }

    /// The page, and the data it is drawn from, in the run's folder.
    public static let pageName = "report.html", dataName = "report.json"

    public var title = "training run"
    public var facts: [Fact] = []
    /// The run's length, for "epoch 3 of 16" (0: unknown).
    public var plannedEpochs = 0
    public var plannedIterations = 0
    /// Remarks printed under the facts (e.g. that history before a resume was lost).
    public var notes: [String] = []
    /// What each iteration records, when not the training loss: self-critical training records
    /// its samples' mean reward. Set at every start, like `title`.
    public var iterationFigure: String?
    /// The per-iteration figure's name on the page.
    var iterationFigureName: String { iterationFigure ?? "training loss" }
    public private(set) var loss: LossHistory
    public private(set) var epochs: [Epoch] = []

    /// - Parameter maximumLossPoints: the loss plot's points at most (see `LossHistory`).
    public init(maximumLossPoints: Int = LossHistory.defaultMaximumPoints) {
        loss = LossHistory(maximumPoints: maximumLossPoints)
    }

    /// Records the training loss of `iteration` (1-based over the whole run); a non-finite loss
    /// is counted and left out of the plot.
    public mutating func addIteration(_ iteration: Int, loss value: Float) {
        loss.add(iteration: iteration, loss: Double(value))
    }

    /// Records a finished epoch's dev figures, in place of any record of it or a later epoch.
    /// `isBest`: its model is the best so far.
    public mutating func addEpoch(_ epoch: Int, figures: [Figure], trainLoss: Float, seconds: Double, isBest: Bool) {
        epochs.removeAll { $0.epoch >= epoch }
        epochs.append(Epoch(epoch: epoch, lastIteration: loss.lastIteration, trainLoss: Double(trainLoss),
                            seconds: seconds, isBest: isBest, figures: figures))
    }

    /// Forgets everything after iteration `iterations` and epoch `epochs`: what a run resumed
    /// from that checkpoint will do again.
    public mutating func truncate(iterations: Int, epochs finished: Int) {
        loss.truncate(after: iterations)
        epochs.removeAll { $0.epoch > finished }
    }

    /// The epoch whose model is kept: the last one that was best so far.
    public var bestEpoch: Epoch? { epochs.last { $0.isBest } }

    // MARK: Files

    /// Writes `report.json`, then `report.html`, each atomically (a browser or a resume never
    /// reads half a file).
    public func write(to folder: URL, updated: Date = Date()) throws {
        try AtomicFile.save(Array(try Self.encoder.encode(self)), to: folder.appendingPathComponent(Self.dataName))
        try AtomicFile.save(Array(html(updated: updated).utf8), to: folder.appendingPathComponent(Self.pageName))
    }

    /// The report saved in `folder`.
    public static func read(from folder: URL) throws -> TrainingReport {
        let url = folder.appendingPathComponent(dataName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TrainingError("\(url.path): no training report")
        }
        do {
            return try decoder.decode(TrainingReport.self, from: data)
        } catch let error as DecodingError {
            throw TrainingError("\(url.path): not a training report (\(error.summary))")
        }
    }

    /// The report of a run resumed from a checkpoint after `iterations` iterations and `epochs`
    /// epochs: the saved one cut back to that point, or, when there is none or it cannot be
    /// read (a run from before reports existed), a fresh one that says where its history starts.
    /// Never throws: a lost plot is no reason to stop a resume.
    public static func resumed(from folder: URL, iterations: Int, epochs: Int) -> TrainingReport {
        do {
            var report = try read(from: folder)
            report.truncate(iterations: iterations, epochs: epochs)
            return report
        } catch {
            var report = TrainingReport()
            report.loss.truncate(after: iterations)
            report.notes.append("Resumed at iteration \(iterations) (epoch \(epochs)) without the earlier history: \(error)")
            return report
        }
    }

    /// A model's config for the facts table: its JSON fields, sorted, as "cell lstm, dropout 0.5,
    /// …" (the configs hold numbers, flags and plain names, so dropping the JSON punctuation
    /// loses nothing); its description if it cannot be encoded (a non-finite float).
    public static func settings<Config: Encodable>(_ config: Config) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(config) else { return "\(config)" }
        return String(decoding: data, as: UTF8.self)
            .trimmingCharacters(in: CharacterSet(charactersIn: "{}"))
            .replacingOccurrences(of: "\"", with: "")
            .replacingOccurrences(of: ":", with: " ")
            .replacingOccurrences(of: ",", with: ", ")
    }

    // Non-finite figures (a perplexity that overflowed) survive the round trip as strings.
    private static let nonFinite = (positive: "inf", negative: "-inf", nan: "nan")
    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: nonFinite.positive, negativeInfinity: nonFinite.negative, nan: nonFinite.nan)
        return encoder
    }
    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: nonFinite.positive, negativeInfinity: nonFinite.negative, nan: nonFinite.nan)
        return decoder
    }
}

/// The training loss per iteration, kept in at most `maximumPoints` points so a page of a
/// 100,000-iteration run stays small (about 100 KB).
///
/// Point k holds iterations k·w + 1 … (k + 1)·w, w = `iterationsPerPoint`, and plots their mean
/// loss at the middle of the iterations it holds. w is 1 until the run passes `maximumPoints` iterations; then
/// neighbouring points are merged in pairs and w doubles, as often as needed. Averaging (rather
/// than keeping every w-th loss) keeps every iteration's loss in the curve and smooths the
/// minibatch noise the way a reader would.
public struct LossHistory: Codable, Sendable, Equatable {
    /// 2,000: more points than a plot 1,100 units wide can show.
    public static let defaultMaximumPoints = 2000

    /// The iterations of one point that had a finite loss: their span and the sum of the losses.
    struct Point: Codable, Sendable, Equatable {
        var first = 0, last = 0, count = 0
        var sum = 0.0

        mutating func merge(_ other: Point) {
            guard other.count > 0 else { return }
            if count == 0 { first = other.first }
            last = other.last
            count += other.count
            sum += other.sum
        }
    }

    public private(set) var maximumPoints: Int
    /// w: iterations averaged into one point, a power of two.
    public private(set) var iterationsPerPoint = 1
    /// The latest iteration recorded (finite loss or not).
    public private(set) var lastIteration = 0
    /// Losses left out because they were NaN or ±∞.
    public private(set) var nonFiniteCount = 0
    private var spans: [Point] = []

    public init(maximumPoints: Int = defaultMaximumPoints) {
        precondition(maximumPoints >= 2, "a loss history needs room for at least two points")
        self.maximumPoints = maximumPoints
    }

    /// Adds `iteration`'s loss. Iterations come in increasing order; an earlier one (a
    /// programming slip) is ignored rather than allowed to stop a training run.
    mutating func add(iteration: Int, loss: Double) {
        guard iteration > lastIteration else { return }
        lastIteration = iteration
        guard loss.isFinite else {
            nonFiniteCount += 1
            return
        }
        var index = (iteration - 1) / iterationsPerPoint
        while index >= maximumPoints {
            spans = stride(from: 0, to: spans.count, by: 2).map { k in
                var merged = spans[k]
                if k + 1 < spans.count { merged.merge(spans[k + 1]) }
                return merged
            }
            iterationsPerPoint *= 2
            index = (iteration - 1) / iterationsPerPoint
        }
        if index >= spans.count { spans += repeatElement(Point(), count: index + 1 - spans.count) }
        spans[index].merge(Point(first: iteration, last: iteration, count: 1, sum: loss))
    }

    /// Drops the iterations after `iteration`, for a run resumed there. A point that holds
    /// iterations on both sides is dropped whole (its later iterations will be redone), so the
    /// curve loses at most one point's earlier iterations and never counts one twice.
    mutating func truncate(after iteration: Int) {
        if lastIteration > iteration {
            let kept = min(spans.count, iteration / iterationsPerPoint)
            spans.removeLast(spans.count - kept)
        }
        lastIteration = iteration
    }

    /// The points to plot: x = the middle of the point's first and last recorded iteration,
    /// y = their mean loss.
    /// Spans with no finite loss have no point.
    public var points: [(x: Double, y: Double)] {
        spans.compactMap { span in
            span.count > 0 ? (Double(span.first + span.last) / 2, span.sum / Double(span.count)) : nil
        }
    }
}
