import Foundation
import Support
import TileISA

/// One slice of a Systole trace, in cycles.
public struct TraceSlice: Hashable, Sendable {
  /// The track it is on.
  public var track: TraceTrack
  /// Its name (opcode, layer name or cycle class).
  public var name: String
  /// Its category: `instruction`, `layer` or `array_state`.
  public var category: String
  /// First cycle.
  public var start: Int64
  /// One past the last cycle (= `start` for instants).
  public var end: Int64
  /// The instruction's index (instruction slices).
  public var pc: Int?
  /// The layer index (instruction slices of tagged instructions, layer slices).
  public var layer: Int?
  /// Instruction slices: why it started late (`StallReason` raw value), if it waited.
  public var stall: String? = nil
  /// Instruction slices: cycles between reaching the head of its queue and starting.
  public var waitCycles: Int64 = 0
}

/// The highest value of one on-chip memory's occupancy counter in a trace, and the memory's
/// capacity.
public struct TracePeakOccupancy: Sendable, Hashable {
  /// The counter (`TraceCounter.unifiedBufferOccupancy`, ...).
  public var counter: TraceCounter
  /// Its highest sample, in bytes.
  public var bytes: Int64
  /// The memory's capacity in bytes (`otherData.memory_capacity_bytes`).
  public var capacity: Int64
}

/// One layer's (or the remainder's) figures from the run report stored in `otherData.run`.
public struct TraceLayer: Sendable {
  /// Position in the layer table (nil for the remainder).
  public var index: Int?
  /// The layer's name.
  public var name: String
  /// Its TFLite operator name.
  public var op: String
  /// Its utilization as reported.
  public var utilization: Double
  /// Counters by report key (`CounterKey` raw values), in report order.
  public var counters: [(key: String, value: Int64)]
  /// Energy by component key (`EnergyComponent` raw values and `total_pj`), in report order.
  public var energy: [(key: String, value: Double)]

  /// The counter `key` (0 when absent).
  public func counter(_ key: String) -> Int64 { counters.first { $0.key == key }?.value ?? 0 }
  /// The energy component `key` in pJ (0 when absent).
  public func energy(_ key: String) -> Double { energy.first { $0.key == key }?.value ?? 0 }
  /// Cycles attributed.
  public var cycles: Int64 { counter("cycles") }
  /// Array idle cycles: every cycle class except `array_active`.
  public var stallCycles: Int64 {
    ["weight_shift", "weight_stall", "input_stall", "output_stall", "dependency_wait", "non_matrix", "host", "idle"]
      .reduce(0) { $0 + counter("\($1)_cycles") }
  }
  /// All DRAM bytes (DMA and host).
  public var dramBytes: Int64 {
    ["weight", "input_activation", "output_activation", "partial_sum", "host_read", "host_write"]
      .reduce(0) { $0 + counter("dram_\($1)_bytes") }
  }
  /// Total energy in pJ.
  public var energyTotal: Double { energy("total_pj") }
}

/// A trace written by `PerfettoTraceWriter`, read back for the terminal tools.
public struct SystoleTrace: Sendable {
  /// The file's name, for messages.
  public var fileName: String
  /// The architecture's name.
  public var arch: String
  /// The clock in MHz (`ts` µs × this = cycles).
  public var clockMHz: Double
  /// Array rows and columns.
  public var arrayRows: Int, arrayColumns: Int
  /// The level of detail written.
  public var level: TraceLevel
  /// The cycle window written (nil: the whole run).
  public var cycleWindow: Range<Int64>?
  /// The layer range written (nil: all).
  public var layerRange: ClosedRange<Int>?
  /// The run's total cycles.
  public var cycles: Int64
  /// The run's utilization as reported.
  public var utilization: Double
  /// The run's totals (counters and energy) as reported.
  public var total: TraceLayer
  /// Per layer, as reported.
  public var layers: [TraceLayer]
  /// The remainder (untagged work, uncovered cycles).
  public var unattributed: TraceLayer
  /// Busy cycles per unit (`SimulationUnit` raw values), in unit order.
  public var unitBusyCycles: [(unit: String, cycles: Int64)]
  /// Every slice and instant, in file order.
  public var slices: [TraceSlice]
  /// The peak of each occupancy counter in the trace (over its window), in memory order;
  /// empty for traces written before the counters existed.
  public var peakOccupancy: [TracePeakOccupancy]

  /// Reads the trace file at `path`.
  public init(contentsOf path: String) throws(TraceError) {
    let name = (path as NSString).lastPathComponent
    guard let data = FileManager.default.contents(atPath: path) else {
      throw TraceError(.notInTrace, path, "cannot read the file")
    }
    try self.init(bytes: Array(data), fileName: name)
  }

  /// The largest cycle count, byte count or counter value a trace may hold: 2⁵⁰ (13 days at
  /// 1 GHz), so sums over a run and the chart's column arithmetic stay far inside `Int64`.
  public static let maximumCount: Int64 = 1 << 50

  /// The highest clock a trace may state, in MHz: `clock.mhz`'s upper bound in the parameter
  /// table (100 GHz).
  public static let maximumClockMHz = 100_000.0

  /// Parses a trace from its bytes; `fileName` names it in errors.
  ///
  /// Numbers are checked where they are read: the clock must be in `0 < MHz ≤ 100000`; every
  /// timestamp, duration, cycle count, counter and byte count must be finite and lie in
  /// `0...maximumCount` once converted to cycles. A trace outside those is `.malformed`.
  ///
  /// - Throws: `TraceError` `.notJSON` for invalid JSON, `.notSystole` for JSON that is not a
  ///   Systole trace (no `otherData.generator == "systole"`), `.malformed` for a missing field or
  ///   a number out of range.
  public init(bytes: [UInt8], fileName: String) throws(TraceError) {
    let json: JSONValue
    do {
      json = try JSONValue.parse(bytes: bytes)
    } catch {
      throw TraceError(.notJSON, fileName, "not a trace: invalid JSON at \(error)")
    }
    guard case .string("systole") = json["otherData"]?["generator"] else {
      throw TraceError(
        .notSystole, fileName,
        "not a Systole trace (otherData.generator is not \"systole\"); write one with PerfettoTraceWriter / --trace")
    }
    func fail(_ what: String) -> TraceError { TraceError(.malformed, fileName, "malformed Systole trace: \(what)") }
    let other = json["otherData"] ?? .null
    guard let run = other["run"], let events = Self.array(json["traceEvents"]) else {
      throw fail("missing traceEvents or otherData.run")
    }
    self.fileName = fileName
    arch = Self.string(other["arch"]) ?? ""
    guard let mhz = Self.double(other["clock_mhz"]), mhz > 0 else { throw fail("otherData.clock_mhz is not a positive number") }
    guard mhz.isFinite, mhz <= Self.maximumClockMHz else {
      throw fail("otherData.clock_mhz is \(mhz); at most \(Int(Self.maximumClockMHz)) MHz")
    }
    clockMHz = mhz
    // A non-negative count at most `maximumCount`, or a malformed-trace error naming `what`.
    func count(_ value: Int64, _ what: String) throws(TraceError) -> Int64 {
      guard (0...Self.maximumCount).contains(value) else {
        throw fail("\(what) is \(value); expected 0 to 2^50")
      }
      return value
    }
    // Microseconds `us` as a cycle count at the trace's clock, range-checked.
    func cycle(_ us: Double, _ what: String) throws(TraceError) -> Int64 {
      let cycles = (us * mhz).rounded()
      guard cycles.isFinite, cycles >= 0, cycles <= Double(Self.maximumCount) else {
        throw fail("\(what) \(us) µs is outside the run (0 to 2^50 cycles at \(mhz) MHz)")
      }
      return Int64(cycles)
    }
    arrayRows = Int(Self.int(other["array_rows"]) ?? 0)
    arrayColumns = Int(Self.int(other["array_cols"]) ?? 0)
    level = TraceLevel(rawValue: Self.string(other["level"]) ?? "") ?? .layer
    if let w = Self.array(other["cycle_window"]), w.count == 2, let a = Self.int(w[0]), let b = Self.int(w[1]), b >= a {
      cycleWindow = try count(a, "otherData.cycle_window start")..<count(b, "otherData.cycle_window end")
    }
    if let r = Self.array(other["layer_range"]), r.count == 2, let a = Self.int(r[0]), let b = Self.int(r[1]), b >= a {
      layerRange = Int(a)...Int(b)
    }
    guard let cycles = Self.int(run["cycles"]) else { throw fail("otherData.run.cycles is missing or not a whole number") }
    self.cycles = try count(cycles, "otherData.run.cycles")
    utilization = Self.double(run["utilization"]) ?? 0
    func checked(_ layer: TraceLayer, _ what: String) throws(TraceError) -> TraceLayer {
      for (key, value) in layer.counters { _ = try count(value, "\(what) counter \(key)") }
      return layer
    }
    total = try checked(Self.layer(run, index: nil), "otherData.run")
    var layers: [TraceLayer] = []
    for (i, j) in (Self.array(run["layers"]) ?? []).enumerated() {
      layers.append(try checked(Self.layer(j, index: i), "otherData.run.layers[\(i)]"))
    }
    self.layers = layers
    unattributed = try checked(Self.layer(run["unattributed"] ?? .null, index: nil), "otherData.run.unattributed")
    var busy: [(unit: String, cycles: Int64)] = []
    for (k, v) in Self.pairs(other["unit_busy_cycles"]) {
      if let n = Self.int(v) { busy.append((k, try count(n, "otherData.unit_busy_cycles.\(k)"))) }
    }
    unitBusyCycles = busy
    var slices: [TraceSlice] = []
    var peaks: [TraceCounter: Int64] = [:]
    for (i, event) in events.enumerated() {
      if Self.string(event["ph"]) == "C", let name = Self.string(event["name"]), let counter = TraceCounter(rawValue: name),
        counter.memory != nil, let v = Self.int(event["args"]?[counter.argument])
      {
        peaks[counter] = max(peaks[counter] ?? 0, try count(v, "event #\(i) counter \(name)"))
        continue
      }
      guard let ph = Self.string(event["ph"]), ph == "X" || ph == "i" else { continue }
      guard let tid = Self.int(event["tid"]), let track = TraceTrack(rawValue: Int(tid)),
        let ts = Self.double(event["ts"])
      else { throw fail("event #\(i) has no valid tid or ts") }
      let start = try cycle(ts, "event #\(i) ts")
      var end = start
      if ph == "X" {
        guard let dur = Self.double(event["dur"]) else { throw fail("event #\(i) has no dur") }
        guard dur >= 0 else { throw fail("event #\(i) dur \(dur) µs is negative") }
        end = try cycle(ts + dur, "event #\(i) ts + dur")
      }
      let args = event["args"] ?? .null
      let waitCycles = try count(Self.int(args["wait_cycles"]) ?? 0, "event #\(i) wait_cycles")
      slices.append(
        TraceSlice(
          track: track, name: Self.string(event["name"]) ?? "", category: Self.string(event["cat"]) ?? "",
          start: start, end: end, pc: Self.int(args["pc"]).map(Int.init), layer: Self.int(args["layer"]).map(Int.init),
          stall: Self.string(args["stall"]), waitCycles: waitCycles))
    }
    self.slices = slices
    var peakOccupancy: [TracePeakOccupancy] = []
    for memory in OnChipMemory.allCases {
      let counter = TraceCounter.occupancy(of: memory)
      guard let bytes = peaks[counter] else { continue }
      let key = TraceCounter.capacityKey(of: memory)
      let capacity = try count(Self.int(other["memory_capacity_bytes"]?[key]) ?? 0, "otherData.memory_capacity_bytes.\(key)")
      peakOccupancy.append(TracePeakOccupancy(counter: counter, bytes: bytes, capacity: capacity))
    }
    self.peakOccupancy = peakOccupancy
  }

  // MARK: JSON helpers

  static func layer(_ j: JSONValue, index: Int?) -> TraceLayer {
    TraceLayer(
      index: index, name: string(j["name"]) ?? "", op: string(j["op"]) ?? "", utilization: double(j["utilization"]) ?? 0,
      counters: pairs(j["counters"]).compactMap { k, v in int(v).map { (k, $0) } },
      energy: pairs(j["energy_pj"]).compactMap { k, v in double(v).map { (k, $0) } })
  }

  static func pairs(_ j: JSONValue?) -> [(key: String, value: JSONValue)] {
    if case .object(let p) = j { return p }
    return []
  }
  static func array(_ j: JSONValue?) -> [JSONValue]? {
    if case .array(let a) = j { return a }
    return nil
  }
  static func string(_ j: JSONValue?) -> String? {
    if case .string(let s) = j { return s }
    return nil
  }
  static func int(_ j: JSONValue?) -> Int64? {
    switch j {
    case .int(let i): i
    case .double(let d) where d == d.rounded() && abs(d) < 9e18: Int64(d)
    default: nil
    }
  }
  static func double(_ j: JSONValue?) -> Double? {
    switch j {
    case .int(let i): Double(i)
    case .double(let d): d
    default: nil
    }
  }
}
