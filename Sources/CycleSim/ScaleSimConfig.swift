import Foundation
import Architecture
import Support

/// A SCALE-Sim configuration (`.cfg`, an INI file), read the way SCALE-Sim v2's
/// `scale_config.read_conf_file` reads it, and mapped to an `ArchSpec`.
///
/// ```ini
/// [general]
/// run_name = GoogleTPU_v1_ws
///
/// [architecture_presets]
/// ArrayHeight:    256
/// ArrayWidth:     256
/// IfmapSramSzkB:  6144
/// FilterSramSzkB: 6144
/// OfmapSramSzkB:  2048
/// Dataflow : ws
/// Bandwidth : 10
///
/// [run_presets]
/// InterfaceBandwidth: CALC
/// ```
///
/// INI syntax as Python's `configparser` accepts it by default: `[section]` headers, `key = value`
/// or `key: value` (the first `=` or `:` separates), keys case-insensitive, whole-line comments
/// starting with `#` or `;`, blank lines ignored, an indented line continuing the previous value.
/// Keys SCALE-Sim does not need for its compute model (offsets, sparsity, layout, bank
/// settings) are accepted and ignored. Unlike SCALE-Sim, which prints a warning and carries on,
/// an unknown dataflow or a malformed number is an error.
public struct ScaleSimConfig: Sendable, Hashable {
  /// How SCALE-Sim obtains DRAM bandwidth (`[run_presets] InterfaceBandwidth`).
  public enum InterfaceBandwidth: String, Sendable, Hashable {
    /// SCALE-Sim estimates the bandwidth the array needs (`CALC`).
    case calculated = "CALC"
    /// The `Bandwidth` key gives it, in words per cycle (`USER`).
    case user = "USER"
  }

  /// `[general] run_name`.
  public var runName: String
  /// `ArrayHeight`: array rows.
  public var arrayHeight: Int
  /// `ArrayWidth`: array columns.
  public var arrayWidth: Int
  /// `IfmapSramSzkB`: input-feature-map SRAM, KiB.
  public var ifmapSRAMKiB: Int
  /// `FilterSramSzkB`: filter SRAM, KiB.
  public var filterSRAMKiB: Int
  /// `OfmapSramSzkB`: output-feature-map SRAM, KiB.
  public var ofmapSRAMKiB: Int
  /// `Dataflow`: `os`, `ws` or `is`.
  public var dataflow: Dataflow
  /// `Bandwidth`: words (SCALE-Sim's word is one byte) per cycle, one per memory bank.
  public var bandwidthWordsPerCycle: [Int]
  /// `[run_presets] InterfaceBandwidth`.
  public var interfaceBandwidth: InterfaceBandwidth
  /// `[network_presets] TopologyCsvLoc`, without its quotes.
  public var topologyPath: String?

  /// Creates a configuration.
  public init(
    runName: String, arrayHeight: Int, arrayWidth: Int, ifmapSRAMKiB: Int, filterSRAMKiB: Int, ofmapSRAMKiB: Int,
    dataflow: Dataflow, bandwidthWordsPerCycle: [Int] = [], interfaceBandwidth: InterfaceBandwidth = .calculated,
    topologyPath: String? = nil
  ) {
    self.runName = runName
    self.arrayHeight = arrayHeight
    self.arrayWidth = arrayWidth
    self.ifmapSRAMKiB = ifmapSRAMKiB
    self.filterSRAMKiB = filterSRAMKiB
    self.ofmapSRAMKiB = ofmapSRAMKiB
    self.dataflow = dataflow
    self.bandwidthWordsPerCycle = bandwidthWordsPerCycle
    self.interfaceBandwidth = interfaceBandwidth
    self.topologyPath = topologyPath
  }

  /// Parses the text of a `.cfg` file; `file` names it in errors (`scale.cfg:7:15: …`).
  ///
  /// - Throws: `SimulatorError` `.parse` naming `file:line:column` and what was expected.
  public init(parsing text: String, file: String) throws(SimulatorError) {
    let ini = try INIFile(parsing: text, file: file)
    func value(_ section: String, _ key: String) -> INIFile.Value? { ini.value(section, key) }
    func required(_ section: String, _ key: String) throws(SimulatorError) -> INIFile.Value {
      guard let v = value(section, key) else {
        throw SimulatorError(.parse, file, "missing '\(key)' in section [\(section)]")
      }
      return v
    }
    func integer(_ section: String, _ key: String) throws(SimulatorError) -> Int {
      let v = try required(section, key)
      guard let n = Int(v.text), n >= 1 else {
        throw SimulatorError(.parse, v.location, "expected a positive integer for '\(key)', found '\(v.text)'")
      }
      return n
    }
    let arch = "architecture_presets"
    runName = value("general", "run_name")?.text ?? "scale_run"
    arrayHeight = try integer(arch, "ArrayHeight")
    arrayWidth = try integer(arch, "ArrayWidth")
    ifmapSRAMKiB = try integer(arch, "IfmapSramSzkB")
    filterSRAMKiB = try integer(arch, "FilterSramSzkB")
    ofmapSRAMKiB = try integer(arch, "OfmapSramSzkB")
    let df = try required(arch, "Dataflow")
    guard let dataflow = Dataflow(rawValue: df.text) else {
      throw SimulatorError(.parse, df.location, "expected 'os', 'ws' or 'is' for 'Dataflow', found '\(df.text)'")
    }
    self.dataflow = dataflow
    if let mode = value("run_presets", "InterfaceBandwidth") {
      guard let m = InterfaceBandwidth(rawValue: mode.text) else {
        throw SimulatorError(
          .parse, mode.location, "expected 'USER' or 'CALC' for 'InterfaceBandwidth', found '\(mode.text)'")
      }
      interfaceBandwidth = m
    } else {
      interfaceBandwidth = .calculated
    }
    bandwidthWordsPerCycle = []
    if let bw = value(arch, "Bandwidth") {
      for part in bw.text.split(separator: ",", omittingEmptySubsequences: false) {
        let trimmed = part.trimmingCharacters(in: .whitespaces)
        guard let n = Int(trimmed), n >= 1 else {
          throw SimulatorError(.parse, bw.location, "expected positive integers for 'Bandwidth', found '\(bw.text)'")
        }
        bandwidthWordsPerCycle.append(n)
      }
    }
    if interfaceBandwidth == .user && bandwidthWordsPerCycle.isEmpty {
      throw SimulatorError(.parse, file, "InterfaceBandwidth is USER but 'Bandwidth' is missing in [\(arch)]")
    }
    topologyPath = value("network_presets", "TopologyCsvLoc").map {
      $0.text.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
    }
  }

  /// The architecture SCALE-Sim's configuration describes, filling in what it does not say
  /// from `base` (clock, energy table, vector unit, host, DRAM latency).
  ///
  /// Mapping: array rows × cols = `ArrayHeight` × `ArrayWidth`; the unified buffer is the
  /// ifmap SRAM, the weight buffer the filter SRAM, the accumulator the ofmap SRAM, each one
  /// bank; ports deliver one array edge per cycle (`ArrayHeight` bytes of inputs,
  /// `ArrayWidth` bytes of weights, `4 × ArrayWidth` bytes of partial sums), as SCALE-Sim
  /// assumes; weight tiles shift in one row per cycle, double-buffered; int8 (SCALE-Sim's word
  /// is one byte). With `InterfaceBandwidth: USER` the DRAM bandwidth is the smallest
  /// `Bandwidth` entry in bytes per cycle (GB/s = words per cycle × MHz / 1000); with `CALC`
  /// it is `base`'s.
  ///
  /// - Throws: `SimulatorError` `.archMismatch` when the result fails `ArchSpec.validate()`.
  public func archSpec(base: ArchSpec = .defaults, file: String = "") throws(SimulatorError) -> ArchSpec {
    var spec = base
    spec.name = runName
    spec.array = ArrayGeometry(
      rows: arrayHeight, cols: arrayWidth, weightLoadRowsPerCycle: 1, weightDoubleBuffered: true)
    spec.dataflow = dataflow
    spec.datapath = .int8
    spec.ub = MemorySpec(capacity: .kibibytes(ifmapSRAMKiB), banks: 1, portBytesPerCycle: arrayHeight)
    spec.weights = MemorySpec(capacity: .kibibytes(filterSRAMKiB), banks: 1, portBytesPerCycle: arrayWidth)
    spec.acc = MemorySpec(capacity: .kibibytes(ofmapSRAMKiB), banks: 1, portBytesPerCycle: 4 * arrayWidth)
    spec.vector = VectorUnitSpec(lanes: arrayWidth, opsPerCyclePerLane: 1)
    if interfaceBandwidth == .user, let words = bandwidthWordsPerCycle.min() {
      spec.dram.bandwidth = GigabytesPerSecond(Double(words) * spec.clock.value / 1000)
    }
    let origin = ParameterOrigin.file(file.isEmpty ? runName : file)
    for key in ["name", "array.rows", "array.cols", "dataflow", "ub.kib", "weights.kib", "acc.kib"] {
      spec.origins[key] = origin
    }
    if interfaceBandwidth == .user { spec.origins["dram.gbps"] = origin }
    let assumed: [(String, String)] = [
      ("ub.port_bytes_per_cycle", "SCALE-Sim feeds one ArrayHeight-wide input column per cycle"),
      ("weights.port_bytes_per_cycle", "SCALE-Sim feeds one ArrayWidth-wide weight row per cycle"),
      ("acc.port_bytes_per_cycle", "SCALE-Sim drains one ArrayWidth-wide output row per cycle"),
      ("ub.banks", "SCALE-Sim's SRAMs are single-banked by default"),
      ("weights.banks", "SCALE-Sim's SRAMs are single-banked by default"),
      ("acc.banks", "SCALE-Sim's SRAMs are single-banked by default"),
      ("array.weight_load_rows_per_cycle", "SCALE-Sim's WS fold loads R weight rows in R cycles"),
      ("array.weight_double_buffered", "SCALE-Sim's SRAMs are double-buffered"),
      ("vector.lanes", "SCALE-Sim has no vector unit; one lane per array column"),
    ]
    for (key, why) in assumed { spec.origins[key] = .assumed(why) }
    let problems = spec.validate()
    if let first = problems.first {
      throw SimulatorError(
        .archMismatch, file.isEmpty ? runName : file, "the configuration gives an invalid architecture: \(first)")
    }
    return spec
  }
}

/// A parsed INI file: values by lowercased section and key, with where each value starts.
struct INIFile {
  struct Value {
    var text: String
    var location: String
  }

  private var values: [String: [String: Value]] = [:]

  init(parsing text: String, file: String) throws(SimulatorError) {
    var section: String?
    var lastKey: String?
    for (number, rawLine) in text.split(
      omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }
    ).enumerated() {
      let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : String(rawLine)
      let lineNumber = number + 1
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
      let indent = line.prefix { $0 == " " || $0 == "\t" }.count
      if indent > 0, let s = section, let key = lastKey, var v = values[s]?[key] {
        // A continuation line.
        v.text += "\n" + trimmed
        values[s]?[key] = v
        continue
      }
      if trimmed.hasPrefix("[") {
        guard trimmed.hasSuffix("]"), trimmed.count >= 2 else {
          throw SimulatorError(
            .parse, "\(file):\(lineNumber):\(indent + 1)", "expected ']' to close the section header")
        }
        let name = String(trimmed.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
        section = name.lowercased()
        lastKey = nil
        if values[name.lowercased()] == nil { values[name.lowercased()] = [:] }
        continue
      }
      guard let separator = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
        throw SimulatorError(
          .parse, "\(file):\(lineNumber):\(indent + 1)",
          "expected 'key = value' or a '[section]' header, found '\(trimmed)'")
      }
      guard let s = section else {
        throw SimulatorError(
          .parse, "\(file):\(lineNumber):\(indent + 1)", "'\(trimmed)' comes before any [section] header")
      }
      let key = line[..<separator].trimmingCharacters(in: .whitespaces).lowercased()
      let rest = line[line.index(after: separator)...]
      let valueOffset =
        line.distance(from: line.startIndex, to: line.index(after: separator))
        + rest.prefix { $0 == " " || $0 == "\t" }.count
      values[s, default: [:]][key] = Value(
        text: rest.trimmingCharacters(in: .whitespaces), location: "\(file):\(lineNumber):\(valueOffset + 1)")
      lastKey = key
    }
  }

  /// The value of `key` in `section` (both case-insensitive).
  func value(_ section: String, _ key: String) -> Value? {
    values[section.lowercased()]?[key.lowercased()]
  }
}
