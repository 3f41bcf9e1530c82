import Foundation

/// A self-contained HTML page for a study: inline SVG, no scripts, no external files.
///
/// Per model: the latency–energy scatter with its Pareto front; one line chart of latency per
/// varied axis, the other axes held at their reference value (the base architecture's value when
/// the study knows it and swept it, else the axis's first value); and, for two-axis studies, a
/// latency heatmap. A table lists the best point per objective.
public enum SweepPlot {
  /// The HTML page.
  public static func html(_ study: SweepStudy, title: String = "Systole sweep") -> String {
    var body = "<h1>\(escape(title))</h1>\n"
    let ok = study.rows.filter { $0.metrics != nil }.count
    body += "<p>\(study.rows.count) rows, \(ok) ok, \(study.rows.count - ok) invalid. Varied: \(escape(study.columns.joined(separator: ", "))).</p>\n"
    body += bestTable(study)
    for model in study.models {
      let rows = study.rows.filter { $0.model == model && $0.metrics != nil }
      body += "<h2>\(escape(model))</h2>\n"
      if rows.isEmpty {
        body += "<p>No valid points.</p>\n"
        continue
      }
      body += scatter(rows: rows, title: "Latency vs energy (Pareto front in red)")
      let reference = referenceValues(study)
      for (c, column) in study.columns.enumerated() {
        body += lineChart(study: study, rows: rows, column: c, reference: reference, title: "Latency vs \(column)")
      }
      if study.columns.count == 2 { body += heatmap(study: study, rows: rows) }
    }
    return """
      <!DOCTYPE html>
      <html><head><meta charset="utf-8"><title>\(escape(title))</title>
      <style>body{font-family:sans-serif;max-width:960px;margin:2em auto}svg{display:block;margin:1em 0}
      table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}</style>
      </head><body>
      \(body)</body></html>

      """
  }

  /// The value each column is held at in line charts.
  static func referenceValues(_ study: SweepStudy) -> [String] {
    study.columns.indices.map { c in
      let values = distinctValues(study, column: c)
      if let base = study.baseValues[c], values.contains(base) { return base }
      return values.first ?? ""
    }
  }

  static func distinctValues(_ study: SweepStudy, column: Int) -> [String] {
    var seen: [String] = []
    for row in study.rows where !seen.contains(row.settings[column]) { seen.append(row.settings[column]) }
    return seen
  }

  static func bestTable(_ study: SweepStudy) -> String {
    var html = "<table><tr><th>objective</th><th>model</th>"
    html += study.columns.map { "<th>\(escape($0))</th>" }.joined()
    html += "<th>latency_us</th><th>energy_uj</th><th>area_mm2</th></tr>\n"
    for objective in SweepStudy.Objective.allCases {
      for row in study.best(objective: objective) {
        guard let m = row.metrics else { continue }
        html += "<tr><td>\(objective.rawValue)</td><td>\(escape(row.model))</td>"
        html += row.settings.map { "<td>\(escape($0.isEmpty ? "(base)" : $0))</td>" }.joined()
        html += "<td>\(short(m.latencyMicroseconds))</td><td>\(short(m.energyMicrojoules))</td>"
        html += "<td>\(row.area.map { short($0.squareMillimeters) } ?? "")</td></tr>\n"
      }
    }
    return html + "</table>\n"
  }

  // MARK: Charts

  static let width = 640.0
  static let height = 360.0
  static let margin = (left: 80.0, right: 20.0, top: 30.0, bottom: 50.0)

  /// Maps values to plot coordinates.
  struct Scale {
    var low: Double
    var high: Double
    var from: Double
    var to: Double
    init(_ values: [Double], from: Double, to: Double) {
      let finite = values.filter(\.isFinite)
      low = finite.min() ?? 0
      high = finite.max() ?? 1
      if high <= low { (low, high) = (low - 1, high + 1) }
      self.from = from
      self.to = to
    }
    func callAsFunction(_ x: Double) -> Double { from + (x - low) / (high - low) * (to - from) }
    var ticks: [Double] { (0...4).map { low + (high - low) * Double($0) / 4 } }
  }

  static func frame(title: String, xLabel: String, yLabel: String, content: String) -> String {
    let (w, h, m) = (width, height, margin)
    return """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(w))" height="\(Int(h))" viewBox="0 0 \(Int(w)) \(Int(h))">
      <text x="\(Int(w / 2))" y="18" text-anchor="middle" font-size="14">\(escape(title))</text>
      <line x1="\(m.left)" y1="\(h - m.bottom)" x2="\(w - m.right)" y2="\(h - m.bottom)" stroke="black"/>
      <line x1="\(m.left)" y1="\(m.top)" x2="\(m.left)" y2="\(h - m.bottom)" stroke="black"/>
      <text x="\(Int((m.left + w - m.right) / 2))" y="\(Int(h - 8))" text-anchor="middle" font-size="12">\(escape(xLabel))</text>
      <text x="14" y="\(Int((m.top + h - m.bottom) / 2))" text-anchor="middle" font-size="12" transform="rotate(-90 14 \(Int((m.top + h - m.bottom) / 2)))">\(escape(yLabel))</text>
      \(content)</svg>

      """
  }

  static func yTicks(_ y: Scale) -> String {
    y.ticks.map { t in
      "<text x=\"\(margin.left - 4)\" y=\"\(fmt(y(t)) )\" text-anchor=\"end\" font-size=\"10\" dominant-baseline=\"middle\">\(short(t))</text>\n"
    }.joined()
  }

  static func scatter(rows: [SweepRow], title: String) -> String {
    let latency = rows.compactMap { $0.metrics?.latencyMicroseconds }
    let energy = rows.compactMap { $0.metrics?.energyMicrojoules }
    let x = Scale(latency, from: margin.left + 10, to: width - margin.right - 10)
    let y = Scale(energy, from: height - margin.bottom - 10, to: margin.top + 10)
    var content = yTicks(y)
    content += x.ticks.map { t in
      "<text x=\"\(fmt(x(t)))\" y=\"\(height - margin.bottom + 14)\" text-anchor=\"middle\" font-size=\"10\">\(short(t))</text>\n"
    }.joined()
    let front = rows.filter(\.paretoLatencyEnergy).compactMap(\.metrics)
      .sorted { $0.latencyMicroseconds < $1.latencyMicroseconds }
    if front.count > 1 {
      let points = front.map { "\(fmt(x($0.latencyMicroseconds))),\(fmt(y($0.energyMicrojoules)))" }.joined(separator: " ")
      content += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\"/>\n"
    }
    for row in rows {
      guard let m = row.metrics else { continue }
      let color = row.paretoLatencyEnergy ? "#d62728" : "#7f7f7f"
      let label = "point \(row.index): " + row.settings.joined(separator: ", ")
      content += "<circle cx=\"\(fmt(x(m.latencyMicroseconds)))\" cy=\"\(fmt(y(m.energyMicrojoules)))\" r=\"4\" fill=\"\(color)\"><title>\(escape(label))</title></circle>\n"
    }
    return frame(title: title, xLabel: "latency per inference (µs)", yLabel: "energy per inference (µJ)", content: content)
  }

  static func lineChart(study: SweepStudy, rows: [SweepRow], column: Int, reference: [String], title: String) -> String {
    let values = distinctValues(study, column: column)
    let slice = rows.filter { row in
      row.settings.indices.allSatisfy { $0 == column || row.settings[$0] == reference[$0] }
    }
    var points: [(Int, Double)] = []
    for (k, value) in values.enumerated() {
      if let m = slice.first(where: { $0.settings[column] == value })?.metrics {
        points.append((k, m.latencyMicroseconds))
      }
    }
    let x = Scale(values.indices.map(Double.init), from: margin.left + 30, to: width - margin.right - 30)
    let y = Scale(points.map(\.1) + [0], from: height - margin.bottom - 10, to: margin.top + 10)
    var content = yTicks(y)
    for (k, value) in values.enumerated() {
      content += "<text x=\"\(fmt(x(Double(k))))\" y=\"\(height - margin.bottom + 14)\" text-anchor=\"middle\" font-size=\"10\">\(escape(value.isEmpty ? "(base)" : value))</text>\n"
    }
    if points.count > 1 {
      content += "<polyline points=\"\(points.map { "\(fmt(x(Double($0.0)))),\(fmt(y($0.1)))" }.joined(separator: " "))\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n"
    }
    for (k, latency) in points {
      content += "<circle cx=\"\(fmt(x(Double(k))))\" cy=\"\(fmt(y(latency)))\" r=\"4\" fill=\"#1f77b4\"><title>\(short(latency)) µs</title></circle>\n"
    }
    let held = study.columns.indices.filter { $0 != column }.map { "\(study.columns[$0])=\(reference[$0])" }
    let subtitle = held.isEmpty ? "" : " (\(held.joined(separator: ", ")))"
    return frame(title: title + subtitle, xLabel: study.columns[column], yLabel: "latency per inference (µs)", content: content)
  }

  static func heatmap(study: SweepStudy, rows: [SweepRow]) -> String {
    let xs = distinctValues(study, column: 0)
    let ys = distinctValues(study, column: 1)
    let latency = rows.compactMap { $0.metrics?.latencyMicroseconds }
    let color = Scale(latency, from: 0, to: 1)
    let cellWidth = (width - margin.left - margin.right) / Double(max(xs.count, 1))
    let cellHeight = (height - margin.top - margin.bottom) / Double(max(ys.count, 1))
    var content = ""
    for (i, xv) in xs.enumerated() {
      content += "<text x=\"\(fmt(margin.left + (Double(i) + 0.5) * cellWidth))\" y=\"\(height - margin.bottom + 14)\" text-anchor=\"middle\" font-size=\"10\">\(escape(xv))</text>\n"
      for (j, yv) in ys.enumerated() {
        let cellX = margin.left + Double(i) * cellWidth
        let cellY = margin.top + Double(j) * cellHeight
        if i == 0 {
          content += "<text x=\"\(margin.left - 4)\" y=\"\(fmt(cellY + cellHeight / 2))\" text-anchor=\"end\" font-size=\"10\" dominant-baseline=\"middle\">\(escape(yv))</text>\n"
        }
        let row = rows.first { $0.settings[0] == xv && $0.settings[1] == yv }
        if let m = row?.metrics {
          let t = min(1, max(0, color(m.latencyMicroseconds)))
          let fill = "rgb(\(Int(255 * t)),\(Int(80 + 100 * (1 - t))),\(Int(255 * (1 - t))))"
          content += "<rect x=\"\(fmt(cellX))\" y=\"\(fmt(cellY))\" width=\"\(fmt(cellWidth))\" height=\"\(fmt(cellHeight))\" fill=\"\(fill)\"><title>\(short(m.latencyMicroseconds)) µs</title></rect>\n"
          content += "<text x=\"\(fmt(cellX + cellWidth / 2))\" y=\"\(fmt(cellY + cellHeight / 2))\" text-anchor=\"middle\" font-size=\"10\" fill=\"white\" dominant-baseline=\"middle\">\(short(m.latencyMicroseconds))</text>\n"
        } else {
          content += "<rect x=\"\(fmt(cellX))\" y=\"\(fmt(cellY))\" width=\"\(fmt(cellWidth))\" height=\"\(fmt(cellHeight))\" fill=\"#eee\"><title>invalid</title></rect>\n"
        }
      }
    }
    return frame(
      title: "Latency (µs) by \(study.columns[0]) and \(study.columns[1]); blue fast, red slow",
      xLabel: study.columns[0], yLabel: study.columns[1], content: content)
  }

  // MARK: Text

  /// `&`, `<`, `>`, `"` escaped for HTML text and attributes.
  static func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }

  /// A coordinate with one decimal.
  static func fmt(_ x: Double) -> String { String(format: "%.1f", x.isFinite ? x : 0) }

  /// A value with four significant digits: `1234`, `0.01235`, `1.235e+06`.
  static func short(_ x: Double) -> String { String(format: "%.4g", x) }
}
