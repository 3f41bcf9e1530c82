import Foundation
import Support

/// A self-contained HTML page (no scripts, no external files) with inline SVG charts:
/// per-layer SQNR bars for every scheme and a size-versus-error scatter per model.
public enum AccuracyHTMLReport {
  /// Renders one section per comparison (one model each).
  public static func render(_ comparisons: [SchemeComparison], title: String = "Systole quantization report") -> String
  {
    var html = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <title>\(escape(title))</title>
      <style>
      body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 2em; color: #222; }
      table { border-collapse: collapse; margin: 1em 0; }
      th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
      td.num { text-align: right; font-variant-numeric: tabular-nums; }
      svg text { font-size: 11px; fill: #333; }
      .axis line, .axis path { stroke: #555; }
      .grid line { stroke: #e4e4e4; }
      details { margin: 0.5em 0; }
      </style>
      </head>
      <body>
      <h1>\(escape(title))</h1>

      """
    html += "<p>SQNR = 10·log10(Σ float² / Σ (float − quantized)²) over all inputs, in dB. "
    html +=
      "Constants count weights at their packed width. Simulated schemes run in float with every quantized value rounded to its grid.</p>\n"
    for c in comparisons {
      html += "<h2>\(escape(c.model))</h2>\n"
      html += summaryTable(c)
      html += sizeVersusError(c)
      for r in c.reports {
        html +=
          "<details\(r.scheme == .int8PerChannel ? " open" : "")><summary>\(escape(r.scheme.rawValue)): per-layer SQNR</summary>\n"
        html += layerChart(r)
        html += "</details>\n"
      }
    }
    html += "</body>\n</html>\n"
    return html
  }

  static func summaryTable(_ c: SchemeComparison) -> String {
    var s = "<table>\n<tr><th>scheme</th><th>constants</th><th>smaller</th><th>output SQNR (dB)</th>"
    s += "<th>max |error|</th><th>cosine</th><th>top-1 agreement</th><th>run</th></tr>\n"
    for r in c.reports {
      let o = r.outputs.first
      s += "<tr><td>\(escape(r.scheme.rawValue))</td><td class=\"num\">\(escape("\(r.size.totalBytes)"))</td>"
      s += "<td class=\"num\">\(Format.fixed(Format.ratio(r.floatSize.totalBytes, r.size.totalBytes), 2))×</td>"
      s += "<td class=\"num\">\(Format.decibels(r.outputSQNR))</td>"
      s += "<td class=\"num\">\(o.map { Format.fixed($0.maxAbsoluteError, 4) } ?? "n/a")</td>"
      s += "<td class=\"num\">\(o.map { Format.fixed($0.cosineSimilarity, 5) } ?? "n/a")</td>"
      s += "<td class=\"num\">\(escape(o.map { Format.percent($0.top1Agreement) } ?? "n/a"))</td>"
      s += "<td>\(r.simulated ? "simulated" : "native")</td></tr>\n"
    }
    for f in c.failures {
      s +=
        "<tr><td>\(escape(f.scheme.rawValue))</td><td colspan=\"7\">not applicable: \(escape(f.error.message))</td></tr>\n"
    }
    return s + "</table>\n"
  }

  // MARK: Charts

  /// Plot-area geometry shared by both charts.
  struct Frame {
    var width = 760.0
    var height = 300.0
    var left = 64.0
    var right = 16.0
    var top = 16.0
    var bottom = 70.0
    var plotWidth: Double { width - left - right }
    var plotHeight: Double { height - top - bottom }
  }

  /// Round ticks (steps of 1, 2 or 5 × 10^k, about `count` of them) from at or below `lo` to
  /// at or above `hi`.
  static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
    guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
    let raw = (hi - lo) / Double(count)
    let magnitude = pow(10, floor(log10(raw)))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    var out: [Double] = []
    var v = floor(lo / step) * step
    let end = ceil(hi / step) * step
    while v <= end + step * 1e-9 {
      out.append(abs(v) < step * 1e-9 ? 0 : v)
      v += step
    }
    return out
  }

  static func tickLabel(_ v: Double) -> String {
    v == v.rounded() ? String(Int(v)) : String(format: "%g", v)
  }

  static func color(_ p: ActivationPrecision) -> String {
    switch p {
    case .int8: "#4472c4"
    case .int16: "#ed7d31"
    case .uint8: "#70ad47"
    case .float32: "#a5a5a5"
    }
  }

  /// Bars of each layer's SQNR; exact layers (∞ dB) are drawn at the top and labelled ∞.
  /// An inline `<svg>` element (other reports embed it: the trade-off page shows the worst
  /// scheme's).
  public static func layerChart(_ r: AccuracyReport) -> String {
    var f = Frame()
    f.height = 400
    f.bottom = 150
    let finite = r.layers.map(\.sqnrDB).filter(\.isFinite)
    let yTicks = ticks(min(finite.min() ?? 0, 0), max((finite.max() ?? 10) * 1.05, 10))
    let bottom = yTicks.first ?? 0
    let yMax = yTicks.last ?? 10
    func y(_ v: Double) -> Double { f.top + f.plotHeight * (1 - (v - bottom) / (yMax - bottom)) }
    let n = max(r.layers.count, 1)
    let slot = f.plotWidth / Double(n)
    var s = svgOpen(f, label: "Per-layer SQNR of \(r.scheme.rawValue)")
    s += grid(f, yTicks.map(y))
    for (i, l) in r.layers.enumerated() {
      let v = l.sqnrDB.isNaN ? bottom : (l.sqnrDB.isInfinite ? (l.sqnrDB > 0 ? yMax : bottom) : l.sqnrDB)
      let x = f.left + Double(i) * slot + slot * 0.15
      let y0 = y(max(0, bottom))
      let y1 = y(v)
      s +=
        "<rect x=\"\(n2(x))\" y=\"\(n2(min(y0, y1)))\" width=\"\(n2(slot * 0.7))\" height=\"\(n2(abs(y0 - y1)))\" fill=\"\(color(l.precision))\">"
      s +=
        "<title>#\(l.operatorIndex) \(escape(l.operatorName)) '\(escape(l.tensorName))' (\(l.precision.rawValue)): \(Format.decibels(l.sqnrDB)) dB</title></rect>\n"
      if l.sqnrDB.isInfinite && l.sqnrDB > 0 {
        s += "<text x=\"\(n2(x + slot * 0.35))\" y=\"\(n2(y1 - 3))\" text-anchor=\"middle\">∞</text>\n"
      }
      let cx = f.left + (Double(i) + 0.5) * slot
      let ly = f.top + f.plotHeight + 12
      s +=
        "<text x=\"\(n2(cx))\" y=\"\(n2(ly))\" text-anchor=\"end\" transform=\"rotate(-60 \(n2(cx)) \(n2(ly)))\">#\(l.operatorIndex) \(escape(l.operatorName))</text>\n"
    }
    s += axes(f)
    for t in yTicks {
      s += "<text x=\"\(n2(f.left - 6))\" y=\"\(n2(y(t) + 4))\" text-anchor=\"end\">\(tickLabel(t))</text>\n"
    }
    s +=
      "<text x=\"14\" y=\"\(n2(f.top + f.plotHeight / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(n2(f.top + f.plotHeight / 2)))\">SQNR (dB)</text>\n"
    s +=
      "<text x=\"\(n2(f.left + f.plotWidth / 2))\" y=\"\(n2(f.height - 4))\" text-anchor=\"middle\">layer (operator index in the float model)</text>\n"
    return s + "</svg>\n"
  }

  /// One point per scheme: constant bytes (KiB) against output SQNR (dB).
  static func sizeVersusError(_ c: SchemeComparison) -> String {
    var f = Frame()
    f.height = 320
    f.bottom = 48
    let points = c.reports.map { r in (r.scheme.rawValue, Double(r.size.totalBytes.count) / 1024, r.outputSQNR) }
    let xs = points.map(\.1)
    let finite = points.map(\.2).filter(\.isFinite)
    let xTicks = ticks(0, max((xs.max() ?? 1) * 1.05, 1))
    let xMax = xTicks.last ?? 1
    let yTicks = ticks(min(finite.min() ?? 0, 0), max((finite.max() ?? 10) * 1.05, 10))
    let yLo = yTicks.first ?? 0
    let yMax = yTicks.last ?? 10
    func x(_ v: Double) -> Double { f.left + f.plotWidth * v / xMax }
    func y(_ v: Double) -> Double { f.top + f.plotHeight * (1 - (v - yLo) / (yMax - yLo)) }
    var s = svgOpen(f, label: "Model size against output SQNR for \(c.model)")
    s += grid(f, yTicks.map(y))
    for (name, kib, db) in points {
      let v = db.isFinite ? db : (db > 0 ? yMax : yLo)
      s +=
        "<circle cx=\"\(n2(x(kib)))\" cy=\"\(n2(y(v)))\" r=\"4\" fill=\"#4472c4\"><title>\(escape(name)): \(Format.fixed(kib, 1)) KiB, \(Format.decibels(db)) dB</title></circle>\n"
      s += "<text x=\"\(n2(x(kib) + 6))\" y=\"\(n2(y(v) - 6))\">\(escape(name))</text>\n"
    }
    s += axes(f)
    for t in xTicks {
      s +=
        "<text x=\"\(n2(x(t)))\" y=\"\(n2(f.top + f.plotHeight + 14))\" text-anchor=\"middle\">\(tickLabel(t))</text>\n"
    }
    for t in yTicks {
      s += "<text x=\"\(n2(f.left - 6))\" y=\"\(n2(y(t) + 4))\" text-anchor=\"end\">\(tickLabel(t))</text>\n"
    }
    s +=
      "<text x=\"14\" y=\"\(n2(f.top + f.plotHeight / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(n2(f.top + f.plotHeight / 2)))\">output SQNR (dB)</text>\n"
    s +=
      "<text x=\"\(n2(f.left + f.plotWidth / 2))\" y=\"\(n2(f.height - 6))\" text-anchor=\"middle\">model constants (KiB, weights packed)</text>\n"
    return s + "</svg>\n"
  }

  static func svgOpen(_ f: Frame, label: String) -> String {
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(f.width))\" height=\"\(Int(f.height))\" viewBox=\"0 0 \(Int(f.width)) \(Int(f.height))\" role=\"img\" aria-label=\"\(escape(label))\">\n"
  }

  static func grid(_ f: Frame, _ ys: [Double]) -> String {
    var s = "<g class=\"grid\">"
    for y in ys {
      s += "<line x1=\"\(n2(f.left))\" x2=\"\(n2(f.left + f.plotWidth))\" y1=\"\(n2(y))\" y2=\"\(n2(y))\"/>"
    }
    return s + "</g>\n"
  }

  static func axes(_ f: Frame) -> String {
    let x0 = n2(f.left)
    let y1 = n2(f.top + f.plotHeight)
    return
      "<g class=\"axis\"><line x1=\"\(x0)\" x2=\"\(x0)\" y1=\"\(n2(f.top))\" y2=\"\(y1)\"/><line x1=\"\(x0)\" x2=\"\(n2(f.left + f.plotWidth))\" y1=\"\(y1)\" y2=\"\(y1)\"/></g>\n"
  }

  static func n2(_ v: Double) -> String { String(format: "%.1f", v) }

  /// Escapes `& < > " '` for HTML text and attributes.
  static func escape(_ s: String) -> String {
    var out = ""
    for c in s {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(c)
      }
    }
    return out
  }
}
