import Support
import Testing

@testable import TileISA

@Suite("program verifier")
struct VerifierTests {
  /// A clean 2×2×2 → 3 convolution program (see `ConvCase.program`):
  /// #0 load input, #1 load tile, #2 load params (push_next), #3 load_weights (pop_prev), #4 matmul,
  /// #5 activate (push_next), #6 store (pop_prev), #7 finish.
  func base() -> TileProgram {
    var rng = SeededGenerator(seed: 1)
    var c = ConvCase.random(&rng, depthwise: false)
    c.height = 2
    c.width = 2
    c.inChannels = 2
    c.outChannels = 3
    c.kernelHeight = 1
    c.kernelWidth = 1
    c.stride = (1, 1)
    c.dilation = (1, 1)
    c.pad = (0, 0)
    c.groups = 1
    c.input = Array(repeating: 1, count: 8)
    c.weights = Array(repeating: 1, count: 6)
    c.bias = [0, 0, 0]
    c.multipliers = Array(repeating: (1 << 30, 0), count: 3)
    c.offBlockFill = Array(repeating: 0, count: 6)
    return c.program()
  }

  func problems(_ edit: (inout TileProgram) -> Void) -> [String] {
    var p = base()
    edit(&p)
    return ProgramVerifier.verify(p).map(\.description)
  }

  func operation(_ p: TileProgram, _ i: Int) -> Operation { p.instructions[i].operation }

  @Test("the base program is clean")
  func clean() {
    #expect(ProgramVerifier.verify(base()) == [])
  }

  @Test("an address range outside its memory")
  func outOfRange() {
    let found = problems { p in
      p.instructions.insert(
        Instruction(.load(DMA2D(memory: .unifiedBuffer, sramAddress: 0xff8, dramAddress: 0, rows: 1, rowBytes: 16))), at: 7)
    }
    #expect(found == ["instruction #7 (load): unified buffer range 0xff8..<0x1008 exceeds the unified buffer's 0x1000 bytes"])
    let dram = problems { p in
      p.instructions[6].operation = .store(DMA2D(memory: .unifiedBuffer, sramAddress: 0x800, dramAddress: 0x1000, dramStrideBytes: 0x1000, rows: 2, rowBytes: 12))
    }
    #expect(dram == ["instruction #6 (store): DRAM range 0x1000..<0x200c exceeds the DRAM's 0x2000 bytes"])
  }

  @Test("K above the array's rows, N above its columns, accumulator rows out of range, groups")
  func arrayShape() {
    let found = problems { p in
      guard case .matmul(var m) = operation(p, 4) else { return }
      m.window.kernelHeight = 5
      m.window.kernelWidth = 7
      m.columns = 17
      m.groups = 2
      p.instructions[4].operation = .matmul(m)
      guard case .activate(var a) = operation(p, 5) else { return }
      a.accRow = 254
      p.instructions[5].operation = .activate(a)
    }
    #expect(
      found == [
        "instruction #4 (matmul): K = 70 (5×7 kernel × 2 channels) exceeds the array's 64 rows",
        "instruction #4 (matmul): N = 17 exceeds the array's 16 columns",
        "instruction #4 (matmul): groups = 2 must divide both the channel count 2 and N = 17",
        "instruction #5 (activate): accumulator rows 254..<258 exceed its 256 rows",
      ])
  }

  @Test("unbalanced tokens: a push nobody pops")
  func unbalanced() {
    let found = problems { p in p.instructions[6].dependencies = [] }
    #expect(found == ["program: 1 compute→store token pushed but never popped"])
  }

  @Test("a pop nobody pushes deadlocks")
  func deadlock() {
    let found = problems { p in p.instructions[2].dependencies = [] }
    #expect(
      found == [
        "instruction #3 (load_weights): waits for a load→compute token that is never pushed (deadlock: 4 compute-queue instructions cannot run)",
        "instruction #6 (store): waits for a compute→store token that is never pushed (deadlock: 1 store-queue instructions cannot run)",
      ])
  }

  @Test("a circular wait between two queues deadlocks even though the counts balance")
  func circularWait() {
    let found = problems { p in
      // load #0 now waits for compute's release, which compute only sends after #3 pops load's token.
      p.instructions[0].dependencies = .popNext
      p.instructions[3].dependencies = [.popPrev, .pushPrev]
    }
    #expect(
      found == [
        "instruction #0 (load): waits for a compute→load token that is never pushed (deadlock: 3 load-queue instructions cannot run)",
        "instruction #3 (load_weights): waits for a load→compute token that is never pushed (deadlock: 4 compute-queue instructions cannot run)",
        "instruction #6 (store): waits for a compute→store token that is never pushed (deadlock: 1 store-queue instructions cannot run)",
      ])
  }

  @Test("flags a queue does not have")
  func invalidFlags() {
    let found = problems { p in
      p.instructions[0].dependencies = .popPrev
      p.instructions[6].dependencies = [.popPrev, .pushNext]
    }
    #expect(
      found == [
        "instruction #0 (load): pop_prev is not valid on the load queue (it has no previous queue)",
        "instruction #6 (store): push_next is not valid on the store queue (it has no next queue)",
      ])
  }

  @Test("reading on-chip bytes nothing wrote")
  func readBeforeWrite() {
    let ub = problems { p in
      p.instructions[0].operation = .load(DMA2D(memory: .unifiedBuffer, sramAddress: 0, dramAddress: 0, rows: 1, rowBytes: 6))
    }
    #expect(ub == ["instruction #4 (matmul): reads unified buffer byte 0x6 (of 0x0..<0x8) before anything writes it"])
    let acc = problems { p in
      guard case .activate(var a) = operation(p, 5) else { return }
      a.accRow = 4
      p.instructions[5].operation = .activate(a)
    }
    #expect(acc == ["instruction #5 (activate): reads accumulator row 7 column 0 before anything writes it"])
    let params = problems { p in
      guard case .activate(var a) = operation(p, 5) else { return }
      a.paramAddress = 0x1004
      p.instructions[5].operation = .activate(a)
    }
    #expect(params == ["instruction #5 (activate): reads weight buffer byte 0x1024 (of 0x1004..<0x1028) before anything writes it"])
  }

  @Test("a matmul on a weight slot never loaded, or loaded smaller")
  func weightSlots() {
    let never = problems { p in
      guard case .matmul(var m) = operation(p, 4) else { return }
      m.weightSlot = .first
      p.instructions[4].operation = .matmul(m)
    }
    #expect(never == ["instruction #4 (matmul): uses 2×3 weights but slot 0 was never loaded"])
    let small = problems { p in
      p.instructions[3].operation = .loadWeights(LoadWeights(slot: .second, wbAddress: 0, rows: 2, columns: 2))
    }
    #expect(small == ["instruction #4 (matmul): uses 2×3 weights but slot 1 holds a 2×2 tile"])
  }

  @Test("outputs never written; DRAM read before anything writes it")
  func dramData() {
    let found = problems { p in
      p.instructions[6].operation = .store(DMA2D(memory: .unifiedBuffer, sramAddress: 0x800, dramAddress: 0x1000, rows: 1, rowBytes: 4))
      p.instructions[1].operation = .load(DMA2D(memory: .weightBuffer, sramAddress: 0, dramAddress: 0x3f0, rows: 2, rowBytes: 3))
    }
    #expect(
      found == [
        "instruction #1 (load): reads DRAM byte 0x3f0 (of 0x3f0..<0x3f6) before anything writes it",
        "output 0 'y': DRAM byte 0x1004 of 0x1000..<0x100c is never written",
      ])
  }

  @Test("program tables: bindings and host tasks outside DRAM, indices out of range, finish placement")
  func tables() {
    let found = problems { p in
      p.inputs[0].address = 0x1ffc
      p.outputs[0].shape = [1, -2]
      p.hostTasks = [HostTask(name: "softmax", reads: [DRAMRange(start: 0x1ff0, byteCount: 32)], writes: [])]
      p.instructions.insert(Instruction(.host(1)), at: 7)
      p.instructions[0].layer = 4
      p.instructions.append(Instruction(.nop(.compute)))
    }
    #expect(
      found == [
        "input 0 'x': tensor 0x1ffc..<0x2004 exceeds the DRAM size 0x2000",
        "output 0 'y': shape [1, -2] has a negative dimension or too many elements",
        "host task 0 'softmax': reads 0x1ff0..<0x2010 exceeds the DRAM size 0x2000",
        "instruction #8 (finish): finish must be the last instruction; 1 follow it",
        "instruction #0 (load): layer 4 out of range (the program has 1 layers)",
        "instruction #7 (host): host task 1 out of range (the program has 1)",
      ])
    #expect(problems { p in p.instructions.removeLast() } == ["program: has no finish instruction (it must be the last)"])
  }

  @Test("vector instructions: empty average-pool windows, shifts, views outside the buffer")
  func vectorChecks() {
    let found = problems { p in
      let pool = Pool(
        input: FeatureMap(address: 0, height: 2, width: 2, pixelStrideBytes: 2, channelCount: 2),
        window: Window(outHeight: 2, outWidth: 1, padTop: 0, padLeft: 3),
        destination: PixelDestination(address: 0x100, pixelStrideBytes: 2, rowStrideBytes: 2))
      let add = AddParameters(
        aZeroPoint: 0, bZeroPoint: 0, outputZeroPoint: 0, leftShift: 24, aMultiplier: 1, aShift: -32, bMultiplier: 1,
        bShift: 0, outputMultiplier: 1, outputShift: 31)
      let operands = BinaryOperands(
        a: VectorView(address: 0, outerStrideBytes: 2), b: VectorView(address: 0xffe, outerStrideBytes: 2),
        output: VectorView(address: 0x100, outerStrideBytes: 2), outer: 2, inner: 2)
      p.instructions.insert(contentsOf: [Instruction(.vector(.avgPool(pool))), Instruction(.vector(.add(operands, add)))], at: 5)
    }
    #expect(
      found == [
        "instruction #5 (vavgpool): output column 0 has no in-image tap (TFLite's AVERAGE_POOL_2D fails on an empty window)",
        "instruction #6 (vadd): b view 0xffe..<0x1002 exceeds the unified buffer's 0x1000 bytes",
        "instruction #6 (vadd): left shift = 24 out of 0...23",
        "instruction #6 (vadd): a shift = -32 out of -31...30",
        "instruction #6 (vadd): output shift = 31 out of -31...30",
      ])
  }

  @Test("nonsense field values are problems, never traps")
  func hostileFields() {
    let found = problems { p in
      p.instructions[4].operation = .matmul(
        Matmul(
          input: FeatureMap(address: SRAMAddress(Int.max), height: Int.max, width: 2, pixelStrideBytes: Int.max, channelOffset: Int.max, channelCount: 1),
          window: Window(outHeight: Int.max, outWidth: -1, kernelHeight: 1 << 30, padTop: Int.min), weightSlot: .second, columns: 0,
          accRow: AccumulatorRow(Int.min)))
      p.instructions[0].operation = .load(DMA2D(memory: .accumulator, sramAddress: SRAMAddress(Int.max - 3), sramStrideBytes: Int.max, dramAddress: 0, rows: Int.max, rowBytes: 4))
    }
    #expect(
      found == [
        "instruction #0 (load): accumulator transfers need 4-byte alignment: SRAM address 0x7ffffffffffffffc, stride 9223372036854775807, row bytes 4",
        "instruction #0 (load): accumulator range address arithmetic overflows",
        "instruction #0 (load): DRAM range address arithmetic overflows",
        "instruction #4 (matmul): channel offset 9223372036854775807 + channel count 1 overflows",
        "instruction #4 (matmul): output width must be ≥ 1, got -1",
        "instruction #4 (matmul): N must be ≥ 1, got 0",
        "instruction #4 (matmul): accumulator row must be ≥ 0, got -9223372036854775808",
        // The matmul names no writable rows, so the accumulator it should have filled stays unwritten.
        "instruction #5 (activate): reads accumulator row 3 column 0 before anything writes it",
      ])
  }

  @Test("random programs with extreme fields verify without trapping")
  func fuzz() {
    for seed in 0..<6 {
      var generator = RandomProgramGenerator(seed: 500 + UInt64(seed), encodable: seed % 2 == 0)
      var program = generator.program(instructions: 40)
      program.limits = ConvCase.limits
      program.dramSize = 0x10000
      #expect(!ProgramVerifier.verify(program).isEmpty)
    }
  }
}

@Suite("executor errors")
struct ExecutorErrorTests {
  @Test("running a bad program throws at the failing instruction")
  func badProgram() throws {
    var rng = SeededGenerator(seed: 1)
    var program = ConvCase.random(&rng, depthwise: false).program()
    let input = [UInt8](repeating: 0, count: program.inputs[0].byteCount)
    guard case .matmul(var m) = program.instructions[4].operation else { return }
    m.columns = 40
    program.instructions[4].operation = .matmul(m)
    #expect(throws: ISAError(.execution, "instruction #4 (matmul)", "N = 40 exceeds the array's 16 columns")) {
      try program.run(inputs: [input])
    }
    m.columns = 16
    m.weightSlot = .first
    program.instructions[4].operation = .matmul(m)
    #expect(throws: ISAError.self) { try program.run(inputs: [input]) }
  }

  @Test("inputs that do not match the bindings")
  func badInputs() throws {
    var rng = SeededGenerator(seed: 2)
    let program = ConvCase.random(&rng, depthwise: false).program()
    let size = program.inputs[0].byteCount
    #expect(throws: ISAError(.badInput, "inputs", "expected 1 inputs, got 0")) { try program.run(inputs: []) }
    #expect(throws: ISAError(.badInput, "input 0 'x'", "expected \(size) bytes, got 3")) { try program.run(inputs: [[1, 2, 3]]) }
  }

  @Test("host tasks: the injected executor runs on DRAM; without one, the task fails")
  func hostTasks() throws {
    struct Doubler: HostExecutor {
      func run(task: HostTask, index: HostTaskIndex, dram: inout [UInt8]) throws {
        for (r, w) in zip(task.reads, task.writes) {
          for i in 0..<r.byteCount { dram[w.start.byteOffset + i] = dram[r.start.byteOffset + i] &* 2 }
        }
      }
    }
    struct Failing: HostExecutor {
      struct Boom: Error, CustomStringConvertible { var description: String { "SOFTMAX: boom" } }
      func run(task: HostTask, index: HostTaskIndex, dram: inout [UInt8]) throws { throw Boom() }
    }
    let program = TileProgram(
      limits: smallLimits, dramSize: 64, hostTasks: [HostTask(name: "double", reads: [DRAMRange(start: 0, byteCount: 4)], writes: [DRAMRange(start: 8, byteCount: 4)])],
      inputs: [IOBinding(name: "x", elementType: .int8, shape: [4], address: 0)],
      outputs: [IOBinding(name: "y", elementType: .int8, shape: [4], address: 8)],
      instructions: [Instruction(.host(0)), Instruction(.finish)])
    #expect(ProgramVerifier.verify(program) == [])
    #expect(try program.run(inputs: [[1, 2, 3, 200]], host: Doubler()) == [[2, 4, 6, 144]])
    #expect(throws: ISAError(.hostTask, "instruction #0 (host task 0 'double')", "no host executor was provided")) {
      try program.run(inputs: [[1, 2, 3, 4]])
    }
    #expect(throws: ISAError(.hostTask, "instruction #0 (host task 0 'double')", "SOFTMAX: boom")) {
      try program.run(inputs: [[1, 2, 3, 4]], host: Failing())
    }
  }

  @Test("random programs with extreme fields execute or throw, never trap")
  func fuzz() throws {
    for seed in 0..<6 {
      var generator = RandomProgramGenerator(seed: 900 + UInt64(seed), encodable: seed % 2 == 0)
      var program = generator.program(instructions: 40)
      program.limits = ConvCase.limits
      program.dramSize = 0x10000
      program.inputs = []
      program.outputs = []
      program.datapath = .int8
      var state = try MachineState(program: TileProgram(limits: ConvCase.limits, dramSize: 0x10000))
      var failures = 0
      for instruction in program.instructions {
        do { try execute(instruction, on: &state, host: NoHostExecutor()) } catch { failures += 1 }
      }
      #expect(failures > 0)
    }
  }
}

@Suite("memory footprints")
struct FootprintTests {
  @Test("a padded strided conv reads exactly the pixels its windows touch")
  func matmulFootprint() throws {
    // 5×5 image, 4-byte pixels, channels 1..<3; 2×2 kernel, stride 3, pad 1: rows/columns 0, 2, 3
    // are touched (−1 is padding, 1 and 4 never).
    let m = Matmul(
      input: FeatureMap(address: 0x100, height: 5, width: 5, pixelStrideBytes: 4, channelOffset: 1, channelCount: 2),
      window: Window(outHeight: 2, outWidth: 2, kernelHeight: 2, kernelWidth: 2, strideHeight: 3, strideWidth: 3, padTop: 1, padLeft: 1),
      weightSlot: .first, columns: 3, accRow: 2, accumulate: true)
    let program = TileProgram(limits: smallLimits, dramSize: 0x100)
    let accesses = try #require(Instruction(.matmul(m)).memoryAccesses(in: program))
    var expectedUB: [Range<Int>] = []
    for ih in [0, 2, 3] { for iw in [0, 2, 3] { expectedUB.append(0x100 + (ih * 5 + iw) * 4 + 1..<0x100 + (ih * 5 + iw) * 4 + 3) } }
    let rowBytes = smallLimits.arrayColumns * 4
    let rows = (2..<6).map { $0 * rowBytes..<$0 * rowBytes + 12 }
    #expect(
      accesses == [
        MemoryAccess(space: .unifiedBuffer, kind: .read, ranges: expectedUB),
        MemoryAccess(space: .accumulator, kind: .read, ranges: rows),
        MemoryAccess(space: .accumulator, kind: .write, ranges: rows),
      ])
  }

  @Test("contiguous rows merge; an invalid instruction has no footprint")
  func dmaFootprint() throws {
    let program = TileProgram(limits: smallLimits, dramSize: 0x100)
    let load = Instruction(.load(DMA2D(memory: .weightBuffer, sramAddress: 0x10, dramAddress: 0x20, dramStrideBytes: 16, rows: 3, rowBytes: 8)))
    #expect(
      load.memoryAccesses(in: program) == [
        MemoryAccess(space: .dram, kind: .read, ranges: [0x20..<0x28, 0x30..<0x38, 0x40..<0x48]),
        MemoryAccess(space: .weightBuffer, kind: .write, ranges: [0x10..<0x28]),
      ])
    let beyond = Instruction(.load(DMA2D(memory: .weightBuffer, sramAddress: 0, dramAddress: 0xf8, rows: 1, rowBytes: 16)))
    #expect(beyond.memoryAccesses(in: program) == nil)
    let huge = Instruction(.store(DMA2D(memory: .unifiedBuffer, sramAddress: 0, dramAddress: DRAMAddress(Int.max), rows: 2, rowBytes: 1)))
    #expect(huge.memoryAccesses(in: program) == nil)
  }
}
