import Foundation
import Learning
import Testing

/// The training report page's parts: axis scaling (constant, single-point, empty and
/// non-finite data), the loss history's down-sampling and resume cut, the saved report's round
/// trip, and the page's escaping and self-containment.
struct TrainingReportTests {
    @Test("Nice ticks: 1, 2 or 5 × 10^k, the range padded out to them")
    func niceTicks() {
        let scale = AxisScale(covering: [0.3, 8.7], targetTicks: 5)
        #expect(scale.step == 2)
        #expect(scale.lower == 0 && scale.upper == 10)
        #expect(scale.ticks == [0, 2, 4, 6, 8, 10])
        #expect(AxisScale(covering: [0.1, 0.3], targetTicks: 4).ticks == [0.1, 0.15, 0.2, 0.25, 0.3])
    }

    @Test("A tight whole-number axis keeps the data's range: epochs 1…3 tick at 1, 2, 3")
    func tightIntegerAxis() {
        let scale = AxisScale(covering: [1, 2, 3], targetTicks: 6, integers: true, padded: false)
        #expect(scale.lower == 1 && scale.upper == 3)
        #expect(scale.ticks == [1, 2, 3])
    }

    @Test("A constant series, one point, no data or only NaN and ∞ still span a range")
    func degenerateSeries() {
        let constant = AxisScale(covering: [5, 5, 5], targetTicks: 4)
        #expect(constant.lower < 5 && constant.upper > 5)
        #expect(abs(constant.fraction(5) - 0.5) < 1e-12)
        let onePoint = AxisScale(covering: [0])
        #expect(onePoint.lower == -1 && onePoint.upper == 1)
        let oneEpoch = AxisScale(covering: [1], integers: true, padded: false)
        #expect(oneEpoch.lower == 0 && oneEpoch.upper == 2 && oneEpoch.ticks == [0, 1, 2])
        for values in [[], [Double.nan, .infinity, -.infinity]] {
            let scale = AxisScale(covering: values)
            #expect(scale.lower == 0 && scale.upper == 1, "\(values)")
            #expect(scale.fraction(0.5).isFinite)
        }
    }

    @Test("Tick labels: the step's decimals, thousands as k, never -0")
    func tickLabels() {
        let fine = AxisScale(covering: [-0.1, 0.2], targetTicks: 6)
        #expect(fine.step == 0.05)
        #expect(fine.ticks.map(fine.label) == ["-0.10", "-0.05", "0.00", "0.05", "0.10", "0.15", "0.20"])
        let iterations = AxisScale(covering: [1, 100_000], targetTicks: 5, integers: true, padded: false)
        #expect(iterations.ticks.map(iterations.label) == ["20k", "40k", "60k", "80k", "100k"])
    }

    @Test("A plot of one point or a constant series draws finite coordinates and a dot, no line")
    func plotsDegenerateSeries() {
        for points in [[(x: 1.0, y: 3.0)], [(x: 1.0, y: 2.0), (x: 2.0, y: 2.0), (x: 3.0, y: .nan)]] {
            let plot = SVGLinePlot(series: [.init(name: "dev", points: points, color: "#000")], xLabel: "epoch", yLabel: "perplexity")
            let svg = plot.svg()
            #expect(!svg.contains("nan") && !svg.contains("inf"), "\(svg)")
            #expect(svg.components(separatedBy: "<circle").count - 1 == min(points.count, 2))
            #expect(svg.contains("stroke-width=\"1.6\"") == (points.count > 1))
        }
        let empty = SVGLinePlot(series: [.init(name: "dev", points: [], color: "#000")], xLabel: "epoch", yLabel: "perplexity")
        #expect(empty.svg().contains("no points yet"))
    }

    @Test("The loss history averages pairs of points once it would pass its maximum")
    func lossDownSampling() {
        var report = TrainingReport(maximumLossPoints: 4)
        for iteration in 1...10 { report.addIteration(iteration, loss: Float(iteration)) }
        // Loss = iteration, so each point's mean loss equals its mid iteration.
        #expect(report.loss.iterationsPerPoint == 4)
        #expect(report.loss.points.map(\.x) == [2.5, 6.5, 9.5])
        #expect(report.loss.points.map(\.y) == [2.5, 6.5, 9.5])

        report.addIteration(11, loss: .nan)
        report.addIteration(12, loss: .infinity)
        #expect(report.loss.nonFiniteCount == 2)
        #expect(report.loss.points.count == 3)
        #expect(report.html().contains("2 non-finite losses (NaN or ∞) left out"))
    }

    @Test("A 100,000-iteration run keeps at most 2,000 loss points, every loss in one, and a small page")
    func longRunStaysSmall() {
        var report = TrainingReport()
        for iteration in 1...100_000 { report.addIteration(iteration, loss: 2) }
        #expect(report.loss.iterationsPerPoint == 64)
        #expect(report.loss.points.count == 1563)  // ⌈100,000 / 64⌉
        #expect(report.loss.points.allSatisfy { $0.y == 2 })
        #expect(report.loss.points.last?.x == Double(99_969 + 100_000) / 2)
        let html = report.html()
        #expect(html.utf8.count < 150_000, "\(html.utf8.count) bytes")
        #expect(html.contains("Each point is the mean of 64 iterations"))
    }

    static func twoEpochReport() -> TrainingReport {
        var report = TrainingReport()
        report.title = "captioner training: run"
        for iteration in 1...10 { report.addIteration(iteration, loss: 5 - Float(iteration) / 10) }
        report.addEpoch(1, figures: [.init("perplexity", 20)], trainLoss: 4.8, seconds: 3, isBest: true)
        for iteration in 11...20 { report.addIteration(iteration, loss: 4 - Float(iteration) / 10) }
        report.addEpoch(2, figures: [.init("perplexity", .infinity)], trainLoss: 2.6, seconds: 3, isBest: false)
        return report
    }

    @Test("Saved and read back unchanged (∞ included); a resume cuts back to its checkpoint")
    func resumeCutsBack() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = Self.twoEpochReport()
        try report.write(to: folder)
        #expect(try TrainingReport.read(from: folder) == report)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("report.html").path))

        let resumed = TrainingReport.resumed(from: folder, iterations: 14, epochs: 1)
        #expect(resumed.loss.lastIteration == 14)
        #expect(resumed.loss.points.map(\.x) == (1...14).map(Double.init))
        #expect(resumed.epochs.map(\.epoch) == [1])
        #expect(resumed.notes.isEmpty)

        let lost = TrainingReport.resumed(from: folder.appendingPathComponent("elsewhere"), iterations: 30, epochs: 3)
        #expect(lost.loss.lastIteration == 30 && lost.loss.points.isEmpty)
        #expect(lost.notes.count == 1 && lost.notes[0].contains("without the earlier history"))
    }

    @Test("A fine-tuning run: its start is the untrained row 'start', and the iteration figure is named")
    func fineTuningStart() throws {
        var report = TrainingReport()
        report.iterationFigure = "mean reward of the samples (CIDEr-D)"
        report.addEpoch(0, figures: [.init("CIDEr-D (%)", 45)], trainLoss: .nan, seconds: 20, isBest: true)
        for iteration in 1...4 { report.addIteration(iteration, loss: 0.4 + Float(iteration) / 100) }
        report.addEpoch(1, figures: [.init("CIDEr-D (%)", 47)], trainLoss: 0.43, seconds: 300, isBest: true)
        let html = report.html()
        #expect(html.contains("<h2>Mean reward of the samples (CIDEr-D)</h2>"))
        #expect(html.contains("<td>start</td><td>—</td>"))
        #expect(html.contains("<td>1 (best)</td><td>0.430</td>"))
        #expect(!html.contains("training loss") && !html.contains("NaN"))
        #expect(html.contains("300 s an epoch on average, 300 s in all"), "the start trained nothing")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try report.write(to: folder)
        let read = try TrainingReport.read(from: folder)
        #expect(read.epochs[0].trainLoss.isNaN && read.iterationFigure == report.iterationFigure)
    }

    @Test("A resume cut drops the down-sampled point that straddles the checkpoint")
    func resumeCutWithWidePoints() {
        var report = TrainingReport(maximumLossPoints: 4)
        for iteration in 1...16 { report.addIteration(iteration, loss: 1) }
        #expect(report.loss.iterationsPerPoint == 4)
        report.truncate(iterations: 10, epochs: 0)
        #expect(report.loss.points.map(\.x) == [2.5, 6.5])
        report.addIteration(11, loss: 1)
        #expect(report.loss.points.map(\.x) == [2.5, 6.5, 11])
    }

    @Test("The page: every run text escaped, one <svg> a plot, the best epoch marked, nothing external")
    func page() {
        var report = Self.twoEpochReport()
        report.title = "captioner training: <img src=x onerror=alert(1)>"
        report.facts = [.init("command", "caption train --out '<b>&\"'")]
        report.notes = ["a <note>"]
        let html = report.html()
        #expect(html.contains("captioner training: &lt;img src=x onerror=alert(1)&gt;"))
        #expect(!html.contains("<img"))
        #expect(html.contains("--out &#39;&lt;b&gt;&amp;&quot;&#39;"))
        #expect(html.contains("a &lt;note&gt;"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 2)
        #expect(html.contains("<meta http-equiv=\"refresh\" content=\"60\">"))
        #expect(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"))
        #expect(html.contains("class=\"marker-label\"") && html.contains("<tr class=\"best\"><td>1 (best)</td>"))
        #expect(html.contains("<td>∞</td>"))

        let fresh = TrainingReport().html()
        #expect(fresh.contains("no points yet") && fresh.contains("No epoch has finished yet"))
    }
}
