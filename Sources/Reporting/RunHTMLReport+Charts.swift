import Architecture
import CycleSim
import Foundation
import Lowering
import Pipeline
import Support

/// The six charts of ``RunHTMLReport``, each an inline `<svg>` with an id, labelled axes with
/// units, a legend where colors carry meaning, and a `<title>` tooltip on every mark.
struct RunHTMLCharts {
  var result: RunPipeline.Result
  var rows: [RunReport.LayerRow]

  init(result: RunPipeline.Result) {
    self.result = result
    self.rows = RunReport(result).layerRows
  }

  var arch: ArchSpec { result.arch }

  /// The ids of the charts, in page order.
  static let ids = ["chart-cycles", "chart-utilization", "chart-roofline", "chart-energy", "chart-dram", "chart-timeline"]

  /// The `<section id="charts">` with every chart and its caption.
  func section() -> String {
    var s = "<section id=\"charts\">\n<h2>Charts</h2>\n"
    s += figure(
      "Cycles per layer by cycle class",
      "Each bar is one layer's attributed cycles, split by what the array was doing (the TPU v1 stall taxonomy). Layer numbers match the table below.",
      cyclesChart())
    s += figure(
      "MAC utilization per layer",
      "MACs ÷ (rows × cols × cycles) per layer; the dashed line is the whole run. Color: where the layer ran.",
      utilizationChart())
    s += figure(
      "Roofline",
      "Each layer at (MACs per DRAM byte, MACs per cycle), log–log. The roof is the array's peak (rows × cols MACs/cycle); the slope is DRAM bytes/cycle × intensity. Points left of the ridge are bandwidth-bound.",
      rooflineChart())
    s += "<div class=\"grid2\">\n"
    s += figure(
      "Energy: int8 vs float32",
      "Energy per inference by component (counters × the energy table).",
      energyChart())
    s += figure(
      "DRAM traffic by class",
      "Bytes moved to or from DRAM per inference, by what they carry.",
      dramChart())
    s += "</div>\n"
    s += figure(
      "Timeline",
      "Layers as spans along the cycle axis, one lane per place of execution: each layer's attributed cycles where they happened (the simulator attributes non-overlapping cycles to layers, so a layer overlapping an earlier one may appear in pieces)\(result.simulation.unattributed.cycles > 0 ? "; cycles no layer owns in the unattributed lane" : "").",
      timelineChart())
    return s + "</section>\n"
  }

  func figure(_ title: String, _ caption: String, _ svg: String) -> String {
    "<figure>\n<h3>\(HTMLChart.escape(title))</h3>\n\(svg)<figcaption>\(HTMLChart.escape(caption))</figcaption>\n</figure>\n"
  }

  // MARK: Colors

  /// Color of each cycle class (array active green; stalls warm; vector and host blue/gray).
  static func color(_ c: CycleClass) -> String {
    switch c {
    case .arrayActive: "#2e7d32"
    case .weightShift: "#8e44ad"
    case .weightStall: "#c0392b"
    case .inputStall: "#e67e22"
    case .outputStall: "#f1c40f"
    case .dependencyWait: "#95a5a6"
    case .nonMatrix: "#2980b9"
    case .host: "#34495e"
    case .idle: "#d5d5d5"
    }
  }

  /// Color of each place of execution.
  static func color(placement: String) -> String {
    switch placement {
    case Placement.systolicArray.rawValue: "#2e7d32"
    case Placement.vectorUnit.rawValue: "#2980b9"
    case Placement.host.rawValue: "#34495e"
    default: "#a0a0a0"
    }
  }

  /// Colors of the energy components, in `EnergyComponent.allCases` order.
  static func color(_ e: EnergyComponent) -> String {
    switch e {
    case .mac: "#2e7d32"
    case .accumulate: "#66bb6a"
    case .unifiedBuffer: "#2980b9"
    case .weightBuffer: "#8e44ad"
    case .accumulator: "#5dade2"
    case .dram: "#c0392b"
    case .vector: "#f39c12"
    case .unpack: "#d35400"
    case .leakage: "#95a5a6"
    }
  }

  static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

  static func name(_ e: EnergyComponent) -> String {
    switch e {
    case .mac: "MAC"
    case .accumulate: "accumulate"
    case .unifiedBuffer: "unified buffer"
    case .weightBuffer: "weight buffer"
    case .accumulator: "accumulator"
    case .dram: "DRAM"
    case .vector: "vector unit"
    case .unpack: "weight unpacking"
    case .leakage: "leakage"
    }
  }

  /// Labels for the layer axis: every `step`-th index so that labels do not overlap.
  func layerTicks(_ f: HTMLChart.Frame, barWidth: Double) -> String {
    let n = rows.count
    guard n > 0 else { return "" }
    let step = max(1, Int(ceil(28 / max(barWidth, 0.1))))
    let nice = [1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000].first { $0 >= step } ?? step
    var s = ""
    for i in stride(from: 0, to: n, by: nice) {
      let x = f.left + (Double(i) + 0.5) * barWidth
      s += "<text class=\"tick\" x=\"\(HTMLChart.c(x))\" y=\"\(HTMLChart.c(f.plotBottom + 14))\" text-anchor=\"middle\">\(i)</text>"
    }
    return s + "\n"
  }

  func emptyNote(_ f: HTMLChart.Frame, _ text: String) -> String {
    "<text x=\"\(HTMLChart.c(f.left + f.plotWidth / 2))\" y=\"\(HTMLChart.c(f.top + f.plotHeight / 2))\" text-anchor=\"middle\">\(HTMLChart.escape(text))</text>\n"
  }

  // MARK: (1) Cycles per layer by class

  func cyclesChart() -> String {
    var f = HTMLChart.Frame(width: 1160, height: 380)
    f.top = 40
    var s = HTMLChart.open(id: "chart-cycles", f, title: "Cycles per layer by cycle class")
    let classes = CycleClass.allCases.filter { c in
      c != .idle || rows.contains { $0.counters[CounterKey.cycles(of: c)] > 0 }
    }
    s += HTMLChart.legend(classes.map { ($0.rawValue, Self.color($0)) }, x: f.left, y: 16, maxX: f.plotRight)
    let maxCycles = Double(rows.map(\.counters.cycles).max() ?? 0)
    let ticks = HTMLChart.linearTicks(maxValue: maxCycles)
    let top = ticks.last ?? 1
    let y = { (v: Double) in f.plotBottom - v / top * f.plotHeight }
    for t in ticks { s += HTMLChart.yGrid(f, y: y(t), label: HTMLChart.si(t)) }
    let bw = rows.isEmpty ? 0 : f.plotWidth / Double(rows.count)
    for (i, r) in rows.enumerated() {
      var acc = 0.0
      let x = f.left + Double(i) * bw + bw * 0.1
      for c in classes {
        let v = Double(r.counters[CounterKey.cycles(of: c)])
        guard v > 0 else { continue }
        let pct = r.counters.cycles > 0 ? 100 * v / Double(r.counters.cycles) : 0
        let tip = "#\(i) \(r.name) (\(r.op)): \(c.rawValue) \(HTMLChart.int(Int64(v))) cycles (\(HTMLChart.fixed(pct, 1))%)"
        s += HTMLChart.rect(x: x, y: y(acc + v), width: bw * 0.8, height: y(acc) - y(acc + v), fill: Self.color(c), tip: tip)
        acc += v
      }
      s += "\n"
    }
    if rows.isEmpty { s += emptyNote(f, "no layers") }
    s += layerTicks(f, barWidth: bw)
    s += HTMLChart.axes(f, x: "layer # (program order, as in the table below)", y: "cycles")
    return s + "</svg>\n"
  }

  // MARK: (2) Utilization per layer

  func utilizationChart() -> String {
    var f = HTMLChart.Frame(width: 1160, height: 270)
    f.top = 40
    var s = HTMLChart.open(id: "chart-utilization", f, title: "MAC utilization per layer")
    let places = [Placement.systolicArray, .vectorUnit, .host].map(\.rawValue)
    var legend = places.map { ($0, Self.color(placement: $0)) }
    if rows.contains(where: { !places.contains($0.placement) }) { legend.append(("other", Self.color(placement: ""))) }
    s += HTMLChart.legend(legend, x: f.left, y: 16, maxX: f.plotRight - 200)
    // 0–100% unless every layer is far below: then the axis ends at the next nice step above
    // the largest utilization (the axis title says so).
    let utils = rows.map { $0.counters.utilization(arrayRows: arch.array.rows, arrayColumns: arch.array.cols) }
    let maxU = max(utils.max() ?? 0, result.simulation.utilization)
    let ticks = maxU >= 0.5 || maxU <= 0 ? stride(from: 0.0, through: 1.0, by: 0.2).map { $0 } : HTMLChart.linearTicks(maxValue: maxU)
    let top = ticks.last ?? 1
    let y = { (u: Double) in f.plotBottom - min(max(u, 0), top) / top * f.plotHeight }
    for t in ticks { s += HTMLChart.yGrid(f, y: y(t), label: HTMLChart.percent(t)) }
    let bw = rows.isEmpty ? 0 : f.plotWidth / Double(rows.count)
    for (i, r) in rows.enumerated() {
      let u = r.counters.utilization(arrayRows: arch.array.rows, arrayColumns: arch.array.cols)
      let tip = "#\(i) \(r.name) (\(r.op), \(r.placement)): \(HTMLChart.percent(u)) of peak MACs"
      let h = f.plotBottom - y(u)
      // A sliver for 0% keeps the layer visible and hoverable.
      s += HTMLChart.rect(
        x: f.left + Double(i) * bw + bw * 0.1, y: f.plotBottom - max(h, 1), width: bw * 0.8, height: max(h, 1),
        fill: Self.color(placement: r.placement), tip: tip)
    }
    s += "\n"
    let whole = result.simulation.utilization
    let wy = y(whole)
    s += "<line class=\"ridge\" x1=\"\(HTMLChart.c(f.left))\" y1=\"\(HTMLChart.c(wy))\" x2=\"\(HTMLChart.c(f.plotRight))\" y2=\"\(HTMLChart.c(wy))\"/>"
    s += "<text x=\"\(HTMLChart.c(f.plotRight))\" y=\"\(HTMLChart.c(16))\" text-anchor=\"end\">whole run: \(HTMLChart.percent(whole)) (dashed)</text>\n"
    if rows.isEmpty { s += emptyNote(f, "no layers") }
    s += layerTicks(f, barWidth: bw)
    s += HTMLChart.axes(f, x: "layer # (program order)", y: top < 1 ? "MAC utilization (% of peak, axis to \(HTMLChart.percent(top)))" : "MAC utilization (% of peak)")
    return s + "</svg>\n"
  }

  // MARK: (3) Roofline

  func rooflineChart() -> String {
    var f = HTMLChart.Frame(width: 1160, height: 480)
    f.top = 40
    f.right = 150
    var s = HTMLChart.open(id: "chart-roofline", f, title: "Roofline")
    let peak = Double(arch.peakMACsPerCycle)
    let bw = arch.dramBytesPerCycle
    let ridge = arch.ridgePointMACsPerDRAMByte
    struct Point {
      var index: Int?
      var label: String
      var op: String
      var intensity: Double
      var attained: Double
    }
    var points: [Point] = []
    var noMACs = 0
    var noDRAM = 0
    for (i, r) in rows.enumerated() {
      let c = r.counters
      guard c.macs > 0, c.cycles > 0 else {
        noMACs += 1
        continue
      }
      if c.dramBytes == 0 { noDRAM += 1 }
      let intensity = c.dramBytes > 0 ? Double(c.macs) / Double(c.dramBytes) : .infinity
      points.append(Point(index: i, label: r.name, op: r.op, intensity: intensity, attained: Double(c.macs) / Double(c.cycles)))
    }
    let total = result.simulation.total
    let wholeIntensity = total.dramBytes > 0 ? Double(total.macs) / Double(total.dramBytes) : .infinity
    let wholeAttained = total.cycles > 0 ? Double(total.macs) / Double(total.cycles) : 0
    let finiteX = points.map(\.intensity).filter(\.isFinite) + (wholeIntensity.isFinite ? [wholeIntensity] : []) + [ridge]
    let ys = points.map(\.attained) + (wholeAttained > 0 ? [wholeAttained] : []) + [peak]
    let xDecades = HTMLChart.decades((finiteX.min() ?? 1) / 2, (finiteX.max() ?? 10) * (noDRAM > 0 ? 8 : 2))
    let yDecades = HTMLChart.decades((ys.min() ?? 1) / 2, peak * 1.5)
    let x0 = log10(xDecades.first ?? 1), x1 = log10(xDecades.last ?? 10)
    let y0 = log10(yDecades.first ?? 1), y1 = log10(yDecades.last ?? 10)
    let px = { (v: Double) in f.left + (log10(v) - x0) / (x1 - x0) * f.plotWidth }
    let py = { (v: Double) in f.plotBottom - (log10(v) - y0) / (y1 - y0) * f.plotHeight }
    for d in xDecades { s += HTMLChart.xGrid(f, x: px(d), label: HTMLChart.si(d)) }
    for d in yDecades { s += HTMLChart.yGrid(f, y: py(d), label: HTMLChart.si(d)) }
    // The roof: bandwidth slope up to the ridge, then the compute roof.
    let xLo = pow(10, x0), xHi = pow(10, x1), yLo = pow(10, y0)
    let slopeStart = max(xLo, yLo / bw)
    if ridge.isFinite && ridge > 0 && bw > 0 {
      var path = "M \(HTMLChart.c(px(slopeStart))) \(HTMLChart.c(py(min(bw * slopeStart, peak))))"
      if ridge > slopeStart && ridge < xHi { path += " L \(HTMLChart.c(px(ridge))) \(HTMLChart.c(py(peak)))" }
      path += " L \(HTMLChart.c(px(xHi))) \(HTMLChart.c(py(peak)))"
      s += "<path class=\"roof\" d=\"\(path)\"><title>roof: min(\(HTMLChart.int(Int64(peak))), \(HTMLChart.fixed(bw, 2)) × intensity) MACs/cycle</title></path>\n"
      s += "<line class=\"ridge\" x1=\"\(HTMLChart.c(px(ridge)))\" y1=\"\(HTMLChart.c(py(peak)))\" x2=\"\(HTMLChart.c(px(ridge)))\" y2=\"\(HTMLChart.c(f.plotBottom))\"/>\n"
      s += "<text x=\"\(HTMLChart.c(px(ridge) + 6))\" y=\"\(HTMLChart.c(f.plotBottom - 6))\">ridge \(HTMLChart.fixed(ridge, 1)) MACs/B</text>\n"
      s += "<text x=\"\(HTMLChart.c(f.plotRight - 4))\" y=\"\(HTMLChart.c(py(peak) - 6))\" text-anchor=\"end\">compute roof: \(arch.array.rows) × \(arch.array.cols) = \(HTMLChart.int(Int64(peak))) MACs/cycle</text>\n"
      let sx = slopeStart * pow(ridge / slopeStart, 0.7)
      s += "<text x=\"\(HTMLChart.c(px(sx) - 8))\" y=\"\(HTMLChart.c(py(bw * sx) - 8))\" text-anchor=\"end\">DRAM slope: \(HTMLChart.fixed(bw, 2)) B/cycle × intensity</text>\n"
    }
    // Points, colored by op.
    var ops: [String] = []
    for p in points where !ops.contains(p.op) { ops.append(p.op) }
    func opColor(_ op: String) -> String { Self.palette[(ops.firstIndex(of: op) ?? 0) % Self.palette.count] }
    for p in points {
      let x = p.intensity.isFinite ? px(p.intensity) : f.plotRight - 6
      let tip =
        "#\(p.index.map(String.init) ?? "") \(p.label) (\(p.op)): \(p.intensity.isFinite ? HTMLChart.fixed(p.intensity, 2) : "∞ (no DRAM traffic)") MACs/DRAM byte, \(HTMLChart.fixed(p.attained, 1)) MACs/cycle"
      let fill = p.intensity.isFinite ? opColor(p.op) : "none"
      s += "<circle cx=\"\(HTMLChart.c(x))\" cy=\"\(HTMLChart.c(py(p.attained)))\" r=\"4.5\" fill=\"\(fill)\" stroke=\"\(opColor(p.op))\" stroke-width=\"1.5\" fill-opacity=\"0.8\"><title>\(HTMLChart.escape(tip))</title></circle>\n"
    }
    if wholeAttained > 0 {
      let wx = wholeIntensity.isFinite ? px(wholeIntensity) : f.plotRight - 6
      let wy = py(wholeAttained)
      s += "<path d=\"M \(HTMLChart.c(wx)) \(HTMLChart.c(wy - 8)) L \(HTMLChart.c(wx + 8)) \(HTMLChart.c(wy)) L \(HTMLChart.c(wx)) \(HTMLChart.c(wy + 8)) L \(HTMLChart.c(wx - 8)) \(HTMLChart.c(wy)) Z\" fill=\"#111\">"
      s += "<title>whole run: \(HTMLChart.fixed(wholeIntensity, 2)) MACs/DRAM byte, \(HTMLChart.fixed(wholeAttained, 1)) MACs/cycle</title></path>\n"
    }
    // Legend on the right.
    var ly = f.top + 4
    for op in ops {
      s += "<circle cx=\"\(HTMLChart.c(f.plotRight + 18))\" cy=\"\(HTMLChart.c(ly))\" r=\"4.5\" fill=\"\(opColor(op))\"/>"
      s += "<text x=\"\(HTMLChart.c(f.plotRight + 28))\" y=\"\(HTMLChart.c(ly + 4))\">\(HTMLChart.escape(op))</text>\n"
      ly += 18
    }
    s += "<path d=\"M \(HTMLChart.c(f.plotRight + 18)) \(HTMLChart.c(ly - 6)) l 6 6 l -6 6 l -6 -6 Z\" fill=\"#111\"/>"
    s += "<text x=\"\(HTMLChart.c(f.plotRight + 28))\" y=\"\(HTMLChart.c(ly + 4))\">whole run</text>\n"
    ly += 24
    if noMACs > 0 {
      s += "<text x=\"\(HTMLChart.c(f.plotRight + 12))\" y=\"\(HTMLChart.c(ly))\">\(noMACs) layers without</text>"
      s += "<text x=\"\(HTMLChart.c(f.plotRight + 12))\" y=\"\(HTMLChart.c(ly + 14))\">MACs not shown</text>\n"
      ly += 34
    }
    if noDRAM > 0 {
      s += "<text x=\"\(HTMLChart.c(f.plotRight + 12))\" y=\"\(HTMLChart.c(ly))\">hollow at right edge:</text>"
      s += "<text x=\"\(HTMLChart.c(f.plotRight + 12))\" y=\"\(HTMLChart.c(ly + 14))\">no DRAM bytes (\(noDRAM))</text>\n"
    }
    s += HTMLChart.axes(f, x: "operational intensity (MACs per DRAM byte, log scale)", y: "attained MACs per cycle (log scale)")
    return s + "</svg>\n"
  }

  // MARK: (4) Energy

  func energyChart() -> String {
    var f = HTMLChart.Frame(width: 580, height: 250)
    f.left = 70
    f.top = 20
    f.bottom = 100
    var s = HTMLChart.open(id: "chart-energy", f, title: "Energy by component: int8 vs float32")
    var bars: [(String, EnergyBreakdown)] = [("int8", result.simulation.energy)]
    if let b = result.baseline { bars.append(("float32", b.simulation.energy)) }
    let maxUJ = bars.map { $0.1.total.value / 1e6 }.max() ?? 0
    let ticks = HTMLChart.linearTicks(maxValue: maxUJ, count: 5)
    let top = ticks.last ?? 1
    let x = { (v: Double) in f.left + v / top * f.plotWidth }
    for t in ticks { s += HTMLChart.xGrid(f, x: x(t), label: HTMLChart.si(t)) }
    let band = f.plotHeight / Double(bars.count)
    for (k, (label, e)) in bars.enumerated() {
      let y = f.top + Double(k) * band + band * 0.2
      var acc = 0.0
      for comp in EnergyComponent.allCases {
        let v = e[comp].value / 1e6
        guard v > 0 else { continue }
        let pct = e.total.value > 0 ? 100 * e[comp].value / e.total.value : 0
        s += HTMLChart.rect(
          x: x(acc), y: y, width: x(acc + v) - x(acc), height: band * 0.6, fill: Self.color(comp),
          tip: "\(label) \(Self.name(comp)): \(HTMLChart.fixed(v, 3)) µJ (\(HTMLChart.fixed(pct, 1))%)")
        acc += v
      }
      s += "<text x=\"\(HTMLChart.c(f.left - 6))\" y=\"\(HTMLChart.c(y + band * 0.3 + 4))\" text-anchor=\"end\">\(label)</text>"
      s += "<text x=\"\(HTMLChart.c(x(acc) + 4))\" y=\"\(HTMLChart.c(y + band * 0.3 + 4))\">\(HTMLChart.fixed(acc, 2)) µJ</text>\n"
    }
    let used = EnergyComponent.allCases.filter { c in bars.contains { $0.1[c].value > 0 } }
    s += HTMLChart.legend(used.map { (Self.name($0), Self.color($0)) }, x: f.left, y: f.height - 40, maxX: f.width - 10)
    s += HTMLChart.axes(f, x: "energy per inference (µJ)", y: "datapath", xTitleY: f.plotBottom + 34)
    return s + "</svg>\n"
  }

  // MARK: (5) DRAM traffic by class

  /// The DRAM traffic classes and how to read them from counters.
  static let dramClasses: [(String, @Sendable (Counters) -> Int64)] = [
    ("weights", { $0[.dramWeightBytes] }),
    ("input activations", { $0[.dramInputActivationBytes] }),
    ("output activations", { $0[.dramOutputActivationBytes] }),
    ("partial sums", { $0[.dramPartialSumBytes] }),
    ("host", { $0[.dramHostReadBytes] + $0[.dramHostWriteBytes] }),
  ]

  func dramChart() -> String {
    var f = HTMLChart.Frame(width: 580, height: 250)
    f.left = 130
    f.right = 70
    f.top = 30
    f.bottom = 50
    var s = HTMLChart.open(id: "chart-dram", f, title: "DRAM traffic by class")
    var series: [(String, Counters, String)] = [("int8", result.simulation.total, "#2e7d32")]
    if let b = result.baseline { series.append(("float32", b.simulation.total, "#c0392b")) }
    s += HTMLChart.legend(series.map { ($0.0, $0.2) }, x: f.left, y: 16, maxX: f.plotRight)
    let maxBytes = Double(series.flatMap { sr in Self.dramClasses.map { $0.1(sr.1) } }.max() ?? 0)
    let ticks = HTMLChart.linearTicks(maxValue: maxBytes, count: 4)
    let top = ticks.last ?? 1
    let x = { (v: Double) in f.left + v / top * f.plotWidth }
    for t in ticks { s += HTMLChart.xGrid(f, x: x(t), label: HTMLChart.si(t)) }
    let band = f.plotHeight / Double(Self.dramClasses.count)
    let barH = band * 0.7 / Double(series.count)
    for (k, (name, read)) in Self.dramClasses.enumerated() {
      let y0 = f.top + Double(k) * band + band * 0.15
      s += "<text x=\"\(HTMLChart.c(f.left - 6))\" y=\"\(HTMLChart.c(y0 + band * 0.35 + 4))\" text-anchor=\"end\">\(name)</text>"
      for (j, sr) in series.enumerated() {
        let v = Double(read(sr.1))
        let y = y0 + Double(j) * barH
        s += HTMLChart.rect(x: f.left, y: y, width: x(v) - f.left, height: barH * 0.9, fill: sr.2, tip: "\(sr.0) \(name): \(HTMLChart.int(Int64(v))) bytes")
        s += "<text x=\"\(HTMLChart.c(x(v) + 4))\" y=\"\(HTMLChart.c(y + barH * 0.45 + 4))\">\(HTMLChart.si(v))</text>"
      }
      s += "\n"
    }
    s += HTMLChart.axes(f, x: "DRAM bytes per inference (k = 10³, M = 10⁶)", y: "class")
    return s + "</svg>\n"
  }

  // MARK: (6) Timeline

  func timelineChart() -> String {
    let lanes = [Placement.systolicArray, .vectorUnit, .host].map(\.rawValue)
    let sim = result.simulation
    let hasOther = rows.contains { !lanes.contains($0.placement) && $0.counters.cycles > 0 }
    let hasUnattributed = sim.unattributed.cycles > 0
    var laneNames = lanes
    if hasOther { laneNames.append("other") }
    if hasUnattributed { laneNames.append("unattributed") }
    let laneH = 26.0
    var f = HTMLChart.Frame(width: 1160, height: 20 + laneH * Double(laneNames.count) + 60)
    f.left = 100
    f.right = 50  // room for the last tick label
    var s = HTMLChart.open(id: "chart-timeline", f, title: "Timeline of the run")
    let spanTotal = rows.reduce(Int64(0)) { $0 + $1.counters.cycles } + sim.unattributed.cycles
    let end = Double(max(spanTotal, sim.cycles.count, 1))
    let ticks = HTMLChart.linearTicks(maxValue: end, count: 8)
    let top = ticks.last ?? 1
    let x = { (v: Double) in f.left + v / top * f.plotWidth }
    let mhz = arch.clock.value
    for t in ticks { s += HTMLChart.xGrid(f, x: x(t), label: HTMLChart.si(t) + (mhz > 0 ? " (\(HTMLChart.fixed(t / mhz, 0)) µs)" : "")) }
    for (k, lane) in laneNames.enumerated() {
      s += "<text x=\"\(HTMLChart.c(f.left - 6))\" y=\"\(HTMLChart.c(f.top + Double(k) * laneH + laneH / 2 + 4))\" text-anchor=\"end\">\(lane)</text>\n"
    }
    // Each layer's attributed cycles at their real place in the run (`LayerReport.pieces`);
    // runs without pieces (SCALE-Sim timing) are laid out end to end.
    let placed = sim.layers.contains { !$0.pieces.isEmpty }
    var cursor: Int64 = 0
    var covered: [Range<Int64>] = []
    for (i, r) in rows.enumerated() {
      var pieces: [Range<Int64>] = []
      if placed {
        pieces = i < sim.layers.count ? sim.layers[i].pieces.map { $0.lowerBound.count..<$0.upperBound.count } : []
      } else if r.counters.cycles > 0 {
        pieces = [cursor..<cursor + r.counters.cycles]
        cursor += r.counters.cycles
      }
      covered += pieces
      let lane = laneNames.firstIndex(of: r.placement) ?? laneNames.firstIndex(of: "other") ?? 0
      let y = f.top + Double(lane) * laneH + 3
      for p in pieces where !p.isEmpty {
        let (a, b) = (Double(p.lowerBound), Double(p.upperBound))
        let of = pieces.count > 1 ? " of \(HTMLChart.int(r.counters.cycles))" : ""
        let tip = "#\(i) \(r.name) (\(r.op), \(r.placement)): cycles \(HTMLChart.int(p.lowerBound))–\(HTMLChart.int(p.upperBound)) (\(HTMLChart.int(Int64(p.count)))\(of))"
        let w = x(b) - x(a)
        s += HTMLChart.rect(x: x(a), y: y, width: max(w, 0.6), height: laneH - 6, fill: Self.color(placement: r.placement), tip: tip)
        if w > 18 {
          s += "<text class=\"label\" x=\"\(HTMLChart.c(x(a) + w / 2))\" y=\"\(HTMLChart.c(y + laneH / 2 + 1))\" text-anchor=\"middle\">\(i)</text>"
        }
        s += "\n"
      }
    }
    if hasUnattributed, let lane = laneNames.firstIndex(of: "unattributed") {
      // The cycles no layer owns: the gaps between the layers' pieces (or the tail, end to end).
      var gaps: [Range<Int64>] = []
      if placed {
        var at: Int64 = 0
        for p in covered.sorted(by: { $0.lowerBound < $1.lowerBound }) {
          if p.lowerBound > at { gaps.append(at..<p.lowerBound) }
          at = max(at, p.upperBound)
        }
        if sim.cycles.count > at { gaps.append(at..<sim.cycles.count) }
      } else {
        gaps = [cursor..<cursor + sim.unattributed.cycles]
      }
      for g in gaps {
        s += HTMLChart.rect(
          x: x(Double(g.lowerBound)), y: f.top + Double(lane) * laneH + 3,
          width: max(x(Double(g.upperBound)) - x(Double(g.lowerBound)), 0.6), height: laneH - 6,
          fill: Self.color(placement: ""),
          tip: "unattributed: cycles \(HTMLChart.int(g.lowerBound))–\(HTMLChart.int(g.upperBound)) (\(HTMLChart.int(Int64(g.count))) of \(HTMLChart.int(sim.unattributed.cycles)))")
        s += "\n"
      }
    }
    s += HTMLChart.axes(f, x: "cycles from the start of the run (µs at \(arch.clock))", y: "")
    return s + "</svg>\n"
  }
}
