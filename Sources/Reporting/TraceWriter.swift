import Architecture
import CycleSim
import Foundation
import Support
import TileISA

/// A `SimulationObserver` that writes the run as a Chrome Trace Event Format JSON file, which
/// ui.perfetto.dev and chrome://tracing open (`docs/traces.md`).
///
/// One process per run; one track per hardware unit (`TraceTrack`, fixed order through
/// `thread_sort_index`); one `X` slice per instruction from its `start` to its `busyUntil` (so
/// slices on a track never overlap), with `args` naming the pc, opcode, layer and work; a layers
/// track with the cycles attributed to each layer (non-overlapping by the simulator's rule:
/// a layer owns the part of its span no lower-indexed layer's span covers); an array-state track
/// with the cycle classes; counter tracks for MAC utilization, DRAM bandwidth and the occupancy
/// of each on-chip memory (`TraceCounter`; lifetimes from `TileProgram.liveRanges()`, placed at
/// the simulated start and end times). Times are
/// microseconds: `ts = cycle / clock_mhz`. `otherData` holds the architecture, the clock and the
/// run's report (`SimulationResult.json`), so trace tools print the same figures as the run.
///
/// Events are written to `output` as they arrive (no whole trace in memory); call `finish(_:)`
/// with the run's result to write the layers, counters and `otherData` and close the JSON.
///
/// ```swift
/// var writer = PerfettoTraceWriter(program: program, arch: arch, options: TraceOptions(), output: "")
/// var simulator = Simulator(arch: arch, program: program)
/// let result = try simulator.run(inputs: nil, observer: &writer)
/// writer.finish(result)
/// let json = writer.output
/// ```
public struct PerfettoTraceWriter<Output: TextOutputStream>: SimulationObserver {
  /// Where the JSON goes.
  public private(set) var output: Output
  /// The volume control.
  public let options: TraceOptions
  private let program: TileProgram
  private let arch: ArchSpec
  private let mhz: Double
  private var wroteEvent = false
  private var finished = false
  /// First start and last end of each layer's instructions.
  private var spans: [(start: Int64, end: Int64)?]
  /// Busy cycles per unit (`busyUntil − start`, every instruction, whatever the filter).
  private var busy: [SimulationUnit: Int64] = [:]
  /// Rate changes of the counter tracks: MACs per cycle and DRAM bytes per cycle.
  private var rateChanges: [(cycle: Int64, macs: Double, dram: Double)] = []
  /// Start and end of every instruction that ran, by program index (for buffer occupancy).
  private var times: [(start: Int64, end: Int64)?]

  /// The process id of the run in the trace.
  public static var pid: Int { 1 }

  /// Creates a writer and writes the trace's opening and its track metadata to `output`.
  public init(program: TileProgram, arch: ArchSpec, options: TraceOptions = TraceOptions(), output: Output) {
    self.program = program
    self.arch = arch
    self.options = options
    self.output = output
    mhz = arch.clock.value > 0 ? arch.clock.value : 1
    spans = Array(repeating: nil, count: program.layers.count)
    times = Array(repeating: nil, count: program.instructions.count)
    self.output.write("{\"traceEvents\":[\n")
    emit(
      "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\(JSONValue.quoted("systole: \(arch.name)"))}}"
    )
    for track in TraceTrack.allCases {
      emit(
        "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":\(track.rawValue),\"args\":{\"name\":\"\(track)\"}}")
      emit(
        "{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":1,\"tid\":\(track.rawValue),\"args\":{\"sort_index\":\(track.rawValue)}}"
      )
    }
  }

  /// Writes one event (array-state and instruction events become slices; see the type's doc).
  public mutating func observe(_ event: SimulationEvent) {
    let (start, busyUntil, end) = (event.start.count, event.busyUntil.count, event.end.count)
    if let cycleClass = event.cycleClass {
      guard inWindow(start, end), options.layerRange == nil else { return }
      var args = "\"cycle_class\":\"\(cycleClass)\",\"cycles\":\(end - start)"
      if let head = event.instruction { args += ",\"head_pc\":\(head)" }
      emit(slice(track: .arrayState, name: cycleClass.rawValue, category: "array_state", start, end, args))
      return
    }
    guard let pc = event.instruction, program.instructions.indices.contains(pc) else { return }
    let instruction = program.instructions[pc]
    busy[event.unit, default: 0] += busyUntil - start
    times[pc] = (start, end)
    if let layer = event.layer?.value, spans.indices.contains(layer) {
      if let span = spans[layer] {
        spans[layer] = (min(span.start, start), max(span.end, end))
      } else {
        spans[layer] = (start, end)
      }
    }
    let macs: Int
    var bytes = 0
    switch instruction.operation {
    case .matmul(let m):
      macs = m.macCount
      if busyUntil > start {
        rateChanges.append((start, Double(macs) / Double(busyUntil - start), 0))
        rateChanges.append((busyUntil, -Double(macs) / Double(busyUntil - start), 0))
      }
    case .load(let dma), .store(let dma):
      macs = 0
      bytes = dma.totalBytes
      // Arena transfers stay on chip: only DRAM-backed ones feed the DRAM bandwidth counter.
      if end > start && dma.backing == .dram {
        rateChanges.append((start, 0, Double(bytes) / Double(end - start)))
        rateChanges.append((end, 0, -Double(bytes) / Double(end - start)))
      }
    case .loadWeights(let w):
      macs = 0
      bytes = w.rows &* w.rowBytes(elementBytes: program.datapath.elementBytes)
    default:
      macs = 0
    }
    guard options.level == .instruction, inWindow(start, busyUntil) else { return }
    if let range = options.layerRange {
      guard let layer = event.layer?.value, range.contains(layer) else { return }
    }
    var args = "\"pc\":\(pc),\"opcode\":\"\(instruction.mnemonic)\",\"unit\":\"\(event.unit)\""
    if let layer = event.layer?.value, program.layers.indices.contains(layer) {
      let info = program.layers[layer]
      args += ",\"layer\":\(layer),\"layer_name\":\(JSONValue.quoted(info.name)),\"op\":\(JSONValue.quoted(info.opName))"
    }
    args += ",\"queued\":\(event.queued.count),\"start\":\(start),\"busy_until\":\(busyUntil),\"end\":\(end)"
    args += ",\"wait_cycles\":\(start - event.queued.count)"
    if let stall = event.stall { args += ",\"stall\":\"\(stall)\"" }
    if let tile = program.tile(at: pc) {
      for (name, value) in tile.components { args += ",\"tile_\(name)\":\(value)" }
    }
    if macs > 0 { args += ",\"macs\":\(macs)" }
    if bytes > 0 { args += ",\"bytes\":\(bytes)" }
    args += Self.detail(of: instruction.operation)
    if event.unit == .control {
      emit(
        "{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"instruction\",\"name\":\"\(instruction.mnemonic)\",\"pid\":1,\"tid\":\(TraceTrack.control.rawValue),\"ts\":\(time(start)),\"args\":{\(args)}}"
      )
    } else {
      emit(slice(track: TraceTrack.of(event.unit), name: instruction.mnemonic, category: "instruction", start, busyUntil, args))
    }
  }

  /// Writes the layers track, the counter tracks and `otherData` (with `result.json`), and closes
  /// the JSON. Call once, after the run; later calls do nothing.
  public mutating func finish(_ result: SimulationResult) {
    guard !finished else { return }
    finished = true
    let total = result.cycles.count
    // Layers: each layer owns the part of its span no lower-indexed layer's span covers.
    for piece in Self.ownedPieces(spans: spans) {
      guard inWindow(piece.start, piece.end) else { continue }
      if let range = options.layerRange, !range.contains(piece.layer) { continue }
      let info = program.layers[piece.layer]
      let args =
        "\"layer\":\(piece.layer),\"layer_name\":\(JSONValue.quoted(info.name)),\"op\":\(JSONValue.quoted(info.opName)),\"cycles\":\(piece.end - piece.start)"
      emit(slice(track: .layers, name: info.name, category: "layer", piece.start, piece.end, args))
    }
    writeCounters(total: total)
    var busyPairs: [(key: String, value: JSONValue)] = []
    for unit in SimulationUnit.allCases where unit != .control {
      busyPairs.append((unit.rawValue, .int(busy[unit] ?? 0)))
    }
    let window: JSONValue =
      options.cycleWindow.map { .array([.int($0.lowerBound), .int(min($0.upperBound, total))]) } ?? .null
    let layers: JSONValue =
      options.layerRange.map { .array([.int($0.lowerBound), .int($0.upperBound)]) } ?? .null
    let other: JSONValue = .object([
      ("generator", .string("systole")),
      ("format_version", .int(2)),
      ("arch", .string(arch.name)),
      ("clock_mhz", .double(arch.clock.value)),
      ("time_unit", .string("ts and dur in microseconds: cycle / clock_mhz")),
      ("array_rows", .int(arch.array.rows)),
      ("array_cols", .int(arch.array.cols)),
      (
        "memory_capacity_bytes",
        .object(
          OnChipMemory.allCases.map { (TraceCounter.capacityKey(of: $0), .int(program.limits.capacityBytes(of: $0))) })
      ),
      ("level", .string(options.level.rawValue)),
      ("cycle_window", window),
      ("layer_range", layers),
      ("complete", .bool(options.isComplete)),
      ("unit_busy_cycles", .object(busyPairs)),
      ("run", result.json),
    ])
    output.write("\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":")
    output.write(other.serialized(pretty: false))
    output.write("}\n")
  }

  // MARK: Pieces

  /// The layers track's slices: walking the layers in table order, each owns the parts of its
  /// span (first start to last end) that no lower-indexed layer's span covers — the rule of
  /// `docs/cost-model.md` §11, so each layer's pieces sum to its reported cycles.
  static func ownedPieces(spans: [(start: Int64, end: Int64)?]) -> [(start: Int64, end: Int64, layer: Int)] {
    var owned: [(start: Int64, end: Int64, layer: Int)] = []
    var covered: [(start: Int64, end: Int64)] = []  // sorted, disjoint
    for (layer, span) in spans.enumerated() {
      guard let span, span.end > span.start else { continue }
      var cursor = span.start
      for c in covered where c.end > cursor && c.start < span.end {
        if c.start > cursor { owned.append((cursor, c.start, layer)) }
        cursor = max(cursor, c.end)
      }
      if cursor < span.end { owned.append((cursor, span.end, layer)) }
      covered.append(span)
      covered.sort { $0.start < $1.start }
      var merged: [(start: Int64, end: Int64)] = []
      for c in covered {
        if let last = merged.last, c.start <= last.end {
          merged[merged.count - 1].end = max(last.end, c.end)
        } else {
          merged.append(c)
        }
      }
      covered = merged
    }
    return owned.sorted { $0.start < $1.start }
  }

  /// Per on-chip memory (in `OnChipMemory.allCases` order), the changes of its live bytes,
  /// sorted by cycle and summed per cycle: each live range adds its bytes when its writer
  /// starts and removes them when the last of its last uses completes.
  private func occupancyChanges() -> [[(cycle: Int64, bytes: Int64)]] {
    var changes = [[(cycle: Int64, bytes: Int64)]](repeating: [], count: OnChipMemory.allCases.count)
    for range in program.liveRanges() {
      guard let m = OnChipMemory.allCases.firstIndex(of: range.memory), let written = times[range.writer] else {
        continue
      }
      var end = written.end
      for use in range.lastUses { if let t = times[use] { end = max(end, t.end) } }
      guard end > written.start, range.byteCount > 0 else { continue }
      changes[m].append((written.start, Int64(range.byteCount)))
      changes[m].append((end, -Int64(range.byteCount)))
    }
    return changes.map { list in
      var merged: [(cycle: Int64, bytes: Int64)] = []
      for c in list.sorted(by: { $0.cycle < $1.cycle }) {
        if let last = merged.last, last.cycle == c.cycle {
          merged[merged.count - 1].bytes += c.bytes
        } else {
          merged.append(c)
        }
      }
      return merged
    }
  }

  private mutating func writeCounters(total: Int64) {
    let lower = max(0, options.cycleWindow?.lowerBound ?? 0)
    let upper = min(total, options.cycleWindow?.upperBound ?? total)
    guard upper > lower else { return }
    let length = upper - lower
    let samples = Int64(options.maxCounterSamples)
    let width = max(1, (length + samples - 1) / samples)
    let changes = rateChanges.sorted { $0.cycle < $1.cycle }
    let peak = Double(arch.array.rows) * Double(arch.array.cols)
    // GB/s = bytes per cycle × cycles per second / 1e9 = bytes per cycle × MHz / 1000.
    let toGBps = mhz / 1000
    var macRate = 0.0
    var dramRate = 0.0
    var next = 0
    // Integrates the piecewise-constant rates over [a, b).
    func integrate(_ a: Int64, _ b: Int64) -> (macs: Double, bytes: Double) {
      var macs = 0.0
      var bytes = 0.0
      var cursor = a
      while cursor < b {
        while next < changes.count && changes[next].cycle <= cursor {
          macRate += changes[next].macs
          dramRate += changes[next].dram
          next += 1
        }
        let until = next < changes.count ? min(b, changes[next].cycle) : b
        macs += max(0, macRate) * Double(until - cursor)
        bytes += max(0, dramRate) * Double(until - cursor)
        cursor = until
      }
      return (macs, bytes)
    }
    // Occupancy: live bytes as a step function; each sample is its peak over the interval.
    let occupancy = occupancyChanges()
    let memories = OnChipMemory.allCases
    var live = [Int64](repeating: 0, count: memories.count)
    var nextChange = [Int](repeating: 0, count: memories.count)
    /// Applies the changes at cycles ≤ `a`; then the peak over [a, b) (changes at a < c < b).
    func highWater(_ m: Int, _ a: Int64, _ b: Int64) -> Int64 {
      let list = occupancy[m]
      while nextChange[m] < list.count && list[nextChange[m]].cycle <= a {
        live[m] += list[nextChange[m]].bytes
        nextChange[m] += 1
      }
      var high = live[m]
      var j = nextChange[m]
      var value = live[m]
      while j < list.count && list[j].cycle < b {
        value += list[j].bytes
        high = max(high, value)
        j += 1
      }
      return high
    }
    _ = integrate(0, lower)
    var last: (Double, Double)?
    var lastPeaks = [Int64?](repeating: nil, count: memories.count)
    var bucket = lower
    while bucket < upper {
      let end = min(upper, bucket + width)
      let (macs, bytes) = integrate(bucket, end)
      let cycles = Double(end - bucket)
      let utilization = (macs / (peak * cycles) * 1e6).rounded() / 1e6
      let bandwidth = (bytes / cycles * toGBps * 1e6).rounded() / 1e6
      if last?.0 != utilization { emitCounter(.macUtilization, at: bucket, Self.number(utilization)) }
      if last?.1 != bandwidth { emitCounter(.dramBandwidth, at: bucket, Self.number(bandwidth)) }
      last = (utilization, bandwidth)
      for m in memories.indices {
        let high = highWater(m, bucket, end)
        if lastPeaks[m] != high { emitCounter(.occupancy(of: memories[m]), at: bucket, String(high)) }
        lastPeaks[m] = high
      }
      bucket = end
    }
    emitCounter(.macUtilization, at: upper, "0")
    emitCounter(.dramBandwidth, at: upper, "0")
    for m in memories.indices {
      _ = highWater(m, upper, upper)
      emitCounter(.occupancy(of: memories[m]), at: upper, String(live[m]))
    }
  }

  private mutating func emitCounter(_ counter: TraceCounter, at cycle: Int64, _ value: String) {
    emit(
      "{\"ph\":\"C\",\"name\":\"\(counter)\",\"pid\":1,\"ts\":\(time(cycle)),\"args\":{\"\(counter.argument)\":\(value)}}"
    )
  }

  // MARK: Formatting

  private mutating func emit(_ text: String) {
    output.write(wroteEvent ? ",\n" + text : text)
    wroteEvent = true
  }

  private func inWindow(_ start: Int64, _ end: Int64) -> Bool {
    guard let window = options.cycleWindow else { return true }
    return end > start ? start < window.upperBound && end > window.lowerBound : window.contains(start)
  }

  private func time(_ cycle: Int64) -> String { Self.number(Double(cycle) / mhz) }

  private func slice(
    track: TraceTrack, name: String, category: String, _ start: Int64, _ end: Int64, _ args: String
  ) -> String {
    // dur = end/f − start/f, so ts + dur lands on the next slice's ts.
    let ts = Double(start) / mhz
    let dur = Double(end) / mhz - ts
    return
      "{\"ph\":\"X\",\"cat\":\"\(category)\",\"name\":\(JSONValue.quoted(name)),\"pid\":1,\"tid\":\(track.rawValue),\"ts\":\(Self.number(ts)),\"dur\":\(Self.number(dur)),\"args\":{\(args)}}"
  }

  /// A JSON number: integers without a fraction, others in Swift's shortest round-trip form.
  static func number(_ d: Double) -> String {
    if !d.isFinite { return "0" }
    if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
    return "\(d)"
  }

  /// Instruction-specific `args`: DMA memory and addresses, matmul geometry, weight slot.
  private static func detail(of operation: TileISA.Operation) -> String {
    switch operation {
    case .load(let d), .store(let d):
      if d.backing == .arena {
        return ",\"memory\":\"\(d.memory)\",\"sram\":\(d.sramAddress.byteOffset),\"arena\":\(d.dramAddress.byteOffset)"
      }
      return ",\"memory\":\"\(d.memory)\",\"sram\":\(d.sramAddress.byteOffset),\"dram\":\(d.dramAddress.byteOffset)"
    case .loadWeights(let w):
      return ",\"slot\":\(w.slot.rawValue),\"k\":\(w.rows),\"n\":\(w.columns)"
        + (w.packing.isPacked ? ",\"packing\":\"\(w.packing)\"" : "")
        + (w.levels.map { ",\"level_group\":\($0.group),\"level_table_bytes\":\(w.levelTableBytes)" } ?? "")
    case .matmul(let m):
      return
        ",\"slot\":\(m.weightSlot.rawValue),\"pixels\":\(m.window.outputPixels),\"k\":\(m.reductionSize),\"n\":\(m.columns),\"acc_row\":\(m.accRow.index),\"dataflow\":\"\(m.dataflow)\""
    case .host(let task):
      return ",\"task\":\(task.value)"
    default:
      return ""
    }
  }
}

/// A `TextOutputStream` that writes UTF-8 to a `FileHandle` through a 64 KiB buffer, so a large
/// trace never sits in memory. Call `close()` at the end; it flushes and reports a write error.
public final class TraceFileStream: TextOutputStream {
  private let handle: FileHandle
  private var buffer: [UInt8] = []
  /// The first write error, if any (later writes are dropped).
  public private(set) var error: (any Error)?
  /// Bytes written so far (buffered ones included).
  public private(set) var byteCount = 0

  /// A stream writing to `handle`.
  public init(handle: FileHandle) {
    self.handle = handle
    buffer.reserveCapacity(1 << 16)
  }

  /// Appends `string`'s UTF-8 bytes.
  public func write(_ string: String) {
    buffer.append(contentsOf: string.utf8)
    byteCount += string.utf8.count
    if buffer.count >= 1 << 16 { flush() }
  }

  /// Writes the buffered bytes to the file.
  public func flush() {
    guard !buffer.isEmpty, error == nil else {
      buffer.removeAll(keepingCapacity: true)
      return
    }
    do {
      try handle.write(contentsOf: buffer)
    } catch {
      self.error = error
    }
    buffer.removeAll(keepingCapacity: true)
  }

  /// Flushes; throws the first write error.
  public func close() throws {
    flush()
    if let error { throw error }
  }
}
