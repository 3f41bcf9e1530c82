import Architecture
import CycleSim
import Foundation
import Reporting
import Support
import SystoleTestSupport
import Testing
import TileISA

@Suite("trace writer")
struct TraceWriterTests {
  @Test("a complete trace is valid: tracks never overlap, every instruction once, layers sum to the cycles")
  func completeTraceIsValid() throws {
    for arch in [ArchSpec.toy4x4] {
      let run = try TracedRun(arch: arch)
      #expect(ProgramVerifier.verify(run.program).isEmpty)
      let problems = TraceValidator.validate(bytes: run.bytes)
      #expect(problems.isEmpty, "\(problems)")
      let trace = try run.trace()
      let instructions = trace.slices.filter { $0.category == "instruction" }
      #expect(instructions.count == Int(run.result.total[.instructions]))
      #expect(Set(instructions.compactMap(\.pc)) == Set(0..<run.program.instructions.count))
      // Each instruction slice is the unit's start ..< busyUntil.
      for e in run.events.executions {
        let s = try #require(instructions.first { $0.pc == e.instruction })
        #expect(s.start == e.start.count && s.end == (e.unit == .control ? e.start.count : e.busyUntil.count))
        #expect(s.track == TraceTrack.of(e.unit))
      }
      // Layer slices: per layer, the attributed cycles; they overlap in time, so both layers
      // own some cycles and the pieces are disjoint.
      for (i, layer) in run.result.layers.enumerated() {
        let sum = trace.slices.filter { $0.track == .layers && $0.layer == i }.reduce(Int64(0)) { $0 + $1.end - $1.start }
        #expect(sum == layer.counters.cycles && sum > 0)
      }
      // The array-state track tiles the run from 0 to the end.
      let states = trace.slices.filter { $0.track == .arrayState }.sorted { $0.start < $1.start }
      #expect(states.first?.start == 0 && states.last?.end == run.result.cycles.count)
      #expect(zip(states, states.dropFirst()).allSatisfy { $0.end == $1.start })
    }
  }

  @Test("the header names tracks in a fixed order and otherData carries the clock and the generator")
  func metadata() throws {
    let run = try TracedRun()
    let json = try JSONValue.parse(run.json)
    guard case .array(let events) = json["traceEvents"] else {
      Issue.record("no traceEvents")
      return
    }
    var names: [Int64: String] = [:]
    var order: [Int64: Int64] = [:]
    for e in events where e["ph"] == .string("M") {
      guard case .int(let tid) = e["tid"] else { continue }
      if e["name"] == .string("thread_name"), case .string(let n) = e["args"]?["name"] { names[tid] = n }
      if e["name"] == .string("thread_sort_index"), case .int(let i) = e["args"]?["sort_index"] { order[tid] = i }
    }
    let sorted = names.keys.sorted { order[$0] ?? 0 < order[$1] ?? 0 }.compactMap { names[$0] }
    #expect(sorted == TraceTrack.allCases.map(\.description))
    #expect(Array(sorted[2...7]) == ["load DMA", "store DMA", "weight loader", "systolic array", "vector unit", "host"])
    #expect(json["otherData"]?["generator"] == .string("systole"))
    #expect(json["otherData"]?["clock_mhz"] == .double(ArchSpec.toy4x4.clock.value) || json["otherData"]?["clock_mhz"] == .int(Int64(ArchSpec.toy4x4.clock.value)))
    #expect(json["otherData"]?["run"]?.serialized(pretty: false) == run.result.json.serialized(pretty: false))
    #expect(json["displayTimeUnit"] == .string("ns"))
  }

  @Test("counter tracks: MAC utilization integrates to the run's MACs, DRAM bandwidth to its DMA bytes")
  func counters() throws {
    // One sample per cycle so the integral is exact.
    let run = try TracedRun(options: TraceOptions(maxCounterSamples: 100_000))
    let json = try JSONValue.parse(run.json)
    guard case .array(let events) = json["traceEvents"] else { return }
    let mhz = ArchSpec.toy4x4.clock.value
    func series(_ name: String, _ key: String) -> [(Int64, Double)] {
      events.filter { $0["ph"] == .string("C") && $0["name"] == .string(name) }.compactMap { e in
        guard let ts = number(e["ts"]), let v = number(e["args"]?[key]) else { return nil }
        return (Int64((ts * mhz).rounded()), v)
      }
    }
    func integral(_ s: [(Int64, Double)]) -> Double {
      zip(s, s.dropFirst()).reduce(0) { $0 + $1.0.1 * Double($1.1.0 - $1.0.0) }
    }
    let rc = Double(ArchSpec.toy4x4.array.rows * ArchSpec.toy4x4.array.cols)
    let macs = integral(series("MAC utilization", "utilization")) * rc
    #expect(abs(macs - Double(run.result.total.macs)) < 0.01 * Double(run.result.total.macs))
    let bytes = integral(series("DRAM bandwidth", "GB/s")) * 1000 / mhz
    #expect(abs(bytes - Double(run.result.total.dmaBytes)) < 0.01 * Double(run.result.total.dmaBytes))
  }

  @Test("volume control: layer level, a cycle window and a layer range")
  func volumeControl() throws {
    let full = try TracedRun()
    let layerLevel = try TracedRun(options: TraceOptions(level: .layer))
    #expect(TraceValidator.validate(bytes: layerLevel.bytes).isEmpty)
    let lt = try layerLevel.trace()
    #expect(lt.slices.allSatisfy { $0.category != "instruction" })
    #expect(lt.slices.contains { $0.track == .layers })
    #expect(layerLevel.json.utf8.count < full.json.utf8.count)

    let cycles = full.result.cycles.count
    let window = (cycles / 3)..<(2 * cycles / 3)
    let windowed = try TracedRun(options: TraceOptions(cycleWindow: window))
    #expect(TraceValidator.validate(bytes: windowed.bytes).isEmpty)
    let wt = try windowed.trace()
    let inside = wt.slices.filter { $0.category == "instruction" }
    #expect(!inside.isEmpty)
    #expect(inside.allSatisfy { $0.start < window.upperBound && ($0.end > window.lowerBound || $0.start >= window.lowerBound) })
    let expected = full.events.executions.filter {
      $0.unit != .control && $0.start.count < window.upperBound && $0.busyUntil.count > window.lowerBound
    }
    #expect(inside.filter { $0.track != .control }.count == expected.count)

    let one = try TracedRun(options: TraceOptions(layerRange: 1...1))
    #expect(TraceValidator.validate(bytes: one.bytes).isEmpty)
    let ot = try one.trace()
    #expect(ot.slices.allSatisfy { $0.layer == 1 })
    #expect(ot.slices.filter { $0.category == "instruction" }.count == full.program.instructions.filter { $0.layer?.value == 1 }.count)
    // The summary still agrees with the run whatever was filtered.
    #expect(ot.summaryFigures.cycles == full.result.cycles.count)
  }

  @Test("estimatedBytes is within a factor of three of the size written")
  func estimate() throws {
    for options in [TraceOptions(), TraceOptions(level: .layer), TraceOptions(layerRange: 0...0)] {
      let run = try TracedRun(options: options)
      let estimate = options.estimatedBytes(program: run.program)
      let actual = run.json.utf8.count
      #expect(estimate * 3 >= actual && estimate <= actual * 3, "estimate \(estimate), actual \(actual)")
    }
  }

  @Test("a TraceFileStream writes the same bytes as a String")
  func fileStream() throws {
    let run = try TracedRun()
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("systole-trace-\(UUID().uuidString).json")
    defer { try? FileManager.default.removeItem(at: url) }
    #expect(FileManager.default.createFile(atPath: url.path, contents: nil))
    let handle = try FileHandle(forWritingTo: url)
    let stream = TraceFileStream(handle: handle)
    var simulator = Simulator(arch: .toy4x4, program: run.program)
    var writer = PerfettoTraceWriter(program: run.program, arch: .toy4x4, output: stream)
    let result = try simulator.run(inputs: nil, observer: &writer)
    writer.finish(result)
    try stream.close()
    try handle.close()
    let data = try Data(contentsOf: url)
    #expect(String(decoding: data, as: UTF8.self) == run.json)
    #expect(stream.byteCount == data.count)
    let trace = try SystoleTrace(contentsOf: url.path)
    #expect(trace.cycles == result.cycles.count)
  }

  @Test("option parsing", arguments: [
    ("1000:5000", "1000..<5000"), (":50", "0..<50"), ("7:", "7..<\(Int64.max)"),
  ])
  func windows(text: String, expected: String) throws {
    let w = try TraceOptions.parseCycleWindow(text)
    #expect("\(w.lowerBound)..<\(w.upperBound)" == expected)
  }

  @Test("bad options name the flag and what was expected", arguments: [
    ("window", "9:3", "--trace-window '9:3': the end 3 is not after the start 9"),
    ("window", "abc", "--trace-window 'abc': expected START:END in cycles, e.g. 1000:5000"),
    ("window", "-4:3", "--trace-window '-4:3': '-4' is not a non-negative cycle count"),
    ("layers", "7-3", "--trace-layers '7-3': the last layer 3 is before the first 7"),
    ("layers", "x", "--trace-layers 'x': expected a layer index or FIRST-LAST, e.g. 3-7"),
    ("level", "op", "--trace-level 'op': expected 'layer' or 'instruction'"),
    ("sort", "size", "--sort 'size': expected one of index, cycles, name, energy, dram"),
  ])
  func badOptions(kind: String, text: String, message: String) {
    do {
      switch kind {
      case "window": _ = try TraceOptions.parseCycleWindow(text)
      case "layers": _ = try TraceOptions.parseLayerRange(text)
      case "level": _ = try TraceOptions.parseLevel(text)
      default: _ = try TraceLayerSort.parse(text)
      }
      Issue.record("no error for \(text)")
    } catch {
      #expect(error.description == message)
      #expect(error.kind == .badOption)
    }
  }

  @Test("layer ranges parse") func layerRanges() throws {
    #expect(try TraceOptions.parseLayerRange("3-7") == 3...7)
    #expect(try TraceOptions.parseLayerRange("4") == 4...4)
    #expect(try TraceOptions.parseLevel("layer") == .layer)
  }
}

func number(_ j: JSONValue?) -> Double? {
  switch j {
  case .int(let i): Double(i)
  case .double(let d): d
  default: nil
  }
}
