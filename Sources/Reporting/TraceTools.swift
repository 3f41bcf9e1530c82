import Foundation
import Support

/// How `SystoleTrace.layersTable(sortedBy:)` orders its rows.
public enum TraceLayerSort: String, CaseIterable, Sendable {
  /// Table order (layer index).
  case index
  /// Most cycles first.
  case cycles
  /// By name, A to Z.
  case name
  /// Most energy first.
  case energy
  /// Most DRAM bytes first.
  case dram

  /// Parses `--sort`'s value.
  public static func parse(_ text: String) throws(TraceError) -> TraceLayerSort {
    guard let sort = TraceLayerSort(rawValue: text) else {
      throw TraceError(
        .badOption, "--sort '\(text)'", "expected one of \(allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return sort
  }
}

/// The figures `trace summary` prints, read from the trace's `otherData` (equal to the run's
/// `SimulationResult` figures: the trace stores its report).
public struct TraceSummary: Sendable {
  /// Total cycles.
  public var cycles: Int64
  /// `macs / (R × C × cycles)`.
  public var utilization: Double
  /// Useful MACs.
  public var macs: Int64
  /// All DRAM bytes.
  public var dramBytes: Int64
  /// Total energy in pJ.
  public var energyPicojoules: Double
  /// Busy cycles per unit, in unit order.
  public var unitBusyCycles: [(unit: String, cycles: Int64)]
  /// The array's idle cycles by class (`CycleClass` raw values), most first, zeros left out.
  public var stalls: [(cycleClass: String, cycles: Int64)]
  /// Instruction waits by stall reason (`StallReason` raw values): total wait cycles and
  /// instructions, most cycles first; from the instruction slices in the trace (empty at layer
  /// level, partial with a window or layer filter).
  public var waits: [(reason: String, cycles: Int64, instructions: Int)]
  /// The peak of each occupancy counter, with its memory's capacity.
  public var peakOccupancy: [TracePeakOccupancy]
}

extension SystoleTrace {
  /// The most columns `show` draws: 10,000.
  public static let maximumChartColumns = 10_000

  /// The figures of `summary()`.
  public var summaryFigures: TraceSummary {
    let classes = ["weight_shift", "weight_stall", "input_stall", "output_stall", "dependency_wait", "non_matrix", "host", "idle"]
    var stalls: [(cycleClass: String, cycles: Int64)] = []
    for c in classes {
      let n = total.counter(c + "_cycles")
      if n > 0 { stalls.append((c, n)) }
    }
    stalls.sort { a, b in a.cycles != b.cycles ? a.cycles > b.cycles : a.cycleClass < b.cycleClass }
    var waitsByReason: [String: (cycles: Int64, instructions: Int)] = [:]
    for slice in slices where slice.category == "instruction" {
      guard let reason = slice.stall else { continue }
      waitsByReason[reason, default: (0, 0)].cycles.addSaturating(slice.waitCycles)
      waitsByReason[reason, default: (0, 0)].instructions += 1
    }
    let waits = waitsByReason.map { (reason: $0.key, cycles: $0.value.cycles, instructions: $0.value.instructions) }
      .sorted { a, b in a.cycles != b.cycles ? a.cycles > b.cycles : a.reason < b.reason }
    return TraceSummary(
      cycles: cycles, utilization: utilization, macs: total.counter("macs"), dramBytes: total.dramBytes,
      energyPicojoules: total.energyTotal, unitBusyCycles: unitBusyCycles, stalls: stalls, waits: waits,
      peakOccupancy: peakOccupancy)
  }

  /// The `trace summary` text: totals, busy share per unit, top stall reasons (the array's idle
  /// cycles by class, then instruction waits by `StallReason`), energy, and the peak live bytes
  /// of each on-chip memory.
  public func summary() -> String {
    let s = summaryFigures
    var out = "\(fileName): \(arch), \(Self.format(clockMHz, 1)) MHz, \(level) level\n"
    out += "cycles       \(groupedDigits(Int(s.cycles))) (\(Self.format(Double(s.cycles) / clockMHz, 3)) µs)\n"
    out += "utilization  \(Self.percent(s.utilization))\n"
    out += "MACs         \(groupedDigits(Int(s.macs)))\n"
    out += "DRAM bytes   \(groupedDigits(Int(s.dramBytes)))\n"
    out += "energy       \(Self.format(s.energyPicojoules, 1)) pJ\n"
    var units = TextTable(headers: ["unit", "busy cycles", "busy"], alignments: [.left, .right, .right])
    for (unit, busy) in s.unitBusyCycles {
      units.append([unit, groupedDigits(Int(busy)), Self.percent(s.cycles > 0 ? Double(busy) / Double(s.cycles) : 0)])
    }
    out += "\n" + units.render()
    if !s.stalls.isEmpty {
      var stalls = TextTable(headers: ["array idle because", "cycles", "of run"], alignments: [.left, .right, .right])
      for (c, n) in s.stalls.prefix(5) {
        stalls.append([c, groupedDigits(Int(n)), Self.percent(s.cycles > 0 ? Double(n) / Double(s.cycles) : 0)])
      }
      out += "\n" + stalls.render()
    }
    if !s.waits.isEmpty {
      var waits = TextTable(
        headers: ["instructions waited for", "wait cycles", "instructions"], alignments: [.left, .right, .right])
      for w in s.waits { waits.append([w.reason, groupedDigits(Int(w.cycles)), groupedDigits(w.instructions)]) }
      out += "\n" + waits.render()
    }
    if !s.peakOccupancy.isEmpty {
      var memories = TextTable(headers: ["memory", "peak live bytes", "capacity", "peak"], alignments: [.left, .right, .right, .right])
      for p in s.peakOccupancy {
        let name = p.counter.rawValue.replacingOccurrences(of: " occupancy", with: "")
        memories.append([
          name, groupedDigits(Int(p.bytes)), groupedDigits(Int(p.capacity)),
          Self.percent(p.capacity > 0 ? Double(p.bytes) / Double(p.capacity) : 0),
        ])
      }
      out += "\n" + memories.render()
    }
    return out
  }

  /// The layers in `sort` order (the remainder not included).
  func sortedLayers(_ sort: TraceLayerSort) -> [TraceLayer] {
    var rows = layers
    switch sort {
    case .index: break
    case .cycles: rows.sort { $0.cycles > $1.cycles || ($0.cycles == $1.cycles && ($0.index ?? 0) < ($1.index ?? 0)) }
    case .name: rows.sort { $0.name < $1.name || ($0.name == $1.name && ($0.index ?? 0) < ($1.index ?? 0)) }
    case .energy:
      rows.sort {
        $0.energyTotal > $1.energyTotal || ($0.energyTotal == $1.energyTotal && ($0.index ?? 0) < ($1.index ?? 0))
      }
    case .dram:
      rows.sort { $0.dramBytes > $1.dramBytes || ($0.dramBytes == $1.dramBytes && ($0.index ?? 0) < ($1.index ?? 0)) }
    }
    return rows
  }

  /// The `trace layers` table, one row per layer plus the remainder, sorted by `sort`. With a
  /// `width`, long layer names are shortened in the middle (`conv1/…/Relu6`) so the table fits
  /// that many columns (`layersJSON` keeps them whole).
  public func layersTable(sortedBy sort: TraceLayerSort = .index, width: Int? = nil) -> String {
    let rows = sortedLayers(sort)
    var table = TextTable(
      headers: ["#", "layer", "op", "cycles", "of run", "util", "stall cycles", "DRAM bytes", "energy pJ"],
      alignments: [.right, .left, .left, .right, .right, .right, .right, .right, .right])
    func row(_ l: TraceLayer, _ label: String) -> [String] {
      [
        label, l.name, l.op, groupedDigits(Int(l.cycles)),
        Self.percent(cycles > 0 ? Double(l.cycles) / Double(cycles) : 0), Self.percent(l.utilization),
        groupedDigits(Int(l.stallCycles)), groupedDigits(Int(l.dramBytes)), Self.format(l.energyTotal, 1),
      ]
    }
    for l in rows { table.append(row(l, l.index.map(String.init) ?? "")) }
    var rest = unattributed
    rest.name = "(unattributed)"
    table.append(row(rest, "-"))
    Self.fit(&table, column: 1, width: width)
    return table.render()
  }

  /// One layer's figures as `trace layers --json` writes them (full names; keys with units).
  static func json(_ l: TraceLayer, runCycles: Int64) -> JSONValue {
    .object([
      ("index", l.index.map { .int(Int64($0)) } ?? .null),
      ("name", .string(l.name)),
      ("op", .string(l.op)),
      ("cycles", .int(l.cycles)),
      ("share_of_run", .double(runCycles > 0 ? Double(l.cycles) / Double(runCycles) : 0)),
      ("utilization", .double(l.utilization)),
      ("stall_cycles", .int(l.stallCycles)),
      ("dram_bytes", .int(l.dramBytes)),
      ("energy_pj", .double(l.energyTotal)),
    ])
  }

  /// The `trace layers --json` document: the file, then one object per layer in `sort` order
  /// (`index`, `name`, `op`, `cycles`, `share_of_run`, `utilization`, `stall_cycles`,
  /// `dram_bytes`, `energy_pj`) and the remainder as `unattributed`.
  public func layersJSON(sortedBy sort: TraceLayerSort = .index) -> JSONValue {
    var rest = unattributed
    rest.name = "(unattributed)"
    return .object([
      ("trace", .string(fileName)),
      ("arch", .string(arch)),
      ("cycles", .int(cycles)),
      ("sort", .string(sort.rawValue)),
      ("layers", .array(sortedLayers(sort).map { Self.json($0, runCycles: cycles) })),
      ("unattributed", Self.json(rest, runCycles: cycles)),
    ])
  }

  /// `text` shortened to `width` characters with `…` in the middle, keeping its start and end.
  public static func middleTruncated(_ text: String, to width: Int) -> String {
    guard text.count > width, width >= 1 else { return text }
    guard width > 2 else { return String(text.prefix(width)) }
    let head = width / 2
    let tail = width - 1 - head
    return String(text.prefix(head)) + "…" + String(text.suffix(tail))
  }

  /// Shortens the cells of `column` (names; never below 16 characters or its header) so the
  /// rendered table is at most `width` columns wide, when it can be.
  static func fit(_ table: inout TextTable, column: Int, width: Int?) {
    guard let width else { return }
    var widths = table.headers.map(\.count)
    for row in table.rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    let total = widths.reduce(0, +) + 2 * (widths.count - 1)
    guard total > width else { return }
    let allowed = max(16, table.headers[column].count, widths[column] - (total - width))
    guard allowed < widths[column] else { return }
    for r in table.rows.indices { table.rows[r][column] = middleTruncated(table.rows[r][column], to: allowed) }
  }

  /// The `trace show` chart: one row per track, each column a run of cycles, Unicode blocks
  /// (` ▁▂▃▄▅▆▇█`) for the share of the column's cycles the unit is busy; the layers row shows
  /// the last digit of the layer owning most of the column. `window` (cycles) or `layer`
  /// chooses the cycles (default: the whole run); the chart fits `width` columns.
  ///
  /// - Throws: `TraceError.notInTrace` for a layer without slices or a window outside the run.
  ///
  /// At most `maximumChartColumns` columns are drawn, whatever `width` says.
  public func show(window: Range<Int64>? = nil, layer: Int? = nil, width: Int = 100) throws(TraceError) -> String {
    var range = window ?? 0..<cycles
    if let layer {
      let pieces = slices.filter { $0.track == .layers && $0.layer == layer }
      guard let lo = pieces.map(\.start).min(), let hi = pieces.map(\.end).max(), hi > lo else {
        throw TraceError(.notInTrace, fileName, "layer \(layer) has no slice in the trace (it has \(layers.count) layers)")
      }
      range = lo..<hi
    }
    let lo = max(0, range.lowerBound)
    let hi = min(range.upperBound, cycles)
    guard hi > lo else {
      throw TraceError(.notInTrace, fileName, "the window holds no cycle of the run (0..<\(cycles))")
    }
    range = lo..<hi
    let label = 15
    let columns = Int(min(Int64(min(max(10, width - label - 1), Self.maximumChartColumns)), range.upperBound - range.lowerBound))
    let length = range.upperBound - range.lowerBound
    // `length` ≤ 2⁵⁰ (`SystoleTrace.maximumCount`) and `i` ≤ 10⁴, so the products fit `Int64`.
    func bounds(_ i: Int) -> (Int64, Int64) {
      (range.lowerBound + length * Int64(i) / Int64(columns), range.lowerBound + length * Int64(i + 1) / Int64(columns))
    }
    let blocks: [Character] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    func pad(_ s: String) -> String { s.count >= label ? String(s.prefix(label)) : s + String(repeating: " ", count: label - s.count) }
    var out = "\(fileName): cycles \(range.lowerBound)..<\(range.upperBound), \(Self.format(Double(length) / Double(columns), 1)) cycles per column\n"
    for track in TraceTrack.allCases where track != .control {
      var byTrack = slices.filter { $0.track == track && $0.end > range.lowerBound && $0.start < range.upperBound }
      byTrack.sort { $0.start < $1.start }
      if track != .layers && track != .arrayState && level != .instruction && byTrack.isEmpty { continue }
      var line = pad(track.description) + "│"
      var cursor = 0
      for i in 0..<columns {
        let (a, b) = bounds(i)
        while cursor < byTrack.count && byTrack[cursor].end <= a { cursor += 1 }
        var busy: Int64 = 0
        var owner: [Int: Int64] = [:]
        var j = cursor
        while j < byTrack.count && byTrack[j].start < b {
          let s = byTrack[j]
          let overlap = min(b, s.end) - max(a, s.start)
          if overlap > 0 {
            if track == .arrayState {
              if s.name == "array_active" { busy += overlap }
            } else {
              busy += overlap
            }
            if let l = s.layer { owner[l, default: 0] += overlap }
          }
          j += 1
        }
        if track == .layers {
          if let best = owner.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }) {
            line += String(best.key % 10)
          } else {
            line += "·"
          }
        } else {
          let fraction = Double(min(busy, b - a)) / Double(b - a)
          var level = Int((fraction * 8).rounded())
          if busy > 0 && level == 0 { level = 1 }
          line.append(blocks[level])
        }
      }
      out += line + "\n"
    }
    let first = String(range.lowerBound)
    let last = String(range.upperBound)
    let gap = max(1, columns - first.count - last.count)
    out += pad("") + " " + first + String(repeating: " ", count: gap) + last + "\n"
    let shown = Set(slices.filter { $0.track == .layers && $0.end > range.lowerBound && $0.start < range.upperBound }.compactMap(\.layer))
    if !shown.isEmpty {
      out += "layers: " + shown.sorted().map { "\($0 % 10)=\(layers.indices.contains($0) ? layers[$0].name : "#\($0)")" }.joined(separator: " ") + "\n"
    }
    return out
  }

  /// The `trace diff` table: per layer (matched by index) and in total, the cycles, stall
  /// cycles, DRAM bytes and energy of `self` (A) and `other` (B) and their differences B − A.
  /// With a `width`, long layer names are shortened in the middle to fit (`diffJSON` keeps them
  /// whole).
  public func diff(_ other: SystoleTrace, width: Int? = nil) -> String {
    var out = "A = \(fileName) (\(arch)), B = \(other.fileName) (\(other.arch))\n"
    var table = TextTable(
      headers: ["#", "layer", "cycles A", "cycles B", "Δ cycles", "Δ%", "Δ stall cycles", "Δ DRAM bytes", "Δ energy pJ"],
      alignments: [.right, .left, .right, .right, .right, .right, .right, .right, .right])
    func signed(_ n: Int64) -> String { n > 0 ? "+" + groupedDigits(Int(n)) : groupedDigits(Int(n)) }
    func row(_ label: String, _ name: String, _ a: TraceLayer?, _ b: TraceLayer?) -> [String] {
      guard let a, let b else {
        return [label, name, a.map { groupedDigits(Int($0.cycles)) } ?? "-", b.map { groupedDigits(Int($0.cycles)) } ?? "-", "", "", "", "", ""]
      }
      let d = b.cycles - a.cycles
      let e = b.energyTotal - a.energyTotal
      return [
        label, name, groupedDigits(Int(a.cycles)), groupedDigits(Int(b.cycles)), signed(d),
        a.cycles > 0 ? (d > 0 ? "+" : "") + Self.format(100 * Double(d) / Double(a.cycles), 1) + "%" : "",
        signed(b.stallCycles - a.stallCycles), signed(b.dramBytes - a.dramBytes),
        (e > 0 ? "+" : "") + Self.format(e, 1),
      ]
    }
    for i in 0..<max(layers.count, other.layers.count) {
      let a = layers.indices.contains(i) ? layers[i] : nil
      let b = other.layers.indices.contains(i) ? other.layers[i] : nil
      var name = b?.name ?? a?.name ?? ""
      if let a, let b, a.name != b.name { name = "\(a.name) / \(b.name)" }
      table.append(row(String(i), name, a, b))
    }
    table.append(row("-", "(unattributed)", unattributed, other.unattributed))
    var ta = total
    var tb = other.total
    ta.name = "total"
    tb.name = "total"
    table.append(row("", "total", ta, tb))
    Self.fit(&table, column: 1, width: width)
    out += table.render()
    return out
  }

  /// The `trace diff --json` document: per layer (by index; `name_a`/`name_b` in full, a side
  /// null where that run has no such layer), the remainder and the total, each with `a` and `b`
  /// figures as in `layersJSON` and `delta` (B − A: `cycles`, `stall_cycles`, `dram_bytes`,
  /// `energy_pj`).
  public func diffJSON(_ other: SystoleTrace) -> JSONValue {
    func entry(_ index: Int?, _ a: TraceLayer?, _ b: TraceLayer?) -> JSONValue {
      var pairs: [(key: String, value: JSONValue)] = [
        ("index", index.map { .int(Int64($0)) } ?? .null),
        ("name_a", a.map { .string($0.name) } ?? .null),
        ("name_b", b.map { .string($0.name) } ?? .null),
        ("a", a.map { Self.json($0, runCycles: cycles) } ?? .null),
        ("b", b.map { Self.json($0, runCycles: other.cycles) } ?? .null),
      ]
      if let a, let b {
        pairs.append(
          (
            "delta",
            .object([
              ("cycles", .int(b.cycles - a.cycles)),
              ("stall_cycles", .int(b.stallCycles - a.stallCycles)),
              ("dram_bytes", .int(b.dramBytes - a.dramBytes)),
              ("energy_pj", .double(b.energyTotal - a.energyTotal)),
            ])
          ))
      }
      return .object(pairs)
    }
    let count = max(layers.count, other.layers.count)
    let perLayer = (0..<count).map { i in
      entry(i, layers.indices.contains(i) ? layers[i] : nil, other.layers.indices.contains(i) ? other.layers[i] : nil)
    }
    var (ra, rb, ta, tb) = (unattributed, other.unattributed, total, other.total)
    ra.name = "(unattributed)"
    rb.name = "(unattributed)"
    ta.name = "total"
    tb.name = "total"
    return .object([
      ("a", .object([("trace", .string(fileName)), ("arch", .string(arch))])),
      ("b", .object([("trace", .string(other.fileName)), ("arch", .string(other.arch))])),
      ("layers", .array(perLayer)),
      ("unattributed", entry(nil, ra, rb)),
      ("total", entry(nil, ta, tb)),
    ])
  }

  static func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
  static func percent(_ fraction: Double) -> String { String(format: "%.2f%%", fraction * 100) }
}
