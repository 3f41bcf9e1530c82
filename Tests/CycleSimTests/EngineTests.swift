import Architecture
import Support
import Testing
import TileISA

@testable import CycleSim

/// Host tasks for tests: task 0 copies its first read range, incremented, to its first write
/// range.
struct IncrementingHost: HostExecutor {
  func run(task: HostTask, index: HostTaskIndex, dram: inout [UInt8]) throws {
    guard let source = task.reads.first, let target = task.writes.first else { return }
    for i in 0..<min(source.byteCount, target.byteCount) {
      dram[target.start.byteOffset + i] = dram[source.start.byteOffset + i] &+ 1
    }
  }
}

@Suite("engine")
struct EngineTests {
  let toy = ArchSpec.toy4x4

  /// Programs exercising every unit, on the architectures they fit.
  var programs: [(String, ArchSpec, TileProgram)] {
    [
      ("single tile 4×4×4", toy, singleTileProgram(arch: toy, p: 4, k: 4, n: 4)),
      ("single tile 13×3×2", toy, singleTileProgram(arch: toy, p: 13, k: 3, n: 2)),
      ("pipelined 6 tiles", toy, pipelinedProgram(arch: toy, tiles: 6, p: 8, k: 4, n: 4, layers: 3)),
      (
        "pipelined 5 tiles os", toy,
        pipelinedProgram(arch: toy, tiles: 5, p: 5, k: 3, n: 4, dataflow: .outputStationary)
      ),
      (
        "pipelined 3 tiles is", toy, pipelinedProgram(arch: toy, tiles: 3, p: 7, k: 4, n: 2, dataflow: .inputStationary)
      ),
      (
        "gemmini pipelined", ArchSpec.gemmini,
        pipelinedProgram(arch: .gemmini, tiles: 4, p: 16, k: 16, n: 16, layers: 2)
      ),
      ("tpu single tile", ArchSpec.tpuV1, singleTileProgram(arch: .tpuV1, p: 64, k: 32, n: 16)),
    ]
  }

  @Test("test programs verify")
  func programsVerify() {
    for (name, _, program) in programs {
      #expect(ProgramVerifier.verify(program).isEmpty, "\(name): \(ProgramVerifier.verify(program))")
    }
  }

  @Test("functional mode computes what the TileISA executor computes in program order")
  func functionalMatchesExecutor() throws {
    for (name, arch, program) in programs {
      let inputs = program.inputs.map { pseudoRandomBytes($0.byteCount, seed: UInt64($0.byteCount)) }
      let expected = try program.run(inputs: inputs)
      var simulator = Simulator(arch: arch, program: program, mode: .functional(host: NoHostExecutor()))
      let result = try simulator.run(inputs: inputs)
      #expect(result.outputs == expected, "\(name)")
      #expect(simulator.finalState != nil)
    }
  }

  @Test("functional and timing modes give identical cycles and counters; repeated runs are identical")
  func modesAgree() throws {
    for (name, arch, program) in programs {
      var timing = Simulator(arch: arch, program: program, mode: .timing)
      var functional = Simulator(arch: arch, program: program, mode: .functional(host: NoHostExecutor()))
      var t1 = RecordingObserver(), t2 = RecordingObserver(), f = RecordingObserver()
      let a = try timing.run(inputs: nil, observer: &t1)
      let b = try timing.run(inputs: nil, observer: &t2)
      let c = try functional.run(inputs: nil, observer: &f)
      #expect(a.cycles == c.cycles, "\(name)")
      #expect(a.total == c.total, "\(name)")
      #expect(a.layers == c.layers, "\(name)")
      #expect(t1.events == f.events, "\(name): same event sequence in both modes")
      #expect(t1.events == t2.events && a.total == b.total, "\(name): repeatable")
      #expect(a.outputs == nil && c.outputs != nil)
    }
  }

  @Test("invariants: utilization ≤ 1, cycles ≥ MACs / (R·C) and ≥ DMA bytes / bandwidth, classes sum to cycles")
  func invariants() throws {
    for (name, arch, program) in programs {
      var simulator = Simulator(arch: arch, program: program)
      let r = try simulator.run()
      let cycles = Double(r.cycles.count)
      #expect(r.utilization <= 1 && r.utilization > 0, "\(name)")
      #expect(r.mappingEfficiency <= 1 && r.mappingEfficiency > 0, "\(name)")
      #expect(cycles >= Double(r.total.macs) / Double(arch.peakMACsPerCycle), "\(name)")
      #expect(cycles >= Double(r.total.dmaBytes) / arch.dramBytesPerCycle, "\(name)")
      let classSum = CycleClass.allCases.reduce(Int64(0)) { $0 + r.total[CounterKey.cycles(of: $1)] }
      #expect(classSum == r.cycles.count, "\(name): every cycle classified once")
      #expect(r.total[.idleCycles] == 0, "\(name): no unclassified idle time")
    }
  }

  @Test("per-layer counters sum to the total")
  func layersSumToTotal() throws {
    for (name, arch, program) in programs {
      var simulator = Simulator(arch: arch, program: program)
      let r = try simulator.run()
      var sum = r.unattributed
      for layer in r.layers { sum += layer.counters }
      #expect(sum == r.total, "\(name)")
      let energy = r.layers.reduce(r.unattributedEnergy.total.value) { $0 + $1.energy.total.value }
      #expect(abs(energy - r.energy.total.value) <= 1e-6 * r.energy.total.value, "\(name)")
    }
  }

  @Test("layer cycles: each layer owns its span minus what earlier layers' spans cover")
  func layerAttributionRule() throws {
    let program = pipelinedProgram(arch: toy, tiles: 6, p: 8, k: 4, n: 4, layers: 3)
    var simulator = Simulator(arch: toy, program: program)
    var recorder = RecordingObserver()
    let r = try simulator.run(inputs: nil, observer: &recorder)
    // Recompute the rule from the recorded instruction events.
    var spans: [ClosedRange<Int64>?] = Array(repeating: nil, count: program.layers.count)
    for e in recorder.executions {
      guard let i = e.instruction, let layer = program.instructions[i].layer?.value else { continue }
      let s = e.start.count...e.end.count
      spans[layer] = spans[layer].map { min($0.lowerBound, s.lowerBound)...max($0.upperBound, s.upperBound) } ?? s
    }
    var covered = Set<Int64>()
    for (layer, span) in spans.enumerated() {
      guard let span else { continue }
      let cycles = (span.lowerBound..<span.upperBound).filter { !covered.contains($0) }
      #expect(r.layers[layer].counters.cycles == Int64(cycles.count), "layer \(layer)")
      covered.formUnion(span.lowerBound..<span.upperBound)
    }
    #expect(r.unattributed.cycles == r.cycles.count - Int64(covered.count))
  }

  @Test("token deadlock is an error naming the blocked instruction")
  func deadlock() throws {
    var b = ProgramBuilder(arch: toy, dramSize: 0x1000)
    b.add(.load(dma(.weightBuffer, sram: 0, dram: 0, bytes: 16)))  // forgets push_next
    b.add(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: 4, columns: 4)), .popPrev)
    b.add(.matmul(gemm(ub: 0, pixels: 4, k: 4, n: 4)))
    b.add(.finish)
    var simulator = Simulator(arch: toy, program: b.program)
    let error = #expect(throws: SimulatorError.self) { try simulator.run() }
    #expect(error?.kind == .deadlock)
    #expect(
      error?.description
        == "instruction #1 (load_weights): waits for a load→compute token that is never pushed (deadlock at cycle 14: 3 compute-queue instructions cannot run)"
    )
  }

  @Test("deadlock across two queues names both")
  func deadlockTwoQueues() throws {
    var b = ProgramBuilder(arch: toy, dramSize: 0x1000)
    b.add(.load(dma(.unifiedBuffer, sram: 0, dram: 0, bytes: 4)), .popNext)
    b.add(.store(dma(.unifiedBuffer, sram: 0, dram: 0, bytes: 4)), .popPrev)
    b.add(.finish)
    var simulator = Simulator(arch: toy, program: b.program)
    let error = #expect(throws: SimulatorError.self) { try simulator.run() }
    #expect(
      error?.description
        == "instruction #0 (load): waits for a compute→load token that is never pushed (deadlock at cycle 0: 1 load-queue instruction cannot run); also instruction #1 (store) waits for a compute→store token that is never pushed"
    )
  }

  @Test("architecture mismatches and invalid instructions are errors, never traps")
  func errors() throws {
    let program = singleTileProgram(arch: toy, p: 4, k: 4, n: 4)
    let cases: [(ArchSpec, TileProgram, String)] = [
      (
        .gemmini, program,
        "arch 'gemmini': the program is compiled for a 4×4 array, the architecture has 16×16"
      ),
      (
        toy.withDatapath(.float32), program,
        "arch 'toy-4x4': the program's datapath is int8, the architecture's float32"
      ),
      {
        var arch = toy
        arch.array.rows = 0
        let problems = arch.validate()
        let more = problems.count > 1 ? " (and \(problems.count - 1) more)" : ""
        return (arch, program, "arch 'toy-4x4': array.rows: expected a positive integer, got 0\(more)")
      }(),
      {
        var p = program
        p.instructions[3] = Instruction(.matmul(gemm(ub: 0, pixels: 4, k: 4, n: 5)))
        return (toy, p, "instruction #3 (matmul): N = 5 exceeds the array's 4 columns")
      }(),
      {
        var p = program
        p.instructions[0] = Instruction(
          .load(DMA2D(memory: .unifiedBuffer, sramAddress: 0, dramAddress: 0, rows: Int.max, rowBytes: 3)))
        return (toy, p, "instruction #0 (load): sizes overflow 64-bit arithmetic")
      }(),
      {
        var p = program
        p.instructions[0].layer = LayerIndex(9)
        return (toy, p, "instruction #0 (load): layer 9 out of range (the program has 1 layers)")
      }(),
      {
        var p = program
        p.instructions[0].dependencies = .popPrev
        return (toy, p, "instruction #0 (load): pop_prev is not valid on the load queue")
      }(),
      {
        var p = program
        p.instructions[4] = Instruction(.host(HostTaskIndex(2)))
        return (toy, p, "instruction #4 (host): host task 2 out of range (the program has 0)")
      }(),
    ]
    for (arch, program, message) in cases {
      var simulator = Simulator(arch: arch, program: program)
      let error = #expect(throws: SimulatorError.self) { try simulator.run() }
      #expect(error?.description == message)
    }
  }

  @Test("functional-mode input errors")
  func inputErrors() throws {
    let program = singleTileProgram(arch: toy, p: 4, k: 4, n: 4)
    var simulator = Simulator(arch: toy, program: program, mode: .functional(host: NoHostExecutor()))
    var error = #expect(throws: SimulatorError.self) { try simulator.run(inputs: [[1, 2, 3]]) }
    #expect(error?.description == "input 0 'x': expected 16 bytes, got 3")
    error = #expect(throws: SimulatorError.self) { try simulator.run(inputs: []) }
    #expect(error?.description == "inputs: expected 1 inputs, got 0")
  }

  @Test("host tasks: time = latency + link transfer + host compute; functional mode runs the host executor")
  func hostTask() throws {
    var b = ProgramBuilder(arch: toy, dramSize: 0x1000)
    b.program.hostTasks = [
      HostTask(
        name: "inc", reads: [DRAMRange(start: 0, byteCount: 40)], writes: [DRAMRange(start: 0x100, byteCount: 40)])
    ]
    b.program.inputs = [IOBinding(name: "x", elementType: .int8, shape: [40], address: 0)]
    b.program.outputs = [IOBinding(name: "y", elementType: .int8, shape: [40], address: 0x100)]
    b.add(.host(0))
    b.add(.finish)
    #expect(ProgramVerifier.verify(b.program).isEmpty)
    var simulator = Simulator(arch: toy, program: b.program, mode: .functional(host: IncrementingHost()))
    let input = (0..<40).map { UInt8($0) }
    let result = try simulator.run(inputs: [input])
    #expect(result.outputs == [input.map { $0 + 1 }])
    // toy: host latency 1 µs = 100 cycles, link 0.4 GB/s = 4 B/cycle, 0.1 Gop/s = 1 op/cycle.
    let expected = Int64(toy.hostLatencyCycles) + (80 + 3) / 4 + 40
    #expect(result.cycles.count == expected)
    #expect(result.total[.hostCycles] == expected)
    #expect(result.total[.dramHostReadBytes] == 40 && result.total[.dramHostWriteBytes] == 40)
  }

  @Test("functional execution errors name the instruction and the cycle")
  func executionError() throws {
    var b = ProgramBuilder(arch: toy, dramSize: 0x1000)
    b.add(.matmul(gemm(ub: 0, pixels: 4, k: 4, n: 4)))  // slot never loaded
    b.add(.finish)
    var simulator = Simulator(arch: toy, program: b.program, mode: .functional(host: NoHostExecutor()))
    let error = #expect(throws: SimulatorError.self) { try simulator.run() }
    #expect(error?.description == "instruction #0 (matmul): uses 4×4 weights but slot 0 holds a 0×0 tile (at cycle 0)")
  }

  @Test("the recording observer sees each instruction once, array states back to back from 0")
  func eventSequence() throws {
    let program = singleTileProgram(arch: toy, p: 4, k: 4, n: 4)
    var simulator = Simulator(arch: toy, program: program)
    var recorder = RecordingObserver()
    let result = try simulator.run(inputs: nil, observer: &recorder)
    #expect(recorder.executions.compactMap(\.instruction).sorted() == Array(program.instructions.indices))
    let units = recorder.executions.sorted { ($0.instruction ?? 0) < ($1.instruction ?? 0) }.map(\.unit)
    #expect(units == [.loadDMA, .loadDMA, .weightLoader, .array, .vector, .storeDMA, .control])
    let states = recorder.arrayStates
    #expect(states.first?.start == 0 && states.last?.end == result.cycles)
    for (a, b) in zip(states, states.dropFirst()) {
      #expect(a.end == b.start && a.cycleClass != b.cycleClass)
    }
    // Input and weight loads, then the weight shift, the stream, the drain (the activate waits
    // for the matmul's results), the activate, the final store.
    #expect(
      states.map(\.cycleClass) == [.weightStall, .weightShift, .arrayActive, .dependencyWait, .nonMatrix, .outputStall])
    let active = states.filter { $0.cycleClass == .arrayActive }.reduce(Int64(0)) { $0 + ($1.end - $1.start).count }
    let drain = states.filter { $0.cycleClass == .dependencyWait }.reduce(Int64(0)) { $0 + ($1.end - $1.start).count }
    #expect(active == 4, "the 4 rows stream in 4 cycles")
    #expect(drain == Int64(toy.array.rows + toy.array.cols - 2), "fill and drain: R + C − 2")
  }

  @Test("double buffering overlaps DMA with compute")
  func overlap() throws {
    let program = pipelinedProgram(arch: toy, tiles: 8, p: 8, k: 4, n: 4)
    var simulator = Simulator(arch: toy, program: program)
    var recorder = RecordingObserver()
    let r = try simulator.run(inputs: nil, observer: &recorder)
    let busy = recorder.executions.reduce(Int64(0)) { $0 + ($1.end - $1.start).count }
    #expect(r.cycles.count < busy, "units work at the same time")
    // Some load starts while a matmul or activate of an earlier tile is running.
    let loads = recorder.executions.filter { $0.unit == .loadDMA }
    let computes = recorder.executions.filter { $0.unit == .array || $0.unit == .vector }
    #expect(loads.contains { l in computes.contains { c in c.start < l.start && l.start < c.end } })
  }
}

@Suite("absurd architectures")
struct AbsurdArchitectureTests {
  @Test("a host so slow the run would overflow is an error, not a trap")
  func slowHost() throws {
    var arch = ArchSpec.toy4x4
    arch.host.gigaOpsPerSecond = 1e-300
    arch.host.latencyMicroseconds = 1e300
    var b = ProgramBuilder(arch: arch, dramSize: 0x1000)
    b.program.hostTasks = [HostTask(name: "t", reads: [DRAMRange(start: 0, byteCount: 4)], writes: [])]
    for _ in 0..<8 { b.add(.host(0)) }
    b.add(.finish)
    var simulator = Simulator(arch: arch, program: b.program)
    let error = #expect(throws: SimulatorError.self) { try simulator.run() }
    #expect(error?.kind == .invalidProgram || error?.kind == .archMismatch)
  }
}
