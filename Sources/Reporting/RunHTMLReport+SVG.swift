import Foundation

/// Small building blocks for the inline SVG charts of ``RunHTMLReport``: escaping, number
/// formatting, axis scales and ticks. Charts are drawn in a fixed coordinate system (`viewBox`)
/// and scale with the page.
enum HTMLChart {
  // MARK: Text

  /// `s` with `&`, `<`, `>`, `"` and `'` replaced by character references, safe in element
  /// content and in double- or single-quoted attributes.
  static func escape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for ch in s.unicodeScalars {
      switch ch {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default:
        // XML 1.0 forbids most control characters even as references; drop them.
        if ch.value < 0x20 && ch != "\n" && ch != "\t" && ch != "\r" { continue }
        out.unicodeScalars.append(ch)
      }
    }
    return out
  }

  /// `x` with `digits` decimals (`-` for NaN, `∞` for infinities).
  static func fixed(_ x: Double, _ digits: Int) -> String {
    if x.isNaN { return "-" }
    if x.isInfinite { return x > 0 ? "∞" : "-∞" }
    return String(format: "%.\(digits)f", x)
  }

  /// `fraction` as a percentage: one decimal from 1% up, three significant digits below
  /// (utilization on a small model is often well under 1%).
  static func percent(_ fraction: Double) -> String {
    let p = fraction * 100
    if !p.isFinite { return "-" }
    if p == 0 || abs(p) >= 1 { return String(format: "%.1f%%", p) }
    return String(format: "%.3g%%", p)
  }

  /// `x` with three significant digits below 1 and `digits` decimals from 1 up.
  static func significant(_ x: Double, _ digits: Int) -> String {
    if x.isFinite && x != 0 && abs(x) < 1 { return String(format: "%.3g", x) }
    return fixed(x, digits)
  }

  /// `n` with thousands separators.
  static func int(_ n: Int64) -> String { groupedDigits(Int(n)) }

  /// A coordinate with two decimals (keeps the SVG small and stable).
  static func c(_ x: Double) -> String { String(format: "%.2f", x.isFinite ? x : 0) }

  /// `x` with 3 significant digits and an SI suffix (k, M, G, T) for tick labels.
  static func si(_ x: Double) -> String {
    let a = abs(x)
    let (v, suffix): (Double, String) =
      a >= 1e12 ? (x / 1e12, "T") : a >= 1e9 ? (x / 1e9, "G") : a >= 1e6 ? (x / 1e6, "M") : a >= 1e3 ? (x / 1e3, "k") : (x, "")
    var s = String(format: "%.3g", v)
    if s.contains("e") { s = String(format: "%.0f", v) }
    return s + suffix
  }

  // MARK: Scales

  /// "Nice" linear ticks from 0 to at least `maxValue`: about `count` steps of 1, 2 or 5 × 10ⁿ.
  static func linearTicks(maxValue: Double, count: Int = 5) -> [Double] {
    guard maxValue > 0, maxValue.isFinite else { return [0, 1] }
    let raw = maxValue / Double(max(count, 1))
    let magnitude = pow(10, floor(log10(raw)))
    let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    let n = Int(ceil(maxValue / step - 1e-9))
    return (0...max(n, 1)).map { Double($0) * step }
  }

  /// The decades 10ⁿ covering `[lo, hi]` on a log axis (at least two).
  static func decades(_ lo: Double, _ hi: Double) -> [Double] {
    let a = Int(floor(log10(max(lo, 1e-30))))
    var b = Int(ceil(log10(max(hi, 1e-30))))
    if b <= a { b = a + 1 }
    return (a...b).map { pow(10, Double($0)) }
  }

  /// The plot area of a chart inside its `viewBox`.
  struct Frame {
    var width: Double
    var height: Double
    var left = 80.0
    var right = 20.0
    var top = 20.0
    var bottom = 56.0
    var plotWidth: Double { width - left - right }
    var plotHeight: Double { height - top - bottom }
    var plotBottom: Double { top + plotHeight }
    var plotRight: Double { left + plotWidth }
  }

  /// The opening `<svg>` element of a chart `id` sized by `viewBox`, with an accessible title.
  static func open(id: String, _ f: Frame, title: String) -> String {
    "<svg id=\"\(id)\" class=\"chart\" viewBox=\"0 0 \(c(f.width)) \(c(f.height))\" role=\"img\" aria-label=\"\(escape(title))\">\n"
      + "<title>\(escape(title))</title>\n"
  }

  /// A horizontal gridline with its label on the left (value axes of vertical-bar charts).
  static func yGrid(_ f: Frame, y: Double, label: String) -> String {
    "<line class=\"grid\" x1=\"\(c(f.left))\" y1=\"\(c(y))\" x2=\"\(c(f.plotRight))\" y2=\"\(c(y))\"/>"
      + "<text class=\"tick\" x=\"\(c(f.left - 6))\" y=\"\(c(y + 4))\" text-anchor=\"end\">\(escape(label))</text>\n"
  }

  /// A vertical gridline with its label below the plot.
  static func xGrid(_ f: Frame, x: Double, label: String) -> String {
    "<line class=\"grid\" x1=\"\(c(x))\" y1=\"\(c(f.top))\" x2=\"\(c(x))\" y2=\"\(c(f.plotBottom))\"/>"
      + "<text class=\"tick\" x=\"\(c(x))\" y=\"\(c(f.plotBottom + 16))\" text-anchor=\"middle\">\(escape(label))</text>\n"
  }

  /// The two axis lines and their titles (x below, y rotated on the left).
  static func axes(_ f: Frame, x xTitle: String, y yTitle: String, xTitleY: Double? = nil) -> String {
    var s = "<g class=\"axis\">"
    s += "<line x1=\"\(c(f.left))\" y1=\"\(c(f.plotBottom))\" x2=\"\(c(f.plotRight))\" y2=\"\(c(f.plotBottom))\"/>"
    s += "<line x1=\"\(c(f.left))\" y1=\"\(c(f.top))\" x2=\"\(c(f.left))\" y2=\"\(c(f.plotBottom))\"/>"
    s += "</g>\n"
    s += "<text class=\"axis-title\" x=\"\(c(f.left + f.plotWidth / 2))\" y=\"\(c(xTitleY ?? f.height - 8))\" text-anchor=\"middle\">\(escape(xTitle))</text>\n"
    let yMid = f.top + f.plotHeight / 2
    s += "<text class=\"axis-title\" x=\"14\" y=\"\(c(yMid))\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(c(yMid)))\">\(escape(yTitle))</text>\n"
    return s
  }

  /// A legend row of colored squares and labels starting at (`x`, `y`), wrapping at `maxX`.
  static func legend(_ items: [(label: String, color: String)], x: Double, y: Double, maxX: Double) -> String {
    var s = "<g class=\"legend\">"
    var cx = x
    var cy = y
    for item in items {
      let w = 22 + Double(item.label.count) * 6.6
      if cx + w > maxX && cx > x {
        cx = x
        cy += 16
      }
      s += "<rect x=\"\(c(cx))\" y=\"\(c(cy - 9))\" width=\"10\" height=\"10\" fill=\"\(item.color)\"/>"
      s += "<text x=\"\(c(cx + 14))\" y=\"\(c(cy))\">\(escape(item.label))</text>"
      cx += w + 10
    }
    return s + "</g>\n"
  }

  /// A data mark: a rectangle of class `mark` with a hover tooltip (`<title>`); zero-size
  /// rectangles are omitted.
  static func rect(x: Double, y: Double, width: Double, height: Double, fill: String, tip: String) -> String {
    guard width > 0, height > 0 else { return "" }
    return "<rect class=\"mark\" x=\"\(c(x))\" y=\"\(c(y))\" width=\"\(c(width))\" height=\"\(c(height))\" fill=\"\(fill)\">"
      + "<title>\(escape(tip))</title></rect>"
  }
}
