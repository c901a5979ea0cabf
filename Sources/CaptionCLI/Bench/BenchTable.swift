import Application
import Foundation

/// A benchmark's result table: stage, batch, runs, ms/run, per second, GFLOP/s.
struct BenchTable: CustomStringConvertible {
    struct Row {
        var stage: String, batch: String, runs: Int?, msPerRun: Double?, perSecond: Double?, gflops: Double?
    }

    let title: String
    var rows: [Row] = []
    var footer: [String] = []

    mutating func add(_ row: Row) { rows.append(row) }

    mutating func add(stage: String, batch: String, runs: Int?, msPerRun: Double?, perSecond: Double?, gflops: Double?) {
        rows.append(Row(stage: stage, batch: batch, runs: runs, msPerRun: msPerRun, perSecond: perSecond, gflops: gflops))
    }

    /// Mean wall-clock seconds of `body` over `runs` calls.
    static func time(runs: Int, _ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<runs { body() }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(runs)
    }

    var description: String {
        func cell(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "-" }
        let header = ["stage", "batch", "runs", "ms/img", "img/s", "GFLOP/s"]
        let body = rows.map { row in
            [row.stage, row.batch, row.runs.map(String.init) ?? "-", cell(row.msPerRun, "%.1f"),
             cell(row.perSecond, "%.2f"), cell(row.gflops, "%.1f")]
        }
        let widths = header.indices.map { column in ([header] + body).map { $0[column].count }.max()! }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, text in
                i == 0 ? text.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                       : String(repeating: " ", count: widths[i] - text.count) + text
            }.joined(separator: "  ")
        }
        return ([title, line(header)] + body.map(line) + footer).joined(separator: "\n")
    }
}
