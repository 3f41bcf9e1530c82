import Architecture
import Support
import Testing
import TileISA

@testable import CycleSim

/// The comparisons `docs/validation.md` makes between Systole's engine and SCALE-Sim's model.
@Suite("validation against SCALE-Sim")
struct ValidationTests {
  /// A GEMM layer lowered to Fr·Fc weight tiles, weights already on chip (compute only): for
  /// each column fold, each row fold loads its tile into alternating slots and accumulates.
  func foldedProgram(arch: ArchSpec, m: Int, k: Int, n: Int) -> TileProgram {
    var b = ProgramBuilder(arch: arch, dramSize: 0x1000)
    let (r, c) = (arch.array.rows, arch.array.cols)
    var tile = 0
    for fc in stride(from: 0, to: n, by: c) {
      for fr in stride(from: 0, to: k, by: r) {
        let rows = min(r, k - fr), cols = min(c, n - fc)
        let slot: WeightSlot = tile % 2 == 0 ? .first : .second
        b.add(.loadWeights(LoadWeights(slot: slot, wbAddress: 0, rows: rows, columns: cols)))
        b.add(.matmul(gemm(ub: 0, pixels: m, k: rows, n: cols, slot: slot, acc: 0, accumulate: fr > 0)))
        tile += 1
      }
    }
    b.add(.finish)
    return b.program
  }

  @Test("one fold, compute only: Systole's cycles are SCALE-Sim's + 1 (SCALE-Sim reports the last cycle's index)")
  func oneFold() throws {
    for (rows, cols, m) in [(4, 4, 1), (4, 4, 9), (8, 4, 30), (16, 16, 5), (32, 8, 100)] {
      // SCALE-Sim's machine: ports as wide as the array's edges (ScaleSimConfig.archSpec).
      let config = ScaleSimConfig(
        runName: "v", arrayHeight: rows, arrayWidth: cols, ifmapSRAMKiB: 64, filterSRAMKiB: 64, ofmapSRAMKiB: 64,
        dataflow: .weightStationary)
      let arch = try config.archSpec(base: .toy4x4)
      let layer = ScaleSimLayer(gemm: "g", m: m, n: cols, k: rows)
      let scale = ScaleSimModel.computeCycles(layer: layer, arch: arch)
      var simulator = Simulator(arch: arch, program: foldedProgram(arch: arch, m: m, k: rows, n: cols))
      let ours = try simulator.run()
      // load_weights (K = R rows, one per cycle) + P + R + C − 2 = 2R + C + P − 2.
      #expect(ours.cycles.count == scale.cycles + 1, "\(rows)×\(cols), M = \(m)")
      #expect(ours.total.macs == scale.macs)
    }
  }

  @Test("many folds: Systole overlaps weight loads and fill/drain across tiles that SCALE-Sim serializes")
  func manyFolds() throws {
    var arch = ArchSpec.toy4x4
    arch.acc.capacity = ByteCount(64 * 4 * 4)
    // P large enough (≥ R + C + K − 2) that each tile load hides behind the previous streams.
    for (m, k, n) in [(10, 8, 8), (40, 12, 10), (64, 16, 16)] {
      let layer = ScaleSimLayer(gemm: "g", m: m, n: n, k: k)
      let scale = ScaleSimModel.computeCycles(layer: layer, arch: arch)
      var simulator = Simulator(arch: arch, program: foldedProgram(arch: arch, m: m, k: k, n: n))
      let ours = try simulator.run()
      let (r, c) = (Int64(arch.array.rows), Int64(arch.array.cols))
      let folds = Int64(scale.rowFolds * scale.columnFolds)
      // First tile load, every stream back to back, one fill and drain.
      #expect(ours.cycles.count == r + folds * Int64(m) + r + c - 2, "M=\(m) K=\(k) N=\(n)")
      // SCALE-Sim pays the weight fill and the fill/drain in every fold.
      #expect(scale.cycles == folds * (2 * r + c + Int64(m) - 2) - 1)
      #expect(ours.cycles.count < scale.cycles)
    }
  }
}
