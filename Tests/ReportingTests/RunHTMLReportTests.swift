import Architecture
import CycleSim
import Foundation
import GraphIR
import Pipeline
@testable import Reporting
import Support
import SystoleTestSupport
import TFLiteImport
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// One run of MobileNet-v2 (int8) on edge-tpu with its float32 baseline, shared by the tests.
private let mobileNetRun: Swift.Result<RunPipeline.Result, any Error> = Swift.Result(catching: {
  try RunPipeline.run(model: loadResolvedModel(Fixtures.model("mobilenet_v2_int8.tflite")), arch: .edgeTPU)
})

@Suite struct RunHTMLReportTests {
  static let sectionIDs = ["summary", "charts", "layers"]

  @Test func isWellFormedAndHoldsEverySectionAndChart() throws {
    let result = try mobileNetRun.get()
    let html = RunHTMLReport.render(result)
    try checkWellFormed(html)
    for id in Self.sectionIDs + RunHTMLCharts.ids {
      #expect(html.contains("id=\"\(id)\""), "missing element with id \(id)")
    }
    // Every chart is an inline SVG with a viewBox (it scales with the page) and labelled axes.
    for id in RunHTMLCharts.ids {
      let svg = try #require(chart(id, in: html))
      #expect(svg.contains("viewBox=\"0 0 "))
      #expect(svg.contains("class=\"axis-title\""), "\(id) has no axis titles")
    }
    // Self-contained: no scripts, no external resources.
    #expect(!html.lowercased().contains("<script"))
    #expect(!html.lowercased().contains("<link"))
    #expect(!html.contains("url("))
    #expect(externalReferences(html).isEmpty, "external references: \(externalReferences(html))")
  }

  @Test func summaryFiguresEqualTheResult() throws {
    let result = try mobileNetRun.get()
    let html = RunHTMLReport.render(result)
    let sim = result.simulation
    let base = try #require(result.baseline)
    let q = result.compiled.report.totals
    let fq = base.compiled.report.totals
    #expect(try value("summary-int8-cycles", html) == Double(sim.cycles.count))
    #expect(try value("summary-int8-macs", html) == Double(sim.total.macs))
    #expect(try value("summary-int8-dram_bytes", html) == Double(sim.total.dramBytes))
    #expect(try value("summary-int8-sram_bytes", html) == Double(RunReport.sramBytes(sim.total)))
    #expect(try value("summary-int8-energy_uj", html) == sim.energy.total.value / 1e6)
    #expect(try value("summary-int8-utilization", html) == sim.utilization)
    #expect(try value("summary-int8-tops_peak", html) == result.arch.peakTOPS)
    #expect(try value("summary-int8-parameter_bytes", html) == Double(q.parameterBytesCached + q.parameterBytesStreamed))
    let us = Double(sim.cycles.count) / result.arch.clock.value
    #expect(try value("summary-int8-latency_us", html) == us)
    #expect(try value("summary-int8-tops_achieved", html) == 2 * Double(sim.total.macs) / (us * 1e-6) / 1e12)
    #expect(try value("summary-fp32-cycles", html) == Double(base.simulation.cycles.count))
    #expect(try value("summary-fp32-dram_bytes", html) == Double(base.simulation.total.dramBytes))
    #expect(try value("summary-fp32-energy_uj", html) == base.simulation.energy.total.value / 1e6)
    #expect(try value("summary-fp32-parameter_bytes", html) == Double(fq.parameterBytesCached + fq.parameterBytesStreamed))
    #expect(try value("summary-ratio-cycles", html) == Double(base.simulation.cycles.count) / Double(sim.cycles.count))
    let energyRatio = base.simulation.energy.total.value / sim.energy.total.value
    #expect(abs(try value("summary-ratio-energy_uj", html) - energyRatio) <= 1e-12 * energyRatio)
    // The visible text is the formatted figure.
    #expect(html.contains("data-value=\"\(sim.cycles.count)\">\(groupedDigits(Int(sim.cycles.count)))</td>"))
  }

  @Test func layerTableAndChartsHaveOneEntryPerLayer() throws {
    let result = try mobileNetRun.get()
    let html = RunHTMLReport.render(result)
    let layers = result.simulation.layers
    let table = try #require(between(html, "<table class=\"layers\">", "</table>"))
    let body = try #require(between(table, "<tbody>", "</tbody>"))
    #expect(body.components(separatedBy: "<tr").count - 1 == layers.count)
    for l in layers { #expect(body.contains(HTMLChart.escape(l.name))) }
    // Utilization: one bar per layer. Timeline: one span per layer with cycles (+ unattributed).
    let util = try #require(chart("chart-utilization", in: html))
    #expect(util.components(separatedBy: "<rect class=\"mark\"").count - 1 == layers.count)
    // Timeline: one mark per piece of each layer, at its real cycles, and one per gap no layer
    // owns (the unattributed cycles).
    let timeline = try #require(chart("chart-timeline", in: html))
    let pieces = result.simulation.layers.flatMap(\.pieces).sorted { $0.lowerBound < $1.lowerBound }
    #expect(pieces.reduce(Int64(0)) { $0 + $1.upperBound.count - $1.lowerBound.count } == layers.reduce(0) { $0 + $1.counters.cycles })
    var gaps = 0
    var at = Cycle(0)
    for p in pieces {
      if p.lowerBound > at { gaps += 1 }
      at = max(at, p.upperBound)
    }
    if result.simulation.cycles > at { gaps += 1 }
    #expect((gaps > 0) == (result.simulation.unattributed.cycles > 0))
    #expect(timeline.components(separatedBy: "<rect class=\"mark\"").count - 1 == pieces.count + gaps)
    // Two layers that overlap in time start at their own first cycle, not end to end.
    let starts = result.simulation.layers.compactMap { $0.pieces.first?.lowerBound.count }
    #expect(starts == starts.sorted())
    if let last = result.simulation.layers.last(where: { !$0.pieces.isEmpty }), let piece = last.pieces.last {
      #expect(timeline.contains("cycles \(groupedDigits(Int(piece.lowerBound.count)))–\(groupedDigits(Int(piece.upperBound.count)))"))
    }
    // Roofline: one point per layer with MACs.
    let roof = try #require(chart("chart-roofline", in: html))
    #expect(roof.components(separatedBy: "<circle").count - 1 >= layers.filter { $0.counters.macs > 0 }.count)
    #expect(roof.contains("\(result.arch.array.rows) × \(result.arch.array.cols) = \(groupedDigits(result.arch.peakMACsPerCycle)) MACs/cycle"))
  }

  @Test func escapesLayerNamesAndTitles() throws {
    var result = try mobileNetRun.get()
    let nasty = "a<b>&\"c'; d/e]]>"
    result.simulation.layers[0].name = nasty
    let html = RunHTMLReport.render(result, title: "x</title><script>alert(1)</script>")
    try checkWellFormed(html)
    #expect(!html.contains(nasty))
    #expect(html.contains("a&lt;b&gt;&amp;&quot;c&#39;; d/e]]&gt;"))
    #expect(!html.contains("<script"))
  }

  @Test func rendersWithoutBaseline() throws {
    var result = try mobileNetRun.get()
    result.baseline = nil
    let html = RunHTMLReport.render(result)
    try checkWellFormed(html)
    #expect(!html.contains("summary-fp32-"))
    #expect(html.contains("No float32 baseline"))
    for id in RunHTMLCharts.ids { #expect(html.contains("id=\"\(id)\"")) }
  }

  /// Models with host fallback, vector-only layers and no weights render well-formed too.
  @Test(arguments: ["attention_int8", "streaming_int8", "mlp_int8"])
  func rendersOtherModels(_ name: String) throws {
    let model = try loadResolvedModel(Fixtures.model("\(name).tflite"))
    var options = RunPipeline.Options()
    options.baseline = false
    let result = try RunPipeline.run(model: model, arch: .edgeTPU, options: options)
    let html = RunHTMLReport.render(result)
    try checkWellFormed(html)
    #expect(html.contains("id=\"summary-int8-cycles\" data-value=\"\(result.simulation.cycles.count)\""))
    #expect(!html.contains("nan") && !html.contains("inf\""), "non-finite coordinate")
  }

  @Test func helpers() {
    #expect(HTMLChart.escape("<a href='x'>&\"</a>") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;")
    #expect(HTMLChart.linearTicks(maxValue: 87) == [0, 20, 40, 60, 80, 100])
    #expect(HTMLChart.linearTicks(maxValue: 1_000) == [0, 200, 400, 600, 800, 1_000])
    #expect(HTMLChart.decades(3, 4_000) == [1, 10, 100, 1_000, 10_000])
    #expect(HTMLChart.si(2_500_000) == "2.5M")
    #expect(HTMLChart.si(0) == "0")
  }

  /// Writes the MobileNet-v2 report to `$SYSTOLE_WRITE_REPORT` (for the screenshot in
  /// `docs/reports.md`); does nothing otherwise.
  @Test func writeReportWhenAsked() throws {
    guard let path = ProcessInfo.processInfo.environment["SYSTOLE_WRITE_REPORT"] else { return }
    let html = RunHTMLReport.render(try mobileNetRun.get())
    try html.write(toFile: path, atomically: true, encoding: .utf8)
    #expect(FileManager.default.fileExists(atPath: path))
  }
}

// MARK: Helpers

/// The raw figure (`data-value`) of the element `id`.
private func value(_ id: String, _ html: String) throws -> Double {
  let marker = "id=\"\(id)\" data-value=\""
  let rest = try #require(html.range(of: marker).map { html[$0.upperBound...] })
  let text = try #require(rest.split(separator: "\"", maxSplits: 1).first)
  return try #require(Double(text))
}

/// The text between the first `start` and the next `end`.
private func between(_ s: String, _ start: String, _ end: String) -> String? {
  guard let a = s.range(of: start), let b = s.range(of: end, range: a.upperBound..<s.endIndex) else { return nil }
  return String(s[a.lowerBound..<b.upperBound])
}

/// The `<svg id="id">…</svg>` element.
private func chart(_ id: String, in html: String) -> String? { between(html, "<svg id=\"\(id)\"", "</svg>") }

/// `http://` and `https://` occurrences other than `xmlns` declarations.
private func externalReferences(_ html: String) -> [String] {
  var found: [String] = []
  for scheme in ["http://", "https://"] {
    var search = html.startIndex..<html.endIndex
    while let r = html.range(of: scheme, range: search) {
      let from = html.index(r.lowerBound, offsetBy: -12, limitedBy: html.startIndex) ?? html.startIndex
      let before = html[from..<r.lowerBound]
      if !before.contains("xmlns") { found.append(String(html[r.lowerBound...].prefix(40))) }
      search = r.upperBound..<html.endIndex
    }
  }
  return found
}

/// Checks `html` is well-formed XML (XHTML syntax): with `XMLDocument` where Foundation has it,
/// and always with a tag-balance check.
private func checkWellFormed(_ html: String) throws {
  #if canImport(FoundationXML) || os(macOS)
    _ = try XMLDocument(xmlString: html, options: [])
  #endif
  var stack: [String] = []
  var i = html.startIndex
  while let open = html.range(of: "<", range: i..<html.endIndex) {
    guard let close = html.range(of: ">", range: open.upperBound..<html.endIndex) else {
      Issue.record("unterminated tag at \(html.distance(from: html.startIndex, to: open.lowerBound))")
      return
    }
    let tag = html[open.upperBound..<close.lowerBound]
    i = close.upperBound
    if tag.hasPrefix("!") || tag.hasPrefix("?") || tag.hasSuffix("/") { continue }
    let name = String(tag.prefix { !$0.isWhitespace }.drop { $0 == "/" })
    if tag.hasPrefix("/") {
      guard stack.last == name else {
        Issue.record("</\(name)> closes <\(stack.last ?? "nothing")>")
        return
      }
      stack.removeLast()
    } else {
      stack.append(name)
    }
  }
  #expect(stack.isEmpty, "unclosed: \(stack)")
}
