import Foundation

/// A benchmark's result table: stage, batch, runs, ms per item, items per second, GFLOP/s, where
/// an item is what the benchmark counts (`img`, `cap`, `step`).
public struct BenchTable: CustomStringConvertible {
    public struct Row {
        public var stage: String, batch: String, runs: Int?, msPerRun: Double?, perSecond: Double?, gflops: Double?
    }

    public let title: String
    /// What a row's ms and rate count: "ms/\(item)", and "\(rateItem)/s" (a step's rate is in captions).
    let item: String, rateItem: String
    public var rows: [Row] = []
    public var footer: [String] = []

    public init(title: String, item: String = "img", rateItem: String? = nil) {
        self.title = title
        self.item = item
        self.rateItem = rateItem ?? item
    }

    public mutating func add(_ row: Row) { rows.append(row) }

    public mutating func add(stage: String, batch: String, runs: Int?, msPerRun: Double?, perSecond: Double?, gflops: Double?) {
        rows.append(Row(stage: stage, batch: batch, runs: runs, msPerRun: msPerRun, perSecond: perSecond, gflops: gflops))
    }

    /// Mean wall-clock seconds of `body` over `runs` calls.
    public static func time(runs: Int, _ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<runs { body() }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(runs)
    }

    public var description: String {
        func cell(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "-" }
        let header = ["stage", "batch", "runs", "ms/\(item)", "\(rateItem)/s", "GFLOP/s"]
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
