import Foundation
import Support

/// The sweep CSV format: writing, reading back, and merging shard parts.
///
/// One header line, then one row per (model, point) in index order, `\n` line ends, RFC 4180
/// quoting. Columns, in order (units in the names, for pandas):
///
/// | column | meaning |
/// |---|---|
/// | `point` | row index in the study |
/// | `id` | content hash of base architecture, model and settings |
/// | `model` | model name |
/// | *varied keys* | one column per `--vary` key (or points-file key); empty = base value |
/// | `cycles` | accelerator cycles per inference |
/// | `latency_us`, `inferences_per_s`, `utilization` | time per inference, throughput, fraction of peak MACs |
/// | `dram_bytes`, `sram_bytes` | bytes moved to/from DRAM and in on-chip SRAMs |
/// | `energy_uj`, `energy_<component>_uj` | energy per inference, total and by component |
/// | `baseline_latency_us`, `baseline_energy_uj` | the float32 baseline (empty with `--baseline none`) |
/// | `speedup_vs_fp32`, `energy_saving_vs_fp32` | baseline ÷ this point |
/// | `edp_uj_us` | energy × latency |
/// | `pe_count`, `sram_capacity_bytes`, `area_mm2` | area proxies (`AreaModel`) |
/// | `status` | `ok` or `invalid: <reason>` (metric cells empty) |
/// | `pareto_latency_energy`, `pareto_latency_area` | `true` on the model's Pareto front |
///
/// Numbers are written exactly (shortest round-trip decimal; integers without a fraction), so
/// parsing and rewriting a file reproduces it byte for byte.
public enum SweepCSV {
  /// The columns before the varied keys.
  public static let leadingColumns = ["point", "id", "model"]
  /// The metric columns before the energy components.
  public static let metricColumns = [
    "cycles", "latency_us", "inferences_per_s", "utilization", "dram_bytes", "sram_bytes", "energy_uj",
  ]
  /// The columns after the energy components.
  public static let trailingColumns = [
    "baseline_latency_us", "baseline_energy_uj", "speedup_vs_fp32", "energy_saving_vs_fp32", "edp_uj_us",
    "pe_count", "sram_capacity_bytes", "area_mm2", "status", "pareto_latency_energy", "pareto_latency_area",
  ]

  /// The column of energy component `name`: `energy_<name>_uj`.
  public static func energyColumn(_ name: String) -> String { "energy_\(name)_uj" }

  /// The header of a study with these varied keys and energy components.
  public static func header(columns: [String], energyComponents: [String]) -> [String] {
    leadingColumns + columns + metricColumns + energyComponents.map(energyColumn) + trailingColumns
  }

  // MARK: Writing

  /// The CSV text of `study`.
  public static func render(_ study: SweepStudy) -> String {
    var out = CSVText.line(header(columns: study.columns, energyComponents: study.energyComponents))
    for row in study.rows {
      var cells = [String(row.index), row.id, row.model] + row.settings
      if let m = row.metrics {
        cells += [
          String(m.cycles.count), number(m.latencyMicroseconds), number(m.inferencesPerSecond),
          number(m.utilization), String(m.dramBytes.count), String(m.sramBytes.count), number(m.energyMicrojoules),
        ]
        cells += study.energyComponents.map { m.energyByComponent[$0].map(number) ?? "" }
        // A study run without the float32 baseline (`--baseline none`) leaves its cells empty.
        func optional(_ x: Double) -> String { x.isNaN ? "" : number(x) }
        cells += [
          optional(m.baselineLatencyMicroseconds), optional(m.baselineEnergyMicrojoules),
          optional(m.speedupOverBaseline), optional(m.energySavingOverBaseline), number(m.energyDelayProduct),
        ]
      } else {
        cells += Array(repeating: "", count: metricColumns.count + study.energyComponents.count + 5)
      }
      if let a = row.area {
        cells += [String(a.peCount), String(a.sramCapacityBytes), number(a.squareMillimeters)]
      } else {
        cells += ["", "", ""]
      }
      cells += [row.status, String(row.paretoLatencyEnergy), String(row.paretoLatencyArea)]
      out += CSVText.line(cells)
    }
    return out
  }

  /// A number exactly: `12`, `0.25`, `1.5e-07`, `inf`, `nan`.
  static func number(_ x: Double) -> String {
    if x.isFinite && x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
    return "\(x)"
  }

  // MARK: Reading

  /// Parses sweep CSV text; errors name `file:line` and the column.
  public static func parse(_ text: String, file: String) throws(SweepError) -> SweepStudy {
    let records = try CSVText.records(text, file: file, kind: .badCSV)
    guard let headerRecord = records.first else {
      throw SweepError(.badCSV, "\(file):1", "empty file; expected a sweep CSV header starting with point,id,model")
    }
    let header = headerRecord.cells
    let at1 = "\(file):\(headerRecord.line)"
    guard header.starts(with: leadingColumns), let cyclesAt = header.firstIndex(of: "cycles") else {
      throw SweepError(.badCSV, at1, "not a sweep CSV: expected a header starting with point,id,model and a cycles column")
    }
    let columns = Array(header[leadingColumns.count..<cyclesAt])
    let afterEnergy = cyclesAt + metricColumns.count
    guard header.count >= afterEnergy + trailingColumns.count,
      Array(header[cyclesAt..<afterEnergy]) == metricColumns,
      let baselineAt = header[afterEnergy...].firstIndex(of: trailingColumns[0])
    else {
      throw SweepError(.badCSV, at1, "expected columns \(metricColumns.joined(separator: ",")) after the varied keys")
    }
    var components: [String] = []
    for name in header[afterEnergy..<baselineAt] {
      guard name.hasPrefix("energy_"), name.hasSuffix("_uj"), name.count > "energy__uj".count else {
        throw SweepError(.badCSV, at1, "column '\(name)': expected an energy component column energy_<name>_uj")
      }
      components.append(String(name.dropFirst("energy_".count).dropLast("_uj".count)))
    }
    guard Array(header[baselineAt...]) == trailingColumns else {
      throw SweepError(.badCSV, at1, "expected the header to end with \(trailingColumns.joined(separator: ","))")
    }
    var rows: [SweepRow] = []
    var seenLines: [Int: Int] = [:]
    for record in records.dropFirst() {
      let at = "\(file):\(record.line)"
      guard record.cells.count == header.count else {
        throw SweepError(.badCSV, at, "expected \(header.count) cells, got \(record.cells.count)")
      }
      var reader = CellReader(cells: record.cells, header: header, location: at)
      let index = try reader.int("point")
      let id = try reader.text("id")
      let model = try reader.text("model")
      let settings = Array(record.cells[leadingColumns.count..<cyclesAt])
      let status = record.cells[header.count - 3]
      var metrics: PointMetrics?
      var reason: String?
      if status == "ok" {
        reader.position = cyclesAt
        let cycles = try reader.int("cycles")
        let latency = try reader.double("latency_us")
        let ips = try reader.double("inferences_per_s")
        let utilization = try reader.double("utilization")
        let dram = try reader.int("dram_bytes")
        let sram = try reader.int("sram_bytes")
        let energy = try reader.double("energy_uj")
        var byComponent: [String: Double] = [:]
        for name in components {
          if let value = try reader.optionalDouble(energyColumn(name)) { byComponent[name] = value }
        }
        let baselineLatency = try reader.optionalDouble("baseline_latency_us") ?? .nan
        let baselineEnergy = try reader.optionalDouble("baseline_energy_uj") ?? .nan
        metrics = PointMetrics(
          cycles: Cycle(cycles), latencyMicroseconds: latency, inferencesPerSecond: ips, utilization: utilization,
          dramBytes: ByteCount(dram), sramBytes: ByteCount(sram), energyMicrojoules: energy,
          energyByComponent: byComponent, baselineLatencyMicroseconds: baselineLatency,
          baselineEnergyMicrojoules: baselineEnergy)
      } else if status.hasPrefix("invalid: ") {
        reason = String(status.dropFirst("invalid: ".count))
      } else {
        throw SweepError(.badCSV, at, "column 'status': expected ok or invalid: <reason>, got \(JSONValue.quoted(status))")
      }
      reader.position = header.count - 6
      var area: AreaEstimate?
      if let pes = try reader.optionalInt("pe_count") {
        area = AreaEstimate(
          peCount: Int64(pes), sramCapacityBytes: Int64(try reader.int("sram_capacity_bytes")),
          squareMillimeters: try reader.double("area_mm2"))
      }
      if let line = seenLines[index] {
        throw SweepError(.badCSV, at, "point \(index) appears twice (also on line \(line))")
      }
      seenLines[index] = record.line
      rows.append(
        SweepRow(index: index, id: id, model: model, settings: settings, metrics: metrics, invalidReason: reason, area: area))
    }
    return SweepStudy(columns: columns, energyComponents: components, rows: rows)
  }

  /// Reads and parses the sweep CSV at `path`.
  public static func load(path: String) throws(SweepError) -> SweepStudy {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw SweepError(.badCSV, path, "cannot read the file")
    }
    return try parse(text, file: path)
  }

  // MARK: Merging

  /// Joins shard parts (`(file name, text)`) into the study a single run would have produced:
  /// rows from every part in index order, Pareto flags recomputed over all of them.
  ///
  /// The parts must have the same varied columns. Energy components are the union: the parts'
  /// shared header when they agree, else the sorted union (what a single run writes when the
  /// evaluator declares none). A point in two parts must be identical in both.
  public static func merge(_ parts: [(file: String, text: String)]) throws(SweepError) -> SweepStudy {
    var studies: [(file: String, study: SweepStudy)] = []
    for part in parts { studies.append((part.file, try parse(part.text, file: part.file))) }
    guard let first = studies.first else {
      throw SweepError(.mismatchedParts, "", "nothing to merge: no parts given")
    }
    for (file, study) in studies.dropFirst() where study.columns != first.study.columns {
      throw SweepError(
        .mismatchedParts, file,
        "varied columns \(study.columns.joined(separator: ",")) differ from \(first.file)'s \(first.study.columns.joined(separator: ","))")
    }
    var components = first.study.energyComponents
    if studies.contains(where: { $0.study.energyComponents != components }) {
      components = Array(Set(studies.flatMap(\.study.energyComponents))).sorted()
    }
    var byIndex: [Int: (file: String, row: SweepRow)] = [:]
    for (file, study) in studies {
      for row in study.rows {
        if let previous = byIndex[row.index] {
          if previous.row.id != row.id || previous.row.metrics != row.metrics || previous.row.invalidReason != row.invalidReason {
            throw SweepError(
              .mismatchedParts, file, "point \(row.index) differs from the same point in \(previous.file)")
          }
          continue
        }
        byIndex[row.index] = (file, row)
      }
    }
    return SweepStudy(columns: first.study.columns, energyComponents: components, rows: byIndex.values.map(\.row))
  }

  /// Reads the files at `paths` and merges them (see `merge(_:)`).
  public static func merge(paths: [String]) throws(SweepError) -> SweepStudy {
    var parts: [(file: String, text: String)] = []
    for path in paths {
      do {
        parts.append((path, try String(contentsOfFile: path, encoding: .utf8)))
      } catch {
        throw SweepError(.badCSV, path, "cannot read the file")
      }
    }
    return try merge(parts)
  }
}

/// Reads typed cells of one CSV record by column name, advancing through the columns.
private struct CellReader {
  let cells: [String]
  let header: [String]
  let location: String
  var position = 0

  init(cells: [String], header: [String], location: String) {
    self.cells = cells
    self.header = header
    self.location = location
  }

  private mutating func next(_ column: String) -> String {
    precondition(header[position] == column, "reader at \(header[position]), asked for \(column)")
    defer { position += 1 }
    return cells[position]
  }

  private func fail(_ column: String, _ expected: String, _ got: String) -> SweepError {
    SweepError(.badCSV, location, "column '\(column)': expected \(expected), got \(JSONValue.quoted(got))")
  }

  mutating func text(_ column: String) throws(SweepError) -> String {
    let value = next(column)
    if value.isEmpty { throw fail(column, "a value", value) }
    return value
  }

  mutating func int(_ column: String) throws(SweepError) -> Int {
    let value = next(column)
    guard let n = Int(value) else { throw fail(column, "an integer", value) }
    return n
  }

  mutating func optionalInt(_ column: String) throws(SweepError) -> Int? {
    let value = next(column)
    if value.isEmpty { return nil }
    guard let n = Int(value) else { throw fail(column, "an integer or nothing", value) }
    return n
  }

  mutating func double(_ column: String) throws(SweepError) -> Double {
    let value = next(column)
    guard let x = Double(value) else { throw fail(column, "a number", value) }
    return x
  }

  mutating func optionalDouble(_ column: String) throws(SweepError) -> Double? {
    let value = next(column)
    if value.isEmpty { return nil }
    guard let x = Double(value) else { throw fail(column, "a number or nothing", value) }
    return x
  }
}

extension SweepStudy {
  /// The study as CSV (see `SweepCSV`).
  public func csv() -> String { SweepCSV.render(self) }

  /// The study as JSON: `columns`, `energy_components`, and `rows` with the CSV's fields grouped
  /// (`settings`, `metrics`, `area`, `pareto`).
  public func json() -> JSONValue {
    func d(_ x: Double) -> JSONValue { .double(x) }
    let rowValues: [JSONValue] = rows.map { row in
      var fields: [(key: String, value: JSONValue)] = [
        ("point", .int(row.index)), ("id", .string(row.id)), ("model", .string(row.model)),
        ("settings", .object(zip(columns, row.settings).map { ($0, $1.isEmpty ? .null : .string($1)) })),
        ("status", .string(row.status)),
      ]
      if let m = row.metrics {
        fields.append(
          (
            "metrics",
            .object([
              ("cycles", .int(m.cycles.count)), ("latency_us", d(m.latencyMicroseconds)),
              ("inferences_per_s", d(m.inferencesPerSecond)), ("utilization", d(m.utilization)),
              ("dram_bytes", .int(m.dramBytes.count)), ("sram_bytes", .int(m.sramBytes.count)),
              ("energy_uj", d(m.energyMicrojoules)),
              ("energy_by_component_uj", .object(energyComponents.compactMap { c in m.energyByComponent[c].map { (c, d($0)) } })),
              ("baseline_latency_us", d(m.baselineLatencyMicroseconds)),
              ("baseline_energy_uj", d(m.baselineEnergyMicrojoules)),
              ("speedup_vs_fp32", d(m.speedupOverBaseline)), ("energy_saving_vs_fp32", d(m.energySavingOverBaseline)),
              ("edp_uj_us", d(m.energyDelayProduct)),
            ])))
      } else {
        fields.append(("metrics", .null))
      }
      if let a = row.area {
        fields.append(
          ("area", .object([("pe_count", .int(a.peCount)), ("sram_capacity_bytes", .int(a.sramCapacityBytes)), ("area_mm2", d(a.squareMillimeters))])))
      } else {
        fields.append(("area", .null))
      }
      fields.append(("pareto", .object([("latency_energy", .bool(row.paretoLatencyEnergy)), ("latency_area", .bool(row.paretoLatencyArea))])))
      return .object(fields)
    }
    return .object([
      ("columns", .array(columns.map { .string($0) })),
      ("base_values", .array(baseValues.map { $0.map { .string($0) } ?? .null })),
      ("energy_components", .array(energyComponents.map { .string($0) })),
      ("rows", .array(rowValues)),
    ])
  }
}
