import Architecture
import Support
import Testing
import TileISA

@testable import CycleSim

@Suite("counters and energy")
struct CounterTests {
  let toy = ArchSpec.toy4x4

  /// Bytes each memory is read and written according to TileISA's exact footprint.
  func footprintBytes(_ instruction: Instruction, _ program: TileProgram) -> [MemorySpace: (read: Int, write: Int)] {
    var out: [MemorySpace: (read: Int, write: Int)] = [:]
    for access in instruction.memoryAccesses(in: program) ?? [] {
      var entry = out[access.space] ?? (0, 0)
      if access.kind == .read { entry.read += access.byteCount } else { entry.write += access.byteCount }
      out[access.space] = entry
    }
    return out
  }

  @Test("on-chip traffic equals TileISA's exact memory accesses when no byte is read twice")
  func trafficMatchesFootprint() throws {
    var b = ProgramBuilder(arch: toy, dramSize: 0x1000)
    b.program.hostTasks = [
      HostTask(name: "t", reads: [DRAMRange(start: 0, byteCount: 12)], writes: [DRAMRange(start: 0x40, byteCount: 5)])
    ]
    let view = { (a: Int) in VectorView(address: SRAMAddress(a), outerStrideBytes: 8) }
    let instructions: [Instruction] = [
      Instruction(
        .load(
          DMA2D(
            memory: .unifiedBuffer, sramAddress: 0, sramStrideBytes: 16, dramAddress: 0, dramStrideBytes: 8, rows: 3,
            rowBytes: 5))),
      Instruction(.store(dma(.accumulator, sram: 16, dram: 0x100, bytes: 32))),
      Instruction(.load(dma(.weightBuffer, sram: 0, dram: 0x200, bytes: 60))),
      Instruction(.loadWeights(LoadWeights(slot: .second, wbAddress: 4, rows: 3, columns: 4, rowStrideBytes: 8))),
      Instruction(.matmul(gemm(ub: 0x40, pixels: 5, k: 3, n: 4, acc: 2, accumulate: true))),
      Instruction(.matmul(gemm(ub: 0x40, pixels: 5, k: 2, n: 3, acc: 2))),
      Instruction(
        .matmul(
          Matmul(
            input: FeatureMap(address: 0x80, height: 4, width: 4, pixelStrideBytes: 2, channelCount: 1),
            window: Window(outHeight: 2, outWidth: 2, kernelHeight: 2, kernelWidth: 2, strideHeight: 2, strideWidth: 2),
            weightSlot: .first, columns: 4, accRow: 0))),
      Instruction(.activate(activation(acc: 3, pixels: 6, n: 3, params: 0x20, ub: 0x100))),
      Instruction(
        .vector(
          .add(
            BinaryOperands(a: view(0), b: view(0x100), output: view(0x200), outer: 3, inner: 5), AddParameters.identity)
        )),
      Instruction(.vector(.copy(UnaryOperands(source: view(0x40), output: view(0x300), outer: 2, inner: 8)))),
      Instruction(
        .vector(
          .maxPool(
            Pool(
              input: FeatureMap(address: 0x80, height: 4, width: 4, pixelStrideBytes: 3, channelCount: 3),
              window: Window(
                outHeight: 2, outWidth: 2, kernelHeight: 2, kernelWidth: 2, strideHeight: 2, strideWidth: 2),
              destination: PixelDestination(address: 0x300, pixelStrideBytes: 3, rowStrideBytes: 6))))),
      Instruction(.host(0)),
    ]
    for (index, instruction) in instructions.enumerated() {
      let work = try #require(
        try? InstructionWork.of(instruction, elementBytes: 1, limits: b.program.limits, hostTasks: b.program.hostTasks)
          .get())
      let exact = footprintBytes(instruction, b.program)
      #expect(exact.isEmpty == false, "#\(index) is valid")
      let ours: [MemorySpace: (read: Int64, write: Int64)] = [
        .unifiedBuffer: (work.ubRead, work.ubWrite), .weightBuffer: (work.wbRead, work.wbWrite),
        .accumulator: (work.accRead, work.accWrite),
        .dram: (
          work.hostReadBytes + (work.instructionClass == .load ? work.dmaBytes : 0),
          work.hostWriteBytes + (work.instructionClass == .store ? work.dmaBytes : 0)
        ),
      ]
      for space in MemorySpace.allCases {
        let e = exact[space] ?? (0, 0)
        let o = ours[space] ?? (0, 0)
        #expect(
          Int64(e.read) == o.read && Int64(e.write) == o.write,
          "#\(index) \(instruction.mnemonic) \(space): exact \(e), counted \(o)")
      }
    }
  }

  @Test("overlapping convolution windows read a byte once per tap (im2col streaming), more than the footprint")
  func im2colReadsPerTap() throws {
    let m = Matmul(
      input: FeatureMap(address: 0, height: 5, width: 5, pixelStrideBytes: 2, channelCount: 2),
      window: Window(outHeight: 5, outWidth: 5, kernelHeight: 3, kernelWidth: 3, padTop: 1, padLeft: 1),
      weightSlot: .first, columns: 4, accRow: 0)
    let limits = MemoryLimits(
      unifiedBuffer: 4096, weightBuffer: 4096, accumulatorRows: 64, arrayRows: 18, arrayColumns: 4)
    let work = try #require(
      try? InstructionWork.of(Instruction(.matmul(m)), elementBytes: 1, limits: limits, hostTasks: []).get())
    // Per axis: 5 outputs × 3 taps minus the 2 padding taps = 13; 13 × 13 in-image taps × 2 channels.
    #expect(work.ubRead == 13 * 13 * 2)
    #expect(work.macs == 25 * 18 * 4)
  }

  @Test("DRAM bytes are classed by the DMA's memory and direction")
  func dramClasses() throws {
    var b = ProgramBuilder(arch: toy, dramSize: 0x1000)
    b.add(.load(dma(.weightBuffer, sram: 0, dram: 0, bytes: 10)))
    b.add(.load(dma(.unifiedBuffer, sram: 0, dram: 0, bytes: 20)))
    b.add(.load(dma(.accumulator, sram: 0, dram: 0, bytes: 16)))
    b.add(.store(dma(.unifiedBuffer, sram: 0, dram: 0x100, bytes: 30)))
    b.add(.store(dma(.accumulator, sram: 0, dram: 0x200, bytes: 8)))
    b.add(.finish)
    var simulator = Simulator(arch: toy, program: b.program)
    let r = try simulator.run()
    #expect(r.total[.dramWeightBytes] == 10)
    #expect(r.total[.dramInputActivationBytes] == 20)
    #expect(r.total[.dramOutputActivationBytes] == 30)
    #expect(r.total[.dramPartialSumBytes] == 24)
    #expect(r.total.dmaBytes == 84)
    #expect(r.total[.instructions] == 6)
  }

  @Test("energy is the counters times the architecture's energy table, by component")
  func energy() throws {
    for arch in [toy, toy.withDatapath(.float32)] {
      var program = pipelinedProgram(arch: toy, tiles: 4, p: 8, k: 4, n: 4)
      program.datapath = TileProgram.Datapath(rawValue: arch.datapath.rawValue) ?? .int8
      var simulator = Simulator(arch: arch, program: program)
      let r = try simulator.run()
      let c = r.total
      let expected: [EnergyComponent: Double] = [
        .mac: Double(c.macs) * arch.macEnergy.value,
        .accumulate: Double(c[.accumulatorAdds]) * arch.accumulateEnergy.value,
        .unifiedBuffer: Double(c[.ubReadBytes] + c[.ubWriteBytes]) * arch.ubEnergyPerByte.value,
        .weightBuffer: Double(c[.weightsReadBytes] + c[.weightsWriteBytes]) * arch.weightsEnergyPerByte.value,
        .accumulator: Double(c[.accReadBytes] + c[.accWriteBytes]) * arch.accEnergyPerByte.value,
        .dram: Double(c.dramBytes) * 8 * arch.dram.energyPerBit.value,
        .vector: Double(c[.vectorOps]) * arch.energy.vectorOp.value,
        .unpack: Double(c[.unpackedWeights]) * arch.energy.unpack.value,
        .leakage: Double(r.cycles.count) * arch.energy.leakageMilliwatts / arch.clock.value * 1000,
      ]
      for component in EnergyComponent.allCases {
        let e = expected[component] ?? -1
        #expect(abs(r.energy[component].value - e) <= 1e-9 * max(1, e), "\(arch.name) \(component)")
      }
      #expect(r.energy[.mac].value > 0 && r.energy[.dram].value > 0)
      let sum = expected.values.reduce(0, +)
      #expect(abs(r.energy.total.value - sum) <= 1e-9 * sum)
    }
  }

  @Test("float32 programs time with 4-byte elements: array operands are 4 bytes; DMA sizes are the program's")
  func float32Baseline() throws {
    let arch = ArchSpec.gemmini
    let int8 = singleTileProgram(arch: arch, p: 16, k: 16, n: 16)
    var fp32 = int8
    fp32.datapath = .float32
    var a = Simulator(arch: arch, program: int8)
    var b = Simulator(arch: arch.withDatapath(.float32), program: fp32)
    let r8 = try a.run(), r32 = try b.run()
    let (p, k, n): (Int64, Int64, Int64) = (16, 16, 16)
    // Weight reads: the K × N tile (load_weights) plus the 12-byte parameter entries (activate).
    #expect(r8.total[.weightsReadBytes] == k * n + 12 * n)
    #expect(r32.total[.weightsReadBytes] == 4 * k * n + 12 * n)
    // Unified buffer reads: the matmul's P × K operands plus the store's P × N bytes.
    #expect(r8.total[.ubReadBytes] == p * k + p * n)
    #expect(r32.total[.ubReadBytes] == 4 * p * k + p * n)
    #expect(r32.total.macs == r8.total.macs)
    #expect(r32.energy[.mac].value > 10 * r8.energy[.mac].value)
  }

  @Test("report keys are stable snake_case, defined once")
  func keys() {
    for key in CounterKey.allCases {
      #expect(key.rawValue.allSatisfy { $0.isLowercase || $0 == "_" }, "\(key)")
      #expect(CounterKey.allCases[key.index] == key)
    }
    #expect(Set(CounterKey.allCases.map(\.rawValue)).count == CounterKey.allCases.count)
    #expect(Set(CycleClass.allCases.map { CounterKey.cycles(of: $0) }).count == CycleClass.allCases.count)
    let json = Counters().json.serialized(pretty: false)
    #expect(json.hasPrefix("{\"cycles\":0,\"instructions\":0,\"macs\":0,"))
  }
}

extension AddParameters {
  /// Parameters that make `vadd` an ordinary sum (for traffic tests; values do not matter).
  static var identity: AddParameters {
    AddParameters(
      aZeroPoint: 0, bZeroPoint: 0, outputZeroPoint: 0, leftShift: 20, aMultiplier: 1 << 30, aShift: 0,
      bMultiplier: 1 << 30, bShift: 0, outputMultiplier: 1 << 30, outputShift: -19, clamp: -128...127)
  }
}
