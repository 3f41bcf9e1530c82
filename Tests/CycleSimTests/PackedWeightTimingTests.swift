import Architecture
import Support
import Testing
import TileISA

@testable import CycleSim

/// Packed (int4/int2) weight tiles: DRAM and weight-buffer bytes are the packed ones, the
/// loader pays `array.weight_unpack_latency_cycles` once per tile, the unpacked weights cost
/// `energy.unpack_pj` each, and functional mode computes with the unpacked values.
@Suite("packed weight tiles in the simulator")
struct PackedWeightTimingTests {
  let toy = ArchSpec.toy4x4
  let shapes = [(4, 4, 4), (3, 4, 3), (16, 3, 4), (1, 1, 1), (13, 4, 3)]

  @Test("the unpack gate: a packed load_weights ends `unpack latency` cycles after an int8 one; the matmul starts exactly then")
  func unpackGateIsExact() throws {
    for latency in [1, 3] {
      var arch = toy
      arch.array.weightUnpackLatencyCycles = latency
      for packing in [WeightPacking.int4, .int2] {
        for (p, k, n) in shapes {
          let (_, r) = try simulate(singleTileProgram(arch: arch, p: p, k: k, n: n, packing: packing), arch: arch, verify: true)
          let latencyCycles = Int64(arch.dramLatencyCycles)
          func dmaCycles(_ bytes: Int, port: Int) -> Int64 {
            latencyCycles + Int64((Double(bytes) / min(arch.dramBytesPerCycle, Double(port))).rounded(.up))
          }
          let tileBytes = k * ((n * packing.bits + 7) / 8)
          let t0 = dmaCycles(p * k, port: arch.ub.portBytesPerCycle)
          let t1 = t0 + dmaCycles(tileBytes + 12 * n, port: arch.weights.portBytesPerCycle)
          let shift = max(
            Int64((k + arch.array.weightLoadRowsPerCycle - 1) / arch.array.weightLoadRowsPerCycle),
            Int64((k * n + arch.weights.portBytesPerCycle - 1) / arch.weights.portBytesPerCycle))
          let t2 = t1 + shift + Int64(latency)
          let label = "\(packing) \(p)×\(k)×\(n), latency \(latency)"
          #expect(span(r, 1) == (t0, t1), "the weight DMA moves the packed bytes: \(label)")
          #expect(span(r, 2) == (t1, t2), "load_weights: shift + unpack latency: \(label)")
          // Ready at t2 and not before: the matmul was blocked at t2 − 1 (the loader still
          // held its slot) and started at t2.
          #expect(span(r, 3).start == t2, "matmul gate: \(label)")
        }
      }
    }
  }

  @Test("counters: packed DRAM and weight-buffer bytes, K·N unpacked weights; energy has the unpack term and is lower than int8")
  func countersAndEnergy() throws {
    for packing in [WeightPacking.int4, .int2] {
      for (p, k, n) in shapes {
        let (packed, _) = try simulate(singleTileProgram(arch: toy, p: p, k: k, n: n, packing: packing), arch: toy, verify: true)
        let (int8, _) = try simulate(singleTileProgram(arch: toy, p: p, k: k, n: n), arch: toy, verify: true)
        let rowBytes = (n * packing.bits + 7) / 8
        let c = packed.total
        #expect(c[.dramWeightBytes] == Int64(k * rowBytes + 12 * n))
        #expect(int8.total[.dramWeightBytes] == Int64(k * n + 12 * n))
        // Written by the DMA, read by load_weights (packed) and activate (its table).
        #expect(c[.weightsWriteBytes] == Int64(k * rowBytes + 12 * n))
        #expect(c[.weightsReadBytes] == Int64(k * rowBytes + 12 * n))
        #expect(c[.unpackedWeights] == Int64(k * n))
        #expect(int8.total[.unpackedWeights] == 0)
        #expect(abs(packed.energy[.unpack].value - Double(k * n) * toy.energy.unpack.value) < 1e-9)
        #expect(int8.energy[.unpack].value == 0)
        let weightPath: (SimulationResult) -> Double = { $0.energy[.dram].value + $0.energy[.weightBuffer].value }
        if rowBytes < n {
          #expect(c[.dramWeightBytes] < int8.total[.dramWeightBytes])
          #expect(
            weightPath(packed) + packed.energy[.unpack].value < weightPath(int8),
            "\(packing) \(p)×\(k)×\(n): DRAM + weight buffer + unpack energy below int8's")
        }
      }
    }
  }

  @Test("functional mode unpacks: a packed tile computes what the same values stored as bytes compute")
  func functionalUnpacks() throws {
    for packing in [WeightPacking.int4, .int2] {
      for (p, k, n) in shapes {
        let want = try expectSameOutputs(
          singleTileProgram(arch: toy, p: p, k: k, n: n, packing: packing),
          values: packedTileValues(k: k, n: n, bits: packing.bits), p: p, k: k, n: n, arch: toy,
          "\(packing) \(p)×\(k)×\(n)")
        // Distinct outputs, so a wrong nibble order could not pass unnoticed.
        #expect(Set(want?.first ?? []).count > min(2, p * n - 1))
      }
    }
  }

  @Test("a packed load_weights in a float32 program is an invalid program")
  func packedNeedsInt8() throws {
    var program = singleTileProgram(arch: toy, p: 2, k: 2, n: 2, packing: .int4)
    program.datapath = .float32
    var simulator = Simulator(arch: toy.withDatapath(.float32), program: program, mode: .timing)
    let error = #expect(throws: SimulatorError.self) { try simulator.run() }
    #expect(error?.description.contains("int4 weights need the int8 datapath") == true)
  }
}

/// `ternary-grouped` tiles: the DMA and the loader move the codes plus the level table, the
/// load takes the packed gate with the table's bytes in the port term, and functional mode
/// computes code × level.
@Suite("ternary-grouped weight tiles in the simulator")
struct GroupedWeightTimingTests {
  let toy = ArchSpec.toy4x4
  /// (p, k, n, group, phase); group 1 makes the table K·N bytes, so the port term is the table's.
  let cases = [(4, 4, 4, 2, 0), (3, 4, 3, 3, 2), (16, 3, 4, 1, 0), (1, 1, 1, 4, 3), (13, 4, 3, 4, 1)]

  @Test("the gate: max(⌈K / rows per cycle⌉, ⌈max(K·N, codes + table) / port⌉) + unpack latency; counters hold codes + table")
  func gateAndCounters() throws {
    for (p, k, n, group, phase) in cases {
      let program = singleTileProgram(
        arch: toy, p: p, k: k, n: n, packing: .ternaryGrouped, levels: (group, phase))
      let (c, r) = try simulate(program, arch: toy, verify: true)
      let codes = k * ((n * 2 + 7) / 8)
      let table = ((phase + k - 1) / group + 1) * n
      func dmaCycles(_ bytes: Int, port: Int) -> Int64 {
        Int64(toy.dramLatencyCycles) + Int64((Double(bytes) / min(toy.dramBytesPerCycle, Double(port))).rounded(.up))
      }
      let t0 = dmaCycles(p * k, port: toy.ub.portBytesPerCycle)
      let t1 = t0 + dmaCycles(codes + table + 12 * n, port: toy.weights.portBytesPerCycle)
      let port = toy.weights.portBytesPerCycle
      let shift = max(
        Int64((k + toy.array.weightLoadRowsPerCycle - 1) / toy.array.weightLoadRowsPerCycle),
        Int64((max(k * n, codes + table) + port - 1) / port))
      let t2 = t1 + shift + Int64(toy.array.weightUnpackLatencyCycles)
      let label = "\(p)×\(k)×\(n) group \(group) phase \(phase)"
      #expect(span(r, 1) == (t0, t1), "the weight DMA moves codes + table: \(label)")
      #expect(span(r, 2) == (t1, t2), "load_weights: \(label)")
      #expect(span(r, 3).start == t2, "matmul gate: \(label)")
      #expect(c.total[.dramWeightBytes] == Int64(codes + table + 12 * n), "\(label)")
      #expect(c.total[.weightsReadBytes] == Int64(codes + table + 12 * n), "\(label)")
      #expect(c.total[.unpackedWeights] == Int64(k * n), "\(label)")
    }
  }

  @Test("functional mode: a grouped tile computes what its code × level values stored as bytes compute")
  func functionalScales() throws {
    for (p, k, n, group, phase) in cases {
      try expectSameOutputs(
        singleTileProgram(arch: toy, p: p, k: k, n: n, packing: .ternaryGrouped, levels: (group, phase)),
        values: groupedTile(k: k, n: n, group: group, phase: phase).values, p: p, k: k, n: n, arch: toy,
        "\(p)×\(k)×\(n) group \(group) phase \(phase)")
    }
  }
}

/// Runs `packed` (a `singleTileProgram` with packed weights) and the same program with `values`
/// stored one byte each, functionally and through the executor, and expects equal outputs;
/// returns them.
@discardableResult
func expectSameOutputs(
  _ packed: TileProgram, values: [Int8], p: Int, k: Int, n: Int, arch: ArchSpec, _ label: String
) throws -> [[UInt8]]? {
  var bytesProgram = singleTileProgram(arch: arch, p: p, k: k, n: n)
  let wAddress = (p * k + 63) / 64 * 64
  bytesProgram.dramImage.write(values.map { UInt8(bitPattern: $0) } + parameterTable(columns: n), at: DRAMAddress(wAddress))
  let inputs = [pseudoRandomBytes(p * k, seed: UInt64(p * 100 + k))]
  var a = Simulator(arch: arch, program: packed, mode: .functional(host: NoHostExecutor()))
  var b = Simulator(arch: arch, program: bytesProgram, mode: .functional(host: NoHostExecutor()))
  let got = try a.run(inputs: inputs).outputs
  let want = try b.run(inputs: inputs).outputs
  #expect(got != nil && got == want, "\(label)")
  #expect(try packed.run(inputs: inputs) == want, "executor in program order: \(label)")
  return want
}
