import Support

/// A parameter value as read from, or written to, an `ArchSpec` through the parameter table.
public enum ArchValue: Sendable, Hashable, CustomStringConvertible {
  /// A whole number (counts, banks, bytes per cycle).
  case integer(Int)
  /// A real number (MHz, GB/s, KiB, pJ).
  case number(Double)
  /// A yes/no switch.
  case flag(Bool)
  /// A name or a choice (`ws`, `int8`).
  case text(String)

  /// The value as `--set` would take it: `256`, `15.75`, `true`, `ws`.
  public var description: String {
    switch self {
    case .integer(let n): String(n)
    case .number(let x): ArchValue.numberText(x)
    case .flag(let b): b ? "true" : "false"
    case .text(let s): s
    }
  }

  /// A number in its shortest exact decimal form, without a trailing `.0`: `700`, `0.23`.
  ///
  /// Exact (unlike `formatSignificant`), so JSON written with it reads back bit for bit.
  static func numberText(_ x: Double) -> String {
    if x.isFinite && x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
    return "\(x)"
  }
}

/// One row of the parameter table: a dotted key, its doc, unit, default, source, and how to read
/// and write it on an `ArchSpec`.
///
/// The idea is Ramulator 2's `param<T>("key").desc("…").default_val(…)`: each parameter is
/// declared once, and `--set`, the JSON format, validation, `render()` and
/// `docs/architecture.md` all come from that declaration.
public struct ArchParameter: Sendable {
  /// What values a parameter accepts; validation and both parsers check this.
  public enum Kind: Sendable, Hashable {
    /// A whole number in `1...max`.
    case count(max: Int)
    /// A finite number > 0 within `range` (`range.lowerBound` > 0): the physically plausible
    /// values, so that no derived figure (cycles per µs, bytes per cycle) leaves `Int`'s range.
    case positiveNumber(ClosedRange<Double>)
    /// A finite number in `0...max`.
    case nonNegativeNumber(max: Double)
    /// A size in KiB > 0 that is a whole number of bytes (`256`, `0.25`), at most 2³⁰ KiB.
    case kibibytes
    /// `true` or `false`.
    case flag
    /// One of the listed names.
    case choice([String])
    /// A non-empty string of at most `maxLength` characters, without control characters (a tab
    /// is allowed).
    case text(maxLength: Int)

    /// The largest size a `kibibytes` parameter accepts: 2³⁰ KiB (1 TiB).
    static let maximumKibibytes = Double(1 << 30)

    /// What the parameter expects, for messages: `a positive integer`, `one of ws, os, is`.
    public var expectation: String {
      switch self {
      case .count: "a positive integer"
      case .positiveNumber: "a positive number"
      case .nonNegativeNumber: "a number ≥ 0"
      case .kibibytes: "a positive size in KiB (whole bytes)"
      case .flag: "true or false"
      case .choice(let names): "one of " + names.joined(separator: ", ")
      case .text: "a non-empty string"
      }
    }

    /// The accepted values as the parameter table shows them: `1 – 16384`, `0.001 – 100000`,
    /// `1 – 256 characters`; empty for flags and choices (the unit column lists those).
    public var rangeText: String {
      switch self {
      case .count(let max): "1 – \(max)"
      case .positiveNumber(let range):
        "\(ArchValue.numberText(range.lowerBound)) – \(ArchValue.numberText(range.upperBound))"
      case .nonNegativeNumber(let max): "0 – \(ArchValue.numberText(max))"
      case .kibibytes: "1 B – \(ArchValue.numberText(Kind.maximumKibibytes)) KiB, whole bytes"
      case .flag, .choice: ""
      case .text(let maxLength): "1 – \(maxLength) characters"
      }
    }

    /// The value converted to this kind's canonical case, or `nil` with the reason it is not
    /// acceptable (`expected a positive integer`, `expected a positive integer ≤ 16384`).
    func accept(_ value: ArchValue) -> Result<ArchValue, KindMismatch> {
      switch (self, value) {
      case (.count(let max), .integer(let n)):
        if n < 1 { return .failure(KindMismatch("expected \(expectation)")) }
        if n > max { return .failure(KindMismatch("expected \(expectation) ≤ \(max)")) }
        return .success(.integer(n))
      case (.count(let max), .number(let x)) where x.isFinite && x == x.rounded():
        if x > Double(max) { return .failure(KindMismatch("expected \(expectation) ≤ \(max)")) }
        return accept(.integer(Int(Swift.max(x, 0))))
      case (.positiveNumber(let range), .number(let x)):
        guard x.isFinite && x > 0 else { return .failure(KindMismatch("expected \(expectation)")) }
        return Kind.bounded(x, range, "a positive number")
      case (.nonNegativeNumber(let max), .number(let x)):
        guard x.isFinite && x >= 0 else { return .failure(KindMismatch("expected \(expectation)")) }
        return Kind.bounded(x, 0...max, "a number")
      case (.kibibytes, .number(let kib)):
        guard kib.isFinite, kib > 0, kib <= Kind.maximumKibibytes else {
          return .failure(KindMismatch("expected \(expectation)"))
        }
        let bytes = kib * 1024
        guard bytes == bytes.rounded() else {
          return .failure(
            KindMismatch("expected \(expectation)", detail: " (\(ArchValue.numberText(bytes)) bytes)"))
        }
        return .success(.number(kib))
      case (.positiveNumber, .integer(let n)), (.nonNegativeNumber, .integer(let n)),
        (.kibibytes, .integer(let n)):
        return accept(.number(Double(n)))
      case (.flag, .flag):
        return .success(value)
      case (.choice(let names), .text(let s)):
        return names.contains(s) ? .success(value) : .failure(KindMismatch("expected \(expectation)"))
      case (.text(let maxLength), .text(let s)):
        if s.isEmpty { return .failure(KindMismatch("expected \(expectation)")) }
        // `utf8.count` bounds the work on a huge string before counting characters.
        if s.utf8.count > 4 * maxLength {
          return .failure(
            KindMismatch("expected \(expectation) of at most \(maxLength) characters", detail: " (\(s.utf8.count) bytes)"))
        }
        if s.count > maxLength {
          return .failure(
            KindMismatch("expected \(expectation) of at most \(maxLength) characters", detail: " (\(s.count) characters)"))
        }
        // Line breaks and escape sequences would break one-line messages and report tables.
        if s.unicodeScalars.contains(where: { $0 != "\t" && $0.properties.generalCategory == .control }) {
          return .failure(KindMismatch("expected \(expectation) without control characters"))
        }
        return .success(value)
      default:
        return .failure(KindMismatch("expected \(expectation)"))
      }
    }

    /// `x` if it lies in `range`, else the range it should be in, after `noun`:
    /// `expected a positive number from 0.001 to 100000`.
    private static func bounded(
      _ x: Double, _ range: ClosedRange<Double>, _ noun: String
    ) -> Result<ArchValue, KindMismatch> {
      if range.contains(x) { return .success(.number(x)) }
      return .failure(
        KindMismatch(
          "expected \(noun) from \(ArchValue.numberText(range.lowerBound)) to \(ArchValue.numberText(range.upperBound))"))
    }

    /// Reads `--set` text as a raw value of the shape this kind wants (`"32"` → `.integer(32)`);
    /// `accept` then checks it. Text that is not a number stays `.text` and fails `accept`.
    func parse(text: String) -> ArchValue {
      switch self {
      case .count:
        if let n = Int(text) { return .integer(n) }
        return .text(text)
      case .positiveNumber, .nonNegativeNumber, .kibibytes:
        if let x = Double(text) { return .number(x) }
        return .text(text)
      case .flag:
        if text == "true" { return .flag(true) }
        if text == "false" { return .flag(false) }
        return .text(text)
      case .choice, .text:
        return .text(text)
      }
    }
  }

  /// Why a value does not fit a parameter's kind: `expected a positive integer`, plus an
  /// optional detail shown after the value (` (102.4 bytes)`).
  struct KindMismatch: Error {
    let expectation: String
    let detail: String
    init(_ expectation: String, detail: String = "") {
      self.expectation = expectation
      self.detail = detail
    }

    /// `expected …, got <shown><detail>`.
    func message(got shown: String) -> String { "\(expectation), got \(shown)\(detail)" }
  }

  /// The dotted key used by `--set`, JSON (as nested objects) and docs: `array.rows`.
  public let key: String
  /// One line saying what the parameter means.
  public let summary: String
  /// The unit (`PEs`, `KiB`, `GB/s`, `pJ`), or empty for names and switches.
  public let unit: String
  /// The values it accepts.
  public let kind: Kind
  /// The value in `ArchSpec.defaults` (TPU v1's).
  public let defaultValue: ArchValue
  /// Where the default comes from.
  public let source: ParameterOrigin
  let read: @Sendable (ArchSpec) -> ArchValue
  let write: @Sendable (inout ArchSpec, ArchValue) -> Void

  /// The parameter's current value in `spec`.
  public func value(in spec: ArchSpec) -> ArchValue { read(spec) }

  /// The JSON group this key lives in (`array` for `array.rows`), or `nil` for top-level keys.
  public var group: String? {
    guard let dot = key.firstIndex(of: ".") else { return nil }
    return String(key[..<dot])
  }

  /// The key inside its group (`rows` for `array.rows`), or the whole key at top level.
  public var leafName: String {
    guard let dot = key.firstIndex(of: ".") else { return key }
    return String(key[key.index(after: dot)...])
  }
}

// MARK: - Typed constructors

extension ArchParameter {
  static func count(
    _ key: String, _ path: any WritableKeyPath<ArchSpec, Int> & Sendable, max: Int = 1 << 30,
    default value: Int, unit: String, _ summary: String, source: ParameterOrigin
  ) -> ArchParameter {
    ArchParameter(
      key: key, summary: summary, unit: unit, kind: .count(max: max), defaultValue: .integer(value),
      source: source, read: { .integer($0[keyPath: path]) },
      write: { spec, value in
        guard case .integer(let n) = value else { preconditionFailure("\(key): wrote \(value)") }
        spec[keyPath: path] = n
      })
  }

  /// A real parameter accepting `range`: a lower bound of 0 means "≥ 0", one above 0 means
  /// "positive, at least this".
  static func number(
    _ key: String, _ path: any WritableKeyPath<ArchSpec, Double> & Sendable, range: ClosedRange<Double>,
    default value: Double, unit: String, _ summary: String, source: ParameterOrigin
  ) -> ArchParameter {
    precondition(range.lowerBound >= 0 && range.contains(value), "\(key): default \(value) outside \(range)")
    return ArchParameter(
      key: key, summary: summary, unit: unit,
      kind: range.lowerBound > 0 ? .positiveNumber(range) : .nonNegativeNumber(max: range.upperBound),
      defaultValue: .number(value), source: source, read: { .number($0[keyPath: path]) },
      write: { spec, value in
        guard case .number(let x) = value else { preconditionFailure("\(key): wrote \(value)") }
        spec[keyPath: path] = x
      })
  }

  static func kibibytes(
    _ key: String, _ path: any WritableKeyPath<ArchSpec, ByteCount> & Sendable, default kib: Double,
    _ summary: String, source: ParameterOrigin
  ) -> ArchParameter {
    ArchParameter(
      key: key, summary: summary, unit: "KiB", kind: .kibibytes, defaultValue: .number(kib),
      source: source, read: { .number(Double($0[keyPath: path].count) / 1024) },
      write: { spec, value in
        guard case .number(let kib) = value else { preconditionFailure("\(key): wrote \(value)") }
        spec[keyPath: path] = ByteCount(Int64(kib * 1024))
      })
  }

  static func flag(
    _ key: String, _ path: any WritableKeyPath<ArchSpec, Bool> & Sendable, default value: Bool,
    _ summary: String, source: ParameterOrigin
  ) -> ArchParameter {
    ArchParameter(
      key: key, summary: summary, unit: "", kind: .flag, defaultValue: .flag(value), source: source,
      read: { .flag($0[keyPath: path]) },
      write: { spec, value in
        guard case .flag(let b) = value else { preconditionFailure("\(key): wrote \(value)") }
        spec[keyPath: path] = b
      })
  }

  static func choice<E: RawRepresentable & CaseIterable & Sendable>(
    _ key: String, _ path: any WritableKeyPath<ArchSpec, E> & Sendable, default value: E,
    _ summary: String, source: ParameterOrigin
  ) -> ArchParameter where E.RawValue == String {
    ArchParameter(
      key: key, summary: summary, unit: "", kind: .choice(E.allCases.map(\.rawValue)),
      defaultValue: .text(value.rawValue), source: source, read: { .text($0[keyPath: path].rawValue) },
      write: { spec, value in
        guard case .text(let s) = value, let e = E(rawValue: s) else {
          preconditionFailure("\(key): wrote \(value)")
        }
        spec[keyPath: path] = e
      })
  }

  static func text(
    _ key: String, _ path: any WritableKeyPath<ArchSpec, String> & Sendable, maxLength: Int,
    default value: String, _ summary: String, source: ParameterOrigin
  ) -> ArchParameter {
    ArchParameter(
      key: key, summary: summary, unit: "", kind: .text(maxLength: maxLength), defaultValue: .text(value), source: source,
      read: { .text($0[keyPath: path]) },
      write: { spec, value in
        guard case .text(let s) = value else { preconditionFailure("\(key): wrote \(value)") }
        spec[keyPath: path] = s
      })
  }
}

// MARK: - The table

/// Short citations used by the parameter and preset tables; full references are in
/// `docs/architecture.md`.
enum Citation {
  static let jouppi = "Jouppi et al., ISCA 2017"
  static let horowitz = "Horowitz, ISSCC 2014 (45 nm)"
  static let accelergy = "Accelergy CACTI plug-in"
}

/// The accepted range of each real-valued parameter: wide enough for any accelerator from a
/// microcontroller-class FPGA to a datacenter part, narrow enough that every derived figure
/// (`dram_latency_cycles`, `host_latency_cycles`, bytes and ops per cycle) stays far inside
/// `Int`'s range and the simulator's exact bandwidth fractions. `docs/architecture.md` gives the
/// reasons in prose; the parameter table's `range` column is generated from these.
enum ArchRange {
  /// 1 MHz (slower than any accelerator) to 100 GHz (beyond any CMOS logic clock).
  static let clockMHz: ClosedRange<Double> = 1...100_000
  /// 0.001 GB/s = 1 MB/s (slower than any memory bus or host link) to 100,000 GB/s = 100 TB/s
  /// (about 80 HBM3E stacks).
  static let bandwidthGBps: ClosedRange<Double> = 0.001...100_000
  /// 0 ns to 1 ms (storage-class memory answers in microseconds).
  static let dramLatencyNanoseconds: ClosedRange<Double> = 0...1_000_000
  /// 0 to 10,000 pJ/bit (off-chip links cost 1–100 pJ/bit).
  static let dramPicojoulesPerBit: ClosedRange<Double> = 0...10_000
  /// 0 µs to 1 s for one host round trip.
  static let hostLatencyMicroseconds: ClosedRange<Double> = 0...1_000_000
  /// 0.001 Gop/s = 10⁶ op/s (a microcontroller) to 10⁶ Gop/s (a large GPU's peak).
  static let hostGigaOps: ClosedRange<Double> = 0.001...1_000_000
  /// 0 to 10⁶ pJ (1 µJ) per operation; an fp32 MAC at 45 nm costs 4.6 pJ.
  static let operationPicojoules: ClosedRange<Double> = 0...1_000_000
  /// 0.001 to 10⁶ pJ per 64-bit SRAM access (positive: the curve between the points is a power
  /// law, `docs/architecture.md`).
  static let sramPicojoules: ClosedRange<Double> = 0.001...1_000_000
  /// 0 to 10⁷ mW (10 kW, more than a full rack's accelerators draw).
  static let leakageMilliwatts: ClosedRange<Double> = 0...10_000_000
}

extension ArchSpec {
  /// The longest `name` accepted, in characters: names appear in every report line and table,
  /// so a megabyte-long name would make text rendering slow and reports unreadable.
  public static let maximumNameLength = 256
}

extension ArchSpec {
  /// Every parameter of an architecture, in display order: key, doc, unit, default, source.
  ///
  /// The defaults are Google TPU v1's (Jouppi et al., ISCA 2017) and Horowitz's 45 nm energy
  /// table (ISSCC 2014); `ArchSpec.defaults` is built from this column alone.
  public static let parameters: [ArchParameter] = [
    .text(
      "name", \.name, maxLength: ArchSpec.maximumNameLength, default: "custom",
      "Short name used in reports; files default it to their file name.",
      source: .cited("the preset or file")),

    // The array.
    .count(
      "array.rows", \.array.rows, max: 16_384, default: 256, unit: "PEs",
      "Processing elements per column (reduction depth per pass in ws).",
      source: .cited("\(Citation.jouppi) §2: 256×256 MACs")),
    .count(
      "array.cols", \.array.cols, max: 16_384, default: 256, unit: "PEs",
      "Processing elements per row (output channels per pass in ws).",
      source: .cited("\(Citation.jouppi) §2: 256×256 MACs")),
    .count(
      "array.weight_load_rows_per_cycle", \.array.weightLoadRowsPerCycle, max: 16_384, default: 1,
      unit: "rows/cycle",
      "Weight-tile rows shifted into the array per cycle; a tile loads in ⌈rows / this⌉ cycles.",
      source: .cited("\(Citation.jouppi) §2: a 256×256 tile shifts in over 256 cycles")),
    .flag(
      "array.weight_double_buffered", \.array.weightDoubleBuffered, default: true,
      "Whether the next weight tile loads while the current one computes.",
      source: .cited("\(Citation.jouppi) §2: the array holds one tile plus one loading")),
    .count(
      "array.weight_unpack_latency_cycles", \.array.weightUnpackLatencyCycles, max: 1024, default: 1, unit: "cycles",
      "Extra cycles a packed (int4/int2) weight tile's load takes: the unpacker's pipeline stage.",
      source: .assumed(
        "one register stage of field selects and sign extensions between the weight buffer and the array; the unpacker is as wide as the int8 path it feeds, so it adds latency, not throughput")),
    .count(
      "array.row_interval_cycles", \.array.rowIntervalCycles, max: 1024, default: 1, unit: "cycles",
      "Cycles between consecutive operand rows (micro-ops) entering the array; the streaming term of every dataflow's matmul is multiplied by it.",
      source: .cited("\(Citation.jouppi) §2: the matrix unit takes one 256-byte input row per clock")),
    .choice(
      "dataflow", \.dataflow, default: Dataflow.weightStationary,
      "Default dataflow: ws (weight), os (output) or is (input) stationary.",
      source: .cited("\(Citation.jouppi) §2: weight stationary")),
    .choice(
      "datapath", \.datapath, default: Datapath.int8,
      "Operand type: int8, or float32 for the baseline (4-byte elements, fp32 energy).",
      source: .cited("\(Citation.jouppi) §2: 8-bit MACs")),
    .number(
      "clock.mhz", \.clock.value, range: ArchRange.clockMHz, default: 700, unit: "MHz",
      "Accelerator clock.",
      source: .cited("\(Citation.jouppi) Table 2: 700 MHz")),

    // On-chip memories.
    .kibibytes(
      "ub.kib", \.ub.capacity, default: 24_576,
      "Unified buffer (activation scratchpad) capacity.",
      source: .cited("\(Citation.jouppi) §2: 24 MiB Unified Buffer")),
    .count(
      "ub.banks", \.ub.banks, default: 24, unit: "banks",
      "Unified buffer banks; SRAM energy is that of one bank (capacity / banks).",
      source: .assumed("UB organization unpublished; 24 × 1 MiB banks keep each bank at Horowitz's largest point")),
    .count(
      "ub.port_bytes_per_cycle", \.ub.portBytesPerCycle, default: 256, unit: "B/cycle",
      "Unified buffer bytes read or written per cycle, all banks together.",
      source: .assumed("one 256-byte int8 row per cycle, the array's input width")),
    .kibibytes(
      "weights.kib", \.weights.capacity, default: 256,
      "Weight buffer / FIFO capacity.",
      source: .cited("\(Citation.jouppi) §2: weight FIFO 4 tiles × 64 KiB")),
    .count(
      "weights.banks", \.weights.banks, default: 4, unit: "banks",
      "Weight buffer banks.",
      source: .assumed("one bank per FIFO tile")),
    .count(
      "weights.port_bytes_per_cycle", \.weights.portBytesPerCycle, default: 256, unit: "B/cycle",
      "Weight buffer bytes delivered per cycle.",
      source: .assumed("one 256-byte weight row per cycle, matching the 1 row/cycle shift")),
    .kibibytes(
      "acc.kib", \.acc.capacity, default: 4096,
      "Accumulator capacity; entries = bytes / (array.cols × 4).",
      source: .cited("\(Citation.jouppi) §2: 4 MiB = 4096 × 256 × int32")),
    .count(
      "acc.banks", \.acc.banks, default: 2, unit: "banks",
      "Accumulator banks.",
      source: .cited("\(Citation.jouppi) §2: accumulators double-buffered")),
    .count(
      "acc.port_bytes_per_cycle", \.acc.portBytesPerCycle, default: 1024, unit: "B/cycle",
      "Accumulator bytes read or written per cycle.",
      source: .assumed("one 256 × int32 row per cycle")),

    // Off-chip memory.
    .number(
      "dram.gbps", \.dram.bandwidth.value, range: ArchRange.bandwidthGBps, default: 34, unit: "GB/s",
      "DRAM bandwidth (decimal: 10⁹ bytes/s).",
      source: .cited("\(Citation.jouppi) Table 2: DDR3, 34 GB/s")),
    .number(
      "dram.latency_ns", \.dram.latencyNanoseconds, range: ArchRange.dramLatencyNanoseconds, default: 100, unit: "ns",
      "Request to first byte; cycles = ⌈ns × MHz / 1000⌉.",
      source: .assumed("typical DDR3 access latency; the paper gives none")),
    .number(
      "dram.pj_per_bit", \.dram.energyPerBit.value, range: ArchRange.dramPicojoulesPerBit, default: 70, unit: "pJ/bit",
      "DRAM energy per bit transferred.",
      source: .cited("\(Citation.accelergy): DDR3 70 pJ/bit")),

    // Where activations live.
    .choice(
      "memory.activations", \.memory.activations, default: ActivationMemory.onChip,
      "Where layer outputs wait for their readers: on-chip (an arena in the unified buffer) or dram.",
      source: .cited(
        "\(Citation.jouppi) §2: the Unified Buffer holds activations; the DDR3 weight memory holds weights only")),
    .count(
      "memory.arena_latency_cycles", \.memory.arenaLatencyCycles, max: 1 << 20, default: 2, unit: "cycles",
      "Fixed cycles of an arena transfer before its first byte (unified buffer read + write stage).",
      source: .assumed(
        "one SRAM read cycle and one write-register stage; the arena is unified-buffer SRAM, no DRAM request")),

    .flag(
      "memory.parameters_resident", \.memory.parametersResident, default: false,
      "Whether parameters cached in the weight buffer stay there across inferences (loaded once per model, not per inference).",
      source: .cited(
        "\(Citation.jouppi) §2: TPU v1 reads weights from its DDR3 weight memory every inference (the weight FIFO holds 4 tiles)")),
    .flag(
      "memory.arena_in_place", \.memory.arenaInPlace, default: true,
      "Whether the array reads a layer's input in the activation arena, where the previous layer left it, instead of a copy in the working region (when the tile spans whole image rows).",
      source: .cited(
        "\(Citation.jouppi) §2: the matrix unit reads its inputs from the Unified Buffer that holds the activations; no copy between layers")),
    .flag(
      "memory.io_over_host_link", \.memory.ioOverHostLink, default: true,
      "Whether the network's inputs and outputs cross the host link (host.link_gbps, host.dma_latency_ns) into and out of the unified buffer instead of coming from DRAM.",
      source: .cited(
        "\(Citation.jouppi) §2: Read_Host_Memory reads data from the CPU host memory into the Unified Buffer and Write_Host_Memory writes it back, over PCIe; the DDR3 holds weights only")),
    .flag(
      "memory.dram_is_host_link", \.memory.dramIsHostLink, default: false,
      "Whether the DRAM figures describe the host link itself, so that host-link transfers of inputs and outputs share the DRAM channel (its bandwidth and latency) with streamed parameters and spills.",
      source: .cited(
        "\(Citation.jouppi) §2: TPU v1's DDR3 weight memory and its PCIe host link are separate interfaces")),

    // Vector unit.
    .count(
      "vector.lanes", \.vector.lanes, default: 256, unit: "lanes",
      "Vector/activation unit lanes; each holds a private copy of the layer's 256-entry vlut table (docs/cost-model.md).",
      source: .assumed(
        "Activation unit width unpublished; one lane per accumulator column. Per-lane int8 lookup tables, as NPUs commonly implement nonlinearities, so every lane looks up one element per cycle without bank conflicts")),
    .count(
      "vector.ops_per_cycle_per_lane", \.vector.opsPerCyclePerLane, default: 1, unit: "ops/cycle",
      "Element operations per lane per cycle.",
      source: .assumed("one fully pipelined op per lane per cycle")),

    // Host.
    .number(
      "host.link_gbps", \.host.linkBandwidth.value, range: ArchRange.bandwidthGBps, default: 15.75, unit: "GB/s",
      "Host ↔ accelerator link bandwidth (decimal GB/s).",
      source: .cited("\(Citation.jouppi) §2: PCIe Gen3 ×16 = 16 × 8 GT/s × 128/130 ÷ 8")),
    .number(
      "host.latency_us", \.host.latencyMicroseconds, range: ArchRange.hostLatencyMicroseconds, default: 10, unit: "µs",
      "Fixed cost of one round trip to the host for a fallback op.",
      source: .assumed("one PCIe round trip plus driver overhead")),
    .number(
      "host.dma_latency_ns", \.host.dmaLatencyNanoseconds, range: ArchRange.dramLatencyNanoseconds, default: 1000,
      unit: "ns",
      "Request to first byte of a DMA transfer the accelerator itself makes across the host link (network inputs and outputs when memory.io_over_host_link); no driver involved.",
      source: .assumed(
        "one PCIe Gen3 read round trip to host memory: Neugebauer et al., SIGCOMM 2018 (\"Understanding PCIe performance for end host networking\") measure DMA read latencies of several hundred ns to about 1 µs on Gen3 ×8")),
    .number(
      "host.gops", \.host.gigaOpsPerSecond, range: ArchRange.hostGigaOps, default: 10, unit: "Gop/s",
      "Host throughput on fallback ops (10⁹ ops/s: one per MAC, or per output element where an op has no MACs).",
      source: .assumed("one Haswell core running scalar reference kernels")),

    // Energy table.
    .count(
      "energy.node_nm", \.energy.technologyNodeNanometers, max: 1000, default: 45, unit: "nm",
      "Technology node of the energy table (informational; values are not rescaled).",
      source: .cited(Citation.horowitz)),
    .number(
      "energy.int8_mac_pj", \.energy.int8MAC.value, range: ArchRange.operationPicojoules, default: 0.23, unit: "pJ",
      "One int8 MAC in the array: 8-bit multiply + add.",
      source: .cited("\(Citation.horowitz): 0.2 mult + 0.03 add")),
    .number(
      "energy.fp32_mac_pj", \.energy.fp32MAC.value, range: ArchRange.operationPicojoules, default: 4.6, unit: "pJ",
      "One fp32 MAC in the array (float32 baseline).",
      source: .cited("\(Citation.horowitz): 3.7 mult + 0.9 add")),
    .number(
      "energy.int32_add_pj", \.energy.int32Add.value, range: ArchRange.operationPicojoules, default: 0.1, unit: "pJ",
      "One int32 add into an accumulator entry.",
      source: .cited("\(Citation.horowitz): 32-bit add")),
    .number(
      "energy.fp32_add_pj", \.energy.fp32Add.value, range: ArchRange.operationPicojoules, default: 0.9, unit: "pJ",
      "One fp32 add into an accumulator entry (float32 baseline).",
      source: .cited("\(Citation.horowitz): fp32 add")),
    .number(
      "energy.sram_8kib_pj_per_64b", \.energy.sram8KiBAccess.value, range: ArchRange.sramPicojoules, default: 10,
      unit: "pJ",
      "One 64-bit access to an 8 KiB SRAM bank (curve point).",
      source: .cited("\(Citation.horowitz): 8 KB SRAM")),
    .number(
      "energy.sram_32kib_pj_per_64b", \.energy.sram32KiBAccess.value, range: ArchRange.sramPicojoules, default: 20,
      unit: "pJ",
      "One 64-bit access to a 32 KiB SRAM bank (curve point).",
      source: .cited("\(Citation.horowitz): 32 KB SRAM")),
    .number(
      "energy.sram_1mib_pj_per_64b", \.energy.sram1MiBAccess.value, range: ArchRange.sramPicojoules, default: 100,
      unit: "pJ",
      "One 64-bit access to a 1 MiB SRAM bank (curve point).",
      source: .cited("\(Citation.horowitz): 1 MB SRAM")),
    .number(
      "energy.vector_op_pj", \.energy.vectorOp.value, range: ArchRange.operationPicojoules, default: 3.2, unit: "pJ",
      "One vector-unit lane op (a requantization step).",
      source: .assumed("32-bit multiply 3.1 + add 0.1 pJ (Horowitz 2014)")),
    .number(
      "energy.unpack_pj", \.energy.unpack.value, range: ArchRange.operationPicojoules, default: 0.03, unit: "pJ",
      "Unpacking one int4/int2 weight to int8 in the weight loader (field select + sign extension).",
      source: .assumed("at most an 8-bit add (Horowitz 2014: 0.03 pJ), which has more gates than a shift and sign extension")),
    .number(
      "energy.leakage_mw", \.energy.leakageMilliwatts, range: ArchRange.leakageMilliwatts, default: 4000, unit: "mW",
      "Static power of the accelerator; per cycle it costs mW / MHz × 1000 pJ.",
      source: .assumed("10 % of TPU v1's 40 W busy power (Jouppi et al. 2017)")),
  ]

  /// The parameter with dotted key `key`, if there is one.
  public static func parameter(forKey key: String) -> ArchParameter? {
    parameterIndex[key].map { parameters[$0] }
  }

  private static let parameterIndex: [String: Int] = Dictionary(
    uniqueKeysWithValues: parameters.enumerated().map { ($0.element.key, $0.offset) })

  /// The JSON groups in table order: `array`, `clock`, `ub`, …
  public static let parameterGroups: [String] = {
    var seen: [String] = []
    for p in parameters { if let g = p.group, !seen.contains(g) { seen.append(g) } }
    return seen
  }()

  /// The spec with every parameter at its default: TPU v1's values, named `custom`.
  public static let defaults: ArchSpec = {
    var spec = ArchSpec(
      name: "", array: ArrayGeometry(rows: 0, cols: 0, weightLoadRowsPerCycle: 0, weightDoubleBuffered: false),
      dataflow: .weightStationary, clock: 0, datapath: .int8,
      ub: MemorySpec(capacity: 0, banks: 0, portBytesPerCycle: 0),
      weights: MemorySpec(capacity: 0, banks: 0, portBytesPerCycle: 0),
      acc: MemorySpec(capacity: 0, banks: 0, portBytesPerCycle: 0),
      dram: DRAMSpec(bandwidth: 0, latencyNanoseconds: 0, energyPerBit: 0),
      vector: VectorUnitSpec(lanes: 0, opsPerCyclePerLane: 0),
      host: HostSpec(linkBandwidth: 0, latencyMicroseconds: 0, gigaOpsPerSecond: 0),
      energy: EnergyTable(
        technologyNodeNanometers: 0, int8MAC: 0, fp32MAC: 0, int32Add: 0, fp32Add: 0,
        sram8KiBAccess: 0, sram32KiBAccess: 0, sram1MiBAccess: 0, vectorOp: 0, leakageMilliwatts: 0))
    for parameter in parameters { parameter.write(&spec, parameter.defaultValue) }
    return spec
  }()

  /// The value of the parameter `key`, or `nil` if there is no such parameter.
  public func value(forKey key: String) -> ArchValue? {
    ArchSpec.parameter(forKey: key)?.read(self)
  }
}
