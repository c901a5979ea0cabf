import Foundation
import Support

extension TrainingReport {
    /// The self-contained page: a summary line, the facts table, the loss plot, one plot per dev
    /// figure (the best epoch marked) and the table of epochs. Every text from the run (title,
    /// facts, notes, figure names) goes through `HTML.escape`.
    public func html(updated: Date = Date()) -> String {
        HTML.fill(Self.template, [
            "TITLE": HTML.escape(title),
            "SUMMARY": HTML.escape(summary(updated: updated)),
            "FACTS": factRows,
            "NOTES": notes.map { "<p class=\"note\">\(HTML.escape($0))</p>" }.joined(separator: "\n"),
            "LOSS_HEADING": HTML.escape(iterationFigureName.prefix(1).uppercased() + iterationFigureName.dropFirst()),
            "LOSS_PLOT": lossPlot.svg(),
            "LOSS_NOTE": HTML.escape(lossNote),
            "EPOCH_PLOTS": epochPlots,
            "EPOCH_TABLE": epochTable,
        ])
    }

    /// "epoch 3 of 16 · iteration 900 of 4,800 · best: epoch 2 · updated …".
    func summary(updated: Date) -> String {
        var parts: [String] = []
        let finished = epochs.last?.epoch ?? 0
        parts.append(plannedEpochs > 0 ? "epoch \(finished) of \(plannedEpochs) done" : "epoch \(finished) done")
        let iteration = Self.grouped(loss.lastIteration)
        parts.append(plannedIterations > 0 ? "iteration \(iteration) of \(Self.grouped(plannedIterations))" : "iteration \(iteration)")
        if let best = bestEpoch { parts.append("best: epoch \(best.epoch)") }
        let stamp = ISO8601DateFormatter().string(from: updated)
        parts.append("updated \(stamp) (the page reloads every minute)")
        return parts.joined(separator: " · ")
    }

    /// The given facts, then the best epoch's figures and the time per epoch.
    var factRows: String {
        var rows = facts
        if let best = bestEpoch {
            // "10 · perplexity 12.31 · median rank: annotation 2, search 3"
            let figures = plotSeries.map { plot in
                let values = best.figures.filter { $0.plot == plot.plot }
                if plot.series == [plot.plot] { return "\(plot.plot) \(values.map { Self.figureText($0.value) }.joined())" }
                return "\(plot.plot): " + values.map { "\($0.series) \(Self.figureText($0.value))" }.joined(separator: ", ")
            }
            rows.append(Fact("best epoch", (["\(best.epoch)"] + figures).joined(separator: " · ")))
        }
        // Epoch 0, a fine-tuning run's scored start, trained nothing: it is not an epoch's time.
        let trained = epochs.filter { $0.epoch > 0 }
        if !trained.isEmpty {
            let total = trained.map(\.seconds).reduce(0, +)
            rows.append(Fact("time", String(format: "%.0f s an epoch on average, %.0f s in all", total / Double(trained.count), total)))
        }
        return rows.map { "<tr><th>\(HTML.escape($0.name))</th><td>\(HTML.escape($0.value))</td></tr>" }
            .joined(separator: "\n")
    }

    /// The loss per iteration (averaged as `LossHistory` says) and each epoch's mean loss,
    /// drawn at the epoch's middle iteration.
    var lossPlot: SVGLinePlot {
        let perIteration = loss.iterationsPerPoint == 1 ? "per iteration" : "mean of \(loss.iterationsPerPoint) iterations"
        var series = [SVGLinePlot.Series(name: perIteration, points: loss.points, color: SVGLinePlot.palette[0])]
        if !epochs.isEmpty {
            let starts = [0] + epochs.dropLast().map(\.lastIteration)
            let means = zip(starts, epochs).filter { $1.trainLoss.isFinite }.map { start, epoch in
                (Double(start + 1 + epoch.lastIteration) / 2, epoch.trainLoss)
            }
            series.append(SVGLinePlot.Series(name: "epoch mean", points: means, color: SVGLinePlot.palette[1]))
        }
        var plot = SVGLinePlot(series: series, xLabel: "iteration", yLabel: iterationFigureName)
        plot.drawsYLabel = false  // the section heading says it
        plot.width = 1140
        plot.height = 300
        return plot
    }

    var lossNote: String {
        var note = loss.iterationsPerPoint == 1
            ? "One point per iteration."
            : "Each point is the mean of \(loss.iterationsPerPoint) iterations, so the page stays small "
                + "(at most \(Self.grouped(loss.maximumPoints)) points)."
        if loss.nonFiniteCount > 0 {
            let count = loss.nonFiniteCount
            note += " \(Self.grouped(count)) non-finite \(count == 1 ? "loss" : "losses") (NaN or ∞) left out."
        }
        return note
    }

    /// Plot titles with their series, in the order the epochs first report them.
    var plotSeries: [(plot: String, series: [String])] {
        var plots: [(plot: String, series: [String])] = []
        for figure in epochs.flatMap(\.figures) {
            if let index = plots.firstIndex(where: { $0.plot == figure.plot }) {
                if !plots[index].series.contains(figure.series) { plots[index].series.append(figure.series) }
            } else {
                plots.append((figure.plot, [figure.series]))
            }
        }
        return plots
    }

    /// One `<figure>` a dev plot, the best epoch marked.
    var epochPlots: String {
        let plots = plotSeries
        if plots.isEmpty { return "<p class=\"note\">No epoch has finished yet.</p>" }
        return plots.map { plot in
            let series = plot.series.enumerated().map { index, name in
                let points = epochs.compactMap { epoch in
                    epoch.figures.first { $0.plot == plot.plot && $0.series == name }.map { (Double(epoch.epoch), $0.value) }
                }
                return SVGLinePlot.Series(name: name, points: points, color: SVGLinePlot.palette[index % SVGLinePlot.palette.count])
            }
            var chart = SVGLinePlot(series: series, xLabel: "epoch", yLabel: plot.plot)
            chart.drawsYLabel = false
            chart.marker = bestEpoch.map { SVGLinePlot.Marker(x: Double($0.epoch), label: "best") }
            return "<figure>\n<figcaption>\(HTML.escape(plot.plot))</figcaption>\n\(chart.svg())\n</figure>"
        }.joined(separator: "\n")
    }

    /// Epoch, train loss, every figure, seconds; the best epoch's row highlighted. Plots with
    /// several series get a group header over their series' columns.
    var epochTable: String {
        guard !epochs.isEmpty else { return "" }
        let plots = plotSeries
        var top = "<tr><th rowspan=\"2\">epoch</th><th rowspan=\"2\">\(HTML.escape(iterationFigureName))</th>"
        var second = ""
        for plot in plots {
            if plot.series == [plot.plot] {
                top += "<th rowspan=\"2\">\(HTML.escape(plot.plot))</th>"
            } else {
                top += "<th colspan=\"\(plot.series.count)\">\(HTML.escape(plot.plot))</th>"
                second += plot.series.map { "<th>\(HTML.escape($0))</th>" }.joined()
            }
        }
        top += "<th rowspan=\"2\">seconds</th></tr>"
        var rows = [top, "<tr>\(second)</tr>"]
        let best = bestEpoch?.epoch
        for epoch in epochs {
            var row = epoch.epoch == best ? "<tr class=\"best\">" : "<tr>"
            // Epoch 0 is the model a fine-tuning run starts from: scored, never trained.
            let name = epoch.epoch == 0 ? "start" : "\(epoch.epoch)"
            let trained = epoch.trainLoss.isFinite ? String(format: "%.3f", epoch.trainLoss) : "—"
            row += "<td>\(name)\(epoch.epoch == best ? " (best)" : "")</td><td>\(trained)</td>"
            for plot in plots {
                for name in plot.series {
                    let value = epoch.figures.first { $0.plot == plot.plot && $0.series == name }?.value
                    row += "<td>\(value.map(Self.figureText) ?? "")</td>"
                }
            }
            row += "<td>\(String(format: "%.0f", epoch.seconds))</td></tr>"
            rows.append(row)
        }
        return "<table class=\"epochs\">\n" + rows.joined(separator: "\n") + "\n</table>"
    }

    /// A figure as the tables show it: whole numbers (ranks) as such, others with 2 decimals.
    static func figureText(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "−∞") }
        return value == value.rounded() && abs(value) < 1e9 ? String(format: "%.0f", value) : String(format: "%.2f", value)
    }

    /// 4800 → "4,800".
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// The page around the slots; the palette and fonts of the batch report page.
    static let template = """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta http-equiv="refresh" content="60">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{TITLE}}</title>
    <style>
    body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 16px; color: #222; background: #fafafa; }
    h1 { font-size: 20px; margin: 0 0 4px; overflow-wrap: anywhere; }
    h2 { font-size: 16px; margin: 20px 0 8px; }
    .summary { color: #555; margin: 0 0 12px; }
    table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
    .facts th { text-align: left; color: #555; font-weight: 600; padding: 2px 16px 2px 0; vertical-align: top; white-space: nowrap; }
    .facts td { padding: 2px 0; overflow-wrap: anywhere; }
    .note { color: #777; font-size: 13px; margin: 6px 0; }
    figure { margin: 0; background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 8px 10px; }
    figcaption { font-weight: 600; margin: 0 0 2px; }
    .plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 12px; }
    svg { display: block; width: 100%; height: auto; font: 11px system-ui, sans-serif; }
    svg .grid { stroke: #ececec; }
    svg .axis { stroke: #999; }
    svg .tick { fill: #555; }
    svg .label { fill: #333; font-size: 12px; }
    svg .legend { fill: #333; font-size: 12px; }
    svg .marker { stroke: #777; stroke-dasharray: 4 3; }
    svg .marker-label { fill: #555; }
    svg .empty { fill: #999; font-size: 13px; }
    .epochs th, .epochs td { padding: 3px 10px; border-bottom: 1px solid #e6e6e6; text-align: right; }
    .epochs th { font-weight: 600; color: #444; text-align: center; }
    .epochs tr.best td { background: #eaf4ea; font-weight: 600; }
    </style>
    </head>
    <body>
    <h1>{{TITLE}}</h1>
    <p class="summary">{{SUMMARY}}</p>
    <table class="facts">
    {{FACTS}}
    </table>
    {{NOTES}}
    <h2>{{LOSS_HEADING}}</h2>
    <figure>
    {{LOSS_PLOT}}
    </figure>
    <p class="note">{{LOSS_NOTE}}</p>
    <h2>Dev split, after each epoch</h2>
    <div class="plots">
    {{EPOCH_PLOTS}}
    </div>
    <h2>Epochs</h2>
    {{EPOCH_TABLE}}
    </body>
    </html>

    """
}
