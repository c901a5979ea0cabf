import Foundation
import Support

/// The range and tick marks of one plot axis.
///
/// Ticks fall on multiples of a "nice" step, 1, 2 or 5 × 10^k, chosen so that about
/// `targetTicks` intervals cover the data. A padded axis (a y axis) widens its range out to the
/// ticks on either side of the data; a tight one (an x axis) keeps the data's own range, with
/// the ticks inside it. A constant series, or a single point, still gets a span (±1 on a whole-
/// number axis, else ±10 % of the value, ±1 around 0), so scaling never divides by zero.
public struct AxisScale: Sendable, Equatable {
    public let lower: Double
    public let upper: Double
    /// The distance between ticks: 1, 2 or 5 × 10^k, at least 1 on a whole-number axis.
    public let step: Double
    public let ticks: [Double]

    /// - Parameters:
    ///   - values: the data; NaN and ±∞ are ignored. None at all gives the range 0…1.
    ///   - targetTicks: about how many intervals between ticks.
    ///   - integers: ticks on whole numbers only (epochs, iterations).
    ///   - padded: widen the range out to the ticks around the data.
    public init(covering values: [Double], targetTicks: Int = 5, integers: Bool = false, padded: Bool = true) {
        let finite = values.filter(\.isFinite)
        var low = finite.min() ?? 0, high = finite.max() ?? 1
        if low == high {
            let pad = integers ? 1 : (low == 0 ? 1 : abs(low) * 0.1)
            low -= pad
            high += pad
        }
        if !(high - low).isFinite {
            // Values near ±Double.greatestFiniteMagnitude: their span overflows. Nothing a
            // training curve produces; draw them on a unit range rather than fail.
            (low, high) = (0, 1)
        }
        var (multiple, exponent) = Self.niceStep((high - low) / Double(max(1, targetTicks)))
        if integers && exponent < 0 { (multiple, exponent) = (1, 0) }
        // Tick k is k · multiple · 10^exponent, computed as one multiplication or one division
        // by an exact power of ten, so 3 · 0.05 comes out as the double nearest 0.15, not
        // 0.15000000000000002. The tolerance keeps a bound that is a multiple of the step from
        // snapping one step outward.
        let scale = pow(10, Double(abs(exponent)))
        func tick(_ k: Double) -> Double {
            let value = exponent < 0 ? k * multiple / scale : k * multiple * scale
            return value == 0 ? 0 : value  // no "-0" label
        }
        let step = tick(1)
        let tolerance = 1e-9
        let firstTick: Double, lastTick: Double
        if padded {
            firstTick = (low / step + tolerance).rounded(.down)
            lastTick = (high / step - tolerance).rounded(.up)
            lower = tick(firstTick)
            upper = tick(lastTick)
        } else {
            firstTick = (low / step - tolerance).rounded(.up)
            lastTick = (high / step + tolerance).rounded(.down)
            lower = low
            upper = high
        }
        // At most a few dozen ticks, whatever rounding did at extreme magnitudes.
        let count = max(0, min(100, Int(lastTick - firstTick)))
        ticks = lastTick < firstTick ? [] : (0...count).map { tick(firstTick + Double($0)) }
        self.step = step
    }

    /// The step nearest `raw` on a log scale among 1, 2 and 5 × 10^k (within factors of 1.5,
    /// 2.2 and 1.4), as (1, 2, 5 or 10; k).
    static func niceStep(_ raw: Double) -> (multiple: Double, exponent: Int) {
        guard raw > 0, raw.isFinite else { return (1, 0) }
        let exponent = Int(log10(raw).rounded(.down))
        let normalized = raw / pow(10, Double(exponent))
        return (normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10, exponent)
    }

    /// Where `value` lies on the axis: 0 at `lower`, 1 at `upper` (outside 0…1 beyond them).
    public func fraction(_ value: Double) -> Double {
        (value - lower) / (upper - lower)
    }

    /// A tick's label, with as many decimals as the step needs ("0.25" for a step of 0.05), and
    /// thousands as "k" once the step is 1,000 or more ("20k" iterations).
    public func label(_ value: Double) -> String {
        if step >= 1000 {
            return Self.format(value / 1000, step: step / 1000) + "k"
        }
        return Self.format(value, step: step)
    }

    private static func format(_ value: Double, step: Double) -> String {
        let decimals = step >= 1 ? 0 : Int((-log10(step) - 1e-9).rounded(.up))
        let text = String(format: "%.\(decimals)f", value)
        return Double(text) == 0 ? String(format: "%.\(decimals)f", 0.0) : text
    }
}

/// A line plot drawn as one inline `<svg>` element: axes with ticks and grid lines, one
/// polyline per series, a dot per point when there are few, a legend for several series, and
/// an optional dashed marker (the best epoch). No script and no external reference; every text
/// is escaped with `HTML.escape`.
///
/// The drawing area is `width × height` user units (the `viewBox`), scaled by the page to its
/// column's width. Data coordinates map linearly: x' = left + fx · plotWidth,
/// y' = top + (1 − fy) · plotHeight, with f the `AxisScale.fraction` of each axis.
public struct SVGLinePlot: Sendable {
    public struct Series: Sendable {
        public var name: String
        /// In drawing order; points with a non-finite coordinate are left out.
        public var points: [(x: Double, y: Double)]
        public var color: String

        public init(name: String, points: [(x: Double, y: Double)], color: String) {
            self.name = name
            self.points = points.filter { $0.x.isFinite && $0.y.isFinite }
            self.color = color
        }
    }

    /// A vertical dashed line across the plot, labelled at its top.
    public struct Marker: Sendable {
        public var x: Double
        public var label: String
        public init(x: Double, label: String) {
            self.x = x
            self.label = label
        }
    }

    /// Colors for series in order (the Tableau 10 palette's first six: distinct for most kinds
    /// of color blindness).
    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]

    public var series: [Series]
    public var xLabel: String
    public var yLabel: String
    /// Ticks on whole numbers along x (epochs, iterations).
    public var integerX = true
    public var marker: Marker?
    /// Writes `yLabel` above the y axis; off when a caption outside the plot already says it.
    public var drawsYLabel = true
    /// Points above this many a series are drawn as a line only.
    public var maximumDots = 60
    public var width = 560.0
    public var height = 260.0

    public init(series: [Series], xLabel: String, yLabel: String) {
        self.series = series
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    // Margins around the plotting area: room for y tick labels on the left and the x axis
    // label below.
    private let left = 58.0, right = 18.0, top = 24.0, bottom = 42.0

    /// The x and y axes that cover every series (and the marker).
    public var axes: (x: AxisScale, y: AxisScale) {
        let points = series.flatMap(\.points)
        let xs = points.map(\.x) + (marker.map { [$0.x] } ?? [])
        return (AxisScale(covering: xs, targetTicks: Int(width / 90), integers: integerX, padded: false),
                AxisScale(covering: points.map(\.y), targetTicks: Int(height / 55)))
    }

    /// The `<svg>` element.
    public func svg() -> String {
        let (xAxis, yAxis) = axes
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func px(_ x: Double) -> String { Self.number(left + xAxis.fraction(x) * plotWidth) }
        func py(_ y: Double) -> String { Self.number(top + (1 - yAxis.fraction(y)) * plotHeight) }
        let bottomY = Self.number(top + plotHeight), rightX = Self.number(left + plotWidth)
        let label = HTML.escape(yLabel + " by " + xLabel)

        // No xmlns: inside an HTML page the parser puts <svg> in the SVG namespace by itself.
        var out = "<svg viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" role=\"img\" aria-label=\"\(label)\">\n"
        // Grid and tick labels.
        for tick in yAxis.ticks {
            out += "<line class=\"grid\" x1=\"\(Self.number(left))\" x2=\"\(rightX)\" y1=\"\(py(tick))\" y2=\"\(py(tick))\"/>"
            out += "<text class=\"tick\" x=\"\(Self.number(left - 6))\" y=\"\(py(tick))\" text-anchor=\"end\" dy=\"0.32em\">"
                + "\(HTML.escape(yAxis.label(tick)))</text>\n"
        }
        for tick in xAxis.ticks {
            out += "<line class=\"axis\" x1=\"\(px(tick))\" x2=\"\(px(tick))\" y1=\"\(bottomY)\" y2=\"\(Self.number(top + plotHeight + 4))\"/>"
            out += "<text class=\"tick\" x=\"\(px(tick))\" y=\"\(Self.number(top + plotHeight + 16))\" text-anchor=\"middle\">"
                + "\(HTML.escape(xAxis.label(tick)))</text>\n"
        }
        out += "<polyline class=\"axis\" fill=\"none\" points=\"\(Self.number(left)),\(Self.number(top)) \(Self.number(left)),\(bottomY) \(rightX),\(bottomY)\"/>\n"
        out += "<text class=\"label\" x=\"\(Self.number(left + plotWidth / 2))\" y=\"\(Self.number(height - 6))\" text-anchor=\"middle\">\(HTML.escape(xLabel))</text>\n"
        if drawsYLabel {
            out += "<text class=\"label\" x=\"\(Self.number(left))\" y=\"\(Self.number(top - 10))\" text-anchor=\"start\">\(HTML.escape(yLabel))</text>\n"
        }

        if let marker {
            out += "<line class=\"marker\" x1=\"\(px(marker.x))\" x2=\"\(px(marker.x))\" y1=\"\(Self.number(top))\" y2=\"\(bottomY)\"/>"
            // The label to the right of the line, or to its left near the right edge.
            let nearEdge = xAxis.fraction(marker.x) > 0.85
            let labelX = left + xAxis.fraction(marker.x) * plotWidth + (nearEdge ? -4 : 4)
            out += "<text class=\"marker-label\" x=\"\(Self.number(labelX))\" y=\"\(Self.number(top + 10))\""
                + " text-anchor=\"\(nearEdge ? "end" : "start")\">\(HTML.escape(marker.label))</text>\n"
        }

        if series.allSatisfy(\.points.isEmpty) {
            out += "<text class=\"empty\" x=\"\(Self.number(left + plotWidth / 2))\" y=\"\(Self.number(top + plotHeight / 2))\" text-anchor=\"middle\">no points yet</text>\n"
        }
        for line in series where !line.points.isEmpty {
            let color = HTML.escape(line.color)
            if line.points.count > 1 {
                let points = line.points.map { "\(px($0.x)),\(py($0.y))" }.joined(separator: " ")
                out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\" stroke-linejoin=\"round\" points=\"\(points)\"/>\n"
            }
            if line.points.count <= maximumDots {
                for point in line.points {
                    // The <title> is the hover text: the exact value, without a script.
                    let hover = HTML.escape("\(line.name), \(xLabel) \(Self.value(point.x)): \(Self.value(point.y))")
                    out += "<circle cx=\"\(px(point.x))\" cy=\"\(py(point.y))\" r=\"3\" fill=\"\(color)\"><title>\(hover)</title></circle>"
                }
                out += "\n"
            }
        }
        if series.count > 1 {
            // The legend along the top right, one swatch and name a series, spaced by an
            // estimate of the name's width at 12 px (no script to measure it).
            var x = left + plotWidth
            for line in series.reversed() {
                let name = HTML.escape(line.name)
                x -= 26 + 7.5 * Double(line.name.count)
                out += "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(top - 19))\" width=\"10\" height=\"10\" fill=\"\(HTML.escape(line.color))\"/>"
                out += "<text class=\"legend\" x=\"\(Self.number(x + 14))\" y=\"\(Self.number(top - 10))\">\(name)</text>"
            }
            out += "\n"
        }
        return out + "</svg>"
    }

    /// A coordinate with one decimal: finer than a pixel, and short.
    private static func number(_ value: Double) -> String {
        String(format: "%.1f", value)
    }

    /// A data value for hover text: whole numbers as such, others with 4 significant digits.
    private static func value(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(format: "%.0f", value) : String(format: "%.4g", value)
    }
}
