import Architecture
import CycleSim
import Foundation
import Pipeline
import Reporting
import Support
import SystoleTestSupport
import TFLiteImport
import Testing
import TileISA

/// Live bytes of each on-chip memory at every cycle, by a byte-level replay of the program in
/// program order with the simulated times: a byte holds a value from its writer's start until
/// the latest completion of its writer and every instruction that read it before it was
/// overwritten (an instruction that reads and writes a byte continues its value).
func replayOccupancy(_ program: TileProgram, _ events: RecordingObserver, cycles: Int64) -> [OnChipMemory: [Int64]] {
  var times: [Int: (start: Int64, end: Int64)] = [:]
  for e in events.executions { if let pc = e.instruction { times[pc] = (e.start.count, e.end.count) } }
  var result: [OnChipMemory: [Int64]] = [:]
  for memory in OnChipMemory.allCases {
    var diff = [Int64](repeating: 0, count: Int(cycles) + 1)
    var current: [Int: (start: Int64, end: Int64)] = [:]
    var readBy: [Int: Int] = [:]
    func close(_ interval: (start: Int64, end: Int64)) {
      guard interval.end > interval.start else { return }
      diff[Int(interval.start)] += 1
      diff[Int(interval.end)] -= 1
    }
    for (pc, instruction) in program.instructions.enumerated() {
      guard let t = times[pc], let accesses = instruction.memoryAccesses(in: program) else { continue }
      for access in accesses where access.space == memory.space && access.kind == .read {
        for range in access.ranges {
          for b in range {
            guard let value = current[b] else { continue }
            current[b] = (value.start, max(value.end, t.end))
            readBy[b] = pc
          }
        }
      }
      for access in accesses where access.space == memory.space && access.kind == .write {
        for range in access.ranges {
          for b in range {
            if let value = current[b], readBy[b] == pc {
              current[b] = (value.start, max(value.end, t.end))
            } else {
              if let value = current[b] { close(value) }
              current[b] = t
            }
          }
        }
      }
    }
    for value in current.values { close(value) }
    var live: Int64 = 0
    result[memory] = (0..<Int(cycles)).map { c in
      live += diff[c]
      return live
    }
  }
  return result
}

/// A counter's samples as (cycle, value), in file order.
func counterSeries(_ json: JSONValue, _ counter: TraceCounter, mhz: Double) -> [(cycle: Int64, value: Double)] {
  guard case .array(let events) = json["traceEvents"] else { return [] }
  return events.filter { $0["ph"] == .string("C") && $0["name"] == .string(counter.rawValue) }.compactMap { e in
    guard let ts = number(e["ts"]), let v = number(e["args"]?[counter.argument]) else { return nil }
    return (Int64((ts * mhz).rounded()), v)
  }
}

/// The value a counter holds at `cycle` (its last sample at or before it).
func value(_ series: [(cycle: Int64, value: Double)], at cycle: Int64) -> Double? {
  series.last { $0.cycle <= cycle }?.value
}

/// Traces a compiled committed model on toy-4x4, with a recorder beside the writer.
func tracedModel(_ network: String, options: TraceOptions = TraceOptions(maxCounterSamples: 1_000_000)) throws
  -> (json: String, result: SimulationResult, events: RecordingObserver, program: TileProgram)
{
  let model = try loadResolvedModel(Fixtures.model("\(network).tflite"))
  let arch = ArchSpec.toy4x4
  let runOptions = RunPipeline.Options(baseline: false)
  let compiled = try RunPipeline.compile(model: model, arch: arch, options: runOptions)
  var tee = Tee(
    writer: PerfettoTraceWriter(program: compiled.program, arch: arch, options: options, output: ""),
    recorder: RecordingObserver())
  let result = try RunPipeline.run(model: model, arch: arch, options: runOptions, compiled: compiled, observer: &tee)
  tee.writer.finish(result.simulation)
  return (tee.writer.output, result.simulation, tee.recorder, compiled.program)
}

@Suite("trace counters, stall reasons and tiles")
struct TraceCounterTests {
  /// Every cycle's occupancy in the trace (one sample per cycle) equals the byte-level replay.
  func checkOccupancy(json text: String, program: TileProgram, events: RecordingObserver, cycles: Int64) throws {
    let json = try JSONValue.parse(text)
    let mhz = ArchSpec.toy4x4.clock.value
    let expected = replayOccupancy(program, events, cycles: cycles)
    for memory in OnChipMemory.allCases {
      let series = counterSeries(json, .occupancy(of: memory), mhz: mhz)
      let want = try #require(expected[memory])
      #expect(want.contains { $0 > 0 }, "\(memory) is never used")
      var mismatches = 0
      var next = 0
      var current: Double?
      for c in 0..<cycles {
        while next < series.count && series[next].cycle <= c {
          current = series[next].value
          next += 1
        }
        if current != Double(want[Int(c)]) { mismatches += 1 }
      }
      #expect(mismatches == 0, "\(memory): \(mismatches) of \(cycles) cycles differ")
      #expect(series.last?.value == 0 && series.last?.cycle == cycles)
      #expect(Double(want.max() ?? 0) <= Double(program.limits.capacityBytes(of: memory)))
    }
  }

  @Test("occupancy counters equal a byte-level replay of the two-layer program, cycle by cycle")
  func occupancyOfTheTwoLayerProgram() throws {
    let run = try TracedRun(options: TraceOptions(maxCounterSamples: 100_000))
    try checkOccupancy(json: run.json, program: run.program, events: run.events, cycles: run.result.cycles.count)
    // By hand: the first load puts the 36 input bytes of layer 0 in the unified buffer at its start.
    let json = try JSONValue.parse(run.json)
    let ub = counterSeries(json, .unifiedBufferOccupancy, mhz: ArchSpec.toy4x4.clock.value)
    let first = try #require(run.events.execution(of: 0))
    #expect(value(ub, at: first.start.count) == 36)
  }

  @Test("occupancy counters equal a byte-level replay on compiled models", arguments: ["mlp_int8", "convpool_int8"])
  func occupancyOfCompiledModels(_ network: String) throws {
    let t = try tracedModel(network)
    try checkOccupancy(json: t.json, program: t.program, events: t.events, cycles: t.result.cycles.count)
  }

  @Test("with fewer samples each occupancy sample is the peak of its interval; a window keeps the values")
  func sampledAndWindowed() throws {
    let full = try TracedRun(options: TraceOptions(maxCounterSamples: 100_000))
    let cycles = full.result.cycles.count
    let mhz = ArchSpec.toy4x4.clock.value
    let fullJSON = try JSONValue.parse(full.json)
    let coarse = try TracedRun(options: TraceOptions(maxCounterSamples: 7))
    let coarseJSON = try JSONValue.parse(coarse.json)
    let width = (cycles + 6) / 7
    for memory in OnChipMemory.allCases {
      let exact = counterSeries(fullJSON, .occupancy(of: memory), mhz: mhz)
      let sampled = counterSeries(coarseJSON, .occupancy(of: memory), mhz: mhz)
      for bucket in stride(from: Int64(0), to: cycles, by: Int(width)) {
        let peak = (bucket..<min(cycles, bucket + width)).compactMap { value(exact, at: $0) }.max()
        #expect(value(sampled, at: bucket) == peak, "\(memory) bucket at \(bucket)")
      }
    }
    let window = (cycles / 4)..<(3 * cycles / 4)
    let windowed = try TracedRun(options: TraceOptions(cycleWindow: window, maxCounterSamples: 100_000))
    #expect(TraceValidator.validate(bytes: windowed.bytes).isEmpty)
    let windowJSON = try JSONValue.parse(windowed.json)
    for memory in OnChipMemory.allCases {
      let exact = counterSeries(fullJSON, .occupancy(of: memory), mhz: mhz)
      let inside = counterSeries(windowJSON, .occupancy(of: memory), mhz: mhz)
      #expect(inside.first?.cycle == window.lowerBound && inside.last?.cycle == window.upperBound)
      for c in window { #expect(value(inside, at: c) == value(exact, at: c), "\(memory) at \(c)") }
    }
  }

  @Test("the validator rejects an occupancy above the capacity in otherData")
  func validatorChecksCapacity() throws {
    let run = try TracedRun()
    let capacity = run.program.limits.capacityBytes(of: .weightBuffer)
    #expect(run.json.contains("\"memory_capacity_bytes\":{\"unified_buffer\":1024,\"weight_buffer\":\(capacity),"))
    // The first weight-buffer sample's value, replaced by one byte more than fits.
    let name = try #require(run.json.range(of: "\"name\":\"weight buffer occupancy\""))
    let key = try #require(run.json.range(of: "\"bytes\":", range: name.upperBound..<run.json.endIndex))
    let close = try #require(run.json.range(of: "}", range: key.upperBound..<run.json.endIndex))
    let tampered = run.json.replacingCharacters(in: key.upperBound..<close.lowerBound, with: "\(capacity + 1)")
    let problems = TraceValidator.validate(bytes: Array(tampered.utf8))
    #expect(
      problems.contains {
        $0.hasSuffix("'weight buffer occupancy' bytes = \(Double(capacity + 1)) is outside 0…\(capacity)")
      })
  }

  @Test("docs/traces.md and Traces/README.md name every stall reason and counter")
  func documented() throws {
    for file in ["docs/traces.md", "Traces/README.md"] {
      let text = String(decoding: try Data(contentsOf: Fixtures.root.appendingPathComponent(file)), as: UTF8.self)
      for reason in StallReason.allCases { #expect(text.contains("`\(reason.rawValue)`"), "\(file): \(reason)") }
      for counter in TraceCounter.allCases { #expect(text.contains(counter.rawValue), "\(file): \(counter)") }
    }
  }

  @Test("instruction args: a stall reason exactly when the instruction waited; tile coordinates from the program")
  func stallAndTileArgs() throws {
    let t = try tracedModel("mlp_int8", options: TraceOptions())
    let json = try JSONValue.parse(t.json)
    guard case .array(let events) = json["traceEvents"] else {
      Issue.record("no events")
      return
    }
    let reasons = Set(StallReason.allCases.map(\.rawValue))
    var seen = Set<String>()
    var matmuls = 0
    for e in events where e["cat"] == .string("instruction") {
      let args = try #require(e["args"])
      let pc = try #require(number(args["pc"]).map { Int($0) })
      let wait = try #require(number(args["wait_cycles"]))
      if case .string(let s) = args["stall"] {
        #expect(wait > 0 && reasons.contains(s), "pc \(pc): \(s) after \(wait) cycles")
        seen.insert(s)
      } else {
        #expect(wait == 0, "pc \(pc) waited \(wait) cycles without a reason")
      }
      let tile = t.program.tile(at: pc)
      #expect(number(args["tile_m"]).map { Int($0) } == tile?.m, "pc \(pc)")
      #expect(number(args["tile_n"]).map { Int($0) } == tile?.n, "pc \(pc)")
      #expect(number(args["tile_k"]).map { Int($0) } == tile?.k, "pc \(pc)")
      if e["name"] == .string("matmul") {
        matmuls += 1
        #expect(
          tile?.m != nil && tile?.n != nil && tile?.k != nil, "matmul at pc \(pc) has tile \(String(describing: tile))")
      }
    }
    #expect(matmuls > 1)
    #expect(seen.count >= 3, "\(seen)")
  }
}
