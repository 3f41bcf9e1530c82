import Architecture
import CycleSim
import Foundation
import Reporting
import Support
import SystoleTestSupport
import Testing
import TileISA

@Suite("trace tools")
struct TraceToolTests {
  @Test("summary agrees exactly with the SimulationResult")
  func summaryAgrees() throws {
    let run = try TracedRun()
    let s = try run.trace().summaryFigures
    let r = run.result
    #expect(s.cycles == r.cycles.count)
    #expect(s.utilization == r.utilization)
    #expect(s.macs == r.total.macs)
    #expect(s.dramBytes == r.total.dramBytes)
    #expect(s.energyPicojoules == r.energy.total.value)
    var busy: [String: Int64] = [:]
    for e in run.events.executions { busy[e.unit.rawValue, default: 0] += e.busyUntil.count - e.start.count }
    for (unit, cycles) in s.unitBusyCycles { #expect(cycles == busy[unit, default: 0], "\(unit)") }
    let stallSum = s.stalls.reduce(Int64(0)) { $0 + $1.cycles }
    #expect(stallSum + r.total[.arrayActiveCycles] == r.cycles.count)
    let text = try run.trace().summary()
    #expect(text.contains("cycles       \(groupedDigits(Int(r.cycles.count)))"))
    #expect(text.contains(String(format: "utilization  %.2f%%", r.utilization * 100)))
  }

  @Test("summary: instruction waits by stall reason and peak occupancy, from the trace's slices and counters")
  func summaryWaitsAndPeaks() throws {
    let run = try TracedRun()
    let s = try run.trace().summaryFigures
    var waits: [String: (cycles: Int64, instructions: Int)] = [:]
    for e in run.events.executions {
      guard let stall = e.stall else { continue }
      waits[stall.rawValue, default: (0, 0)].cycles += e.start.count - e.queued.count
      waits[stall.rawValue, default: (0, 0)].instructions += 1
    }
    #expect(!waits.isEmpty)
    #expect(s.waits.count == waits.count)
    for w in s.waits {
      #expect(waits[w.reason]?.cycles == w.cycles && waits[w.reason]?.instructions == w.instructions, "\(w.reason)")
    }
    #expect(zip(s.waits, s.waits.dropFirst()).allSatisfy { $0.cycles >= $1.cycles })
    let replay = replayOccupancy(run.program, run.events, cycles: run.result.cycles.count)
    #expect(s.peakOccupancy.map(\.counter) == OnChipMemory.allCases.map { TraceCounter.occupancy(of: $0) })
    for p in s.peakOccupancy {
      let memory = try #require(p.counter.memory)
      #expect(p.bytes == replay[memory]?.max())
      #expect(p.capacity == Int64(run.program.limits.capacityBytes(of: memory)))
    }
    let text = try run.trace().summary()
    #expect(text.contains("instructions waited for"))
    #expect(text.contains("peak live bytes"))
    // Layer level: no instruction slices, so no waits; the counters are still there.
    let layers = try TracedRun(options: TraceOptions(level: .layer)).trace().summaryFigures
    #expect(layers.waits.isEmpty && layers.peakOccupancy.count == 3)
  }

  @Test("layers table sorts by cycles, name, energy and DRAM bytes")
  func layersTable() throws {
    let trace = try TracedRun().trace()
    let byCycles = trace.layersTable(sortedBy: .cycles).split(separator: "\n")
    let a = trace.layers[0].cycles >= trace.layers[1].cycles ? "conv_a" : "conv_b"
    #expect(byCycles[2].contains(a))
    let byName = trace.layersTable(sortedBy: .name).split(separator: "\n")
    #expect(byName[2].contains("conv_a") && byName[3].contains("conv_b"))
    #expect(byName.last?.contains("(unattributed)") == true)
    #expect(byName.count == 2 + trace.layers.count + 1)
  }

  @Test("long layer names are shortened in the middle to fit a width; JSON keeps them whole")
  func longNames() throws {
    #expect(SystoleTrace.middleTruncated("abcdefghij", to: 5) == "ab…ij")
    #expect(SystoleTrace.middleTruncated("abcdefghij", to: 6) == "abc…ij")
    #expect(SystoleTrace.middleTruncated("abcdefghij", to: 10) == "abcdefghij")
    let t = try tracedModel("mlp_int8", options: TraceOptions(level: .layer))
    let trace = try SystoleTrace(bytes: Array(t.json.utf8), fileName: "mlp.json")
    let longest = trace.layers.map(\.name.count).max() ?? 0
    #expect(longest > 60)
    let wide = trace.layersTable()
    #expect(trace.layers.allSatisfy { wide.contains($0.name) })
    // A width too narrow for the other columns shortens names to 16 characters and no further.
    #expect(trace.layersTable(width: 40) == trace.layersTable(width: 1))
    let narrow = trace.layersTable(width: 1)
    for l in trace.layers where l.name.count > 16 {
      #expect(!narrow.contains(l.name) && narrow.contains(SystoleTrace.middleTruncated(l.name, to: 16)))
    }
    for width in [120, 140] {
      let table = trace.layersTable(sortedBy: .cycles, width: width)
      for line in table.split(separator: "\n") { #expect(line.count <= width, "\(line)") }
      #expect(table.contains("…"))
      let diff = trace.diff(trace, width: width)
      for line in diff.split(separator: "\n").dropFirst() { #expect(line.count <= width, "\(line)") }
    }
    let json = trace.layersJSON(sortedBy: .cycles)
    guard case .array(let rows)? = json["layers"] else {
      Issue.record("no layers array")
      return
    }
    #expect(Set(rows.compactMap { row -> String? in if case .string(let n)? = row["name"] { n } else { nil } })
      == Set(trace.layers.map(\.name)))
    #expect(json["unattributed"]?["cycles"] == .int(trace.unattributed.cycles))
    let cycles = rows.compactMap { row -> Int64? in if case .int(let c)? = row["cycles"] { c } else { nil } }
    #expect(cycles == cycles.sorted(by: >) && cycles.count == trace.layers.count)
    let diff = trace.diffJSON(trace)
    #expect(diff["total"]?["delta"]?["cycles"] == .int(0))
    guard case .array(let diffRows)? = diff["layers"] else {
      Issue.record("no diff layers")
      return
    }
    #expect(diffRows.first?["name_a"] == .string(trace.layers[0].name))
  }

  @Test("show fits the width and marks busy cycles")
  func show() throws {
    let trace = try TracedRun().trace()
    for width in [40, 80, 200] {
      let text = try trace.show(width: width)
      for line in text.split(separator: "\n") where line.contains("│") { #expect(line.count <= width, "\(line)") }
    }
    let layer = try trace.show(layer: 1, width: 60)
    #expect(layer.contains("1"))
    #expect(throws: TraceError.self) { try trace.show(layer: 9) }
    #expect(throws: TraceError.self) { try trace.show(window: 100_000..<100_010) }
  }

  @Test("show snapshot of a tiny program")
  func showSnapshot() throws {
    let text = try TracedRun().trace(named: "two-layers.json").show(width: 80)
    assertSnapshot(text, named: "trace-show-two-layers.txt")
  }

  @Test("diff of a trace with itself is all zeros; with another run it shows the change")
  func diff() throws {
    let a = try TracedRun().trace(named: "a.json")
    let same = a.diff(a)
    #expect(!same.contains("+"))
    var slow = ArchSpec.toy4x4
    slow.dram.latencyNanoseconds *= 4
    let b = try TracedRun(arch: slow).trace(named: "b.json")
    let text = a.diff(b)
    #expect(text.hasPrefix("A = a.json (toy-4x4), B = b.json"))
    let delta = b.cycles - a.cycles
    #expect(delta > 0)
    #expect(text.contains("+" + groupedDigits(Int(delta))))
  }

  @Test("files that are not Systole traces are rejected with one line naming the file", arguments: [
    ("{", "bad.json: not a trace: invalid JSON at line 1, column 2"),
    (#"{"traceEvents":[]}"#, "bad.json: not a Systole trace (otherData.generator is not \"systole\"); write one with PerfettoTraceWriter / --trace"),
    (#"{"traceEvents":[],"otherData":{"generator":"chrome"}}"#, "bad.json: not a Systole trace (otherData.generator is not \"systole\"); write one with PerfettoTraceWriter / --trace"),
    (#"{"traceEvents":[],"otherData":{"generator":"systole"}}"#, "bad.json: malformed Systole trace: missing traceEvents or otherData.run"),
  ])
  func rejects(text: String, message: String) {
    do {
      _ = try SystoleTrace(bytes: Array(text.utf8), fileName: "bad.json")
      Issue.record("accepted \(text)")
    } catch {
      #expect(error.description.hasPrefix(message), "\(error.description)")
      #expect(!error.description.contains("\n"))
    }
  }

  @Test("the validator reports overlapping slices, unknown phases and non-numeric counters")
  func validatorFindsProblems() {
    let text = """
      {"traceEvents":[
      {"ph":"X","pid":1,"tid":1,"ts":0,"dur":10,"name":"a"},
      {"ph":"X","pid":1,"tid":1,"ts":5,"dur":10,"name":"b"},
      {"ph":"X","pid":1,"tid":1,"ts":20,"dur":10,"name":"c"},
      {"ph":"X","pid":1,"tid":1,"ts":22,"dur":2,"name":"nested"},
      {"ph":"Q","pid":1,"tid":1,"ts":0},
      {"ph":"C","pid":1,"ts":0,"name":"c","args":{"v":"x"}}
      ]}
      """
    let problems = TraceValidator.validate(bytes: Array(text.utf8))
    #expect(problems.count == 3, "\(problems)")
    #expect(problems.contains("track 1/1: slice #1 overlaps slice #0 without nesting"))
    #expect(problems.contains { $0.hasPrefix("event #4 has an unknown phase") })
    #expect(problems.contains("counter event #5 needs numeric args"))
    #expect(TraceValidator.validate(bytes: Array("[1,".utf8)).first?.hasPrefix("invalid JSON") == true)
  }

  @Test("the validator catches a layer track that disagrees with the reported cycles")
  func validatorChecksLayers() throws {
    let run = try TracedRun()
    let tampered = run.json.replacingOccurrences(of: "\"cat\":\"layer\"", with: "\"cat\":\"layer_x\"")
    let problems = TraceValidator.validate(bytes: Array(tampered.utf8))
    #expect(problems.contains { $0.hasPrefix("layer 0: layer slices sum to 0 cycles") })
  }

  /// Writes the example traces under `Traces/` (run with SYSTOLE_WRITE_EXAMPLE_TRACES=1).
  @Test("example traces", .enabled(if: ProcessInfo.processInfo.environment["SYSTOLE_WRITE_EXAMPLE_TRACES"] == "1"))
  func writeExamples() throws {
    let dir = Fixtures.root.appendingPathComponent("Traces")
    let examples: [(String, TracedRun)] = [
      ("two-layers-toy-4x4.json", try TracedRun()),
      ("two-layers-toy-4x4-layer-level.json", try TracedRun(options: TraceOptions(level: .layer))),
    ]
    for (name, run) in examples {
      #expect(TraceValidator.validate(bytes: run.bytes).isEmpty)
      try Data(run.json.utf8).write(to: dir.appendingPathComponent(name))
    }
  }
}
