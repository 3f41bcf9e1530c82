import Support
import Testing

@testable import Architecture

@Suite struct ValidationTests {
  /// Validation reports every problem at once, in parameter-table order, each with its numbers.
  @Test func reportsAllProblemsAtOnce() {
    var spec = ArchSpec.tpuV1
    spec.array.rows = 0
    spec.clock = Megahertz(-700)
    spec.ub.banks = 5
    spec.acc.capacity = ByteCount(Int64(512))
    spec.weights.capacity = .kibibytes(32)
    spec.dram.bandwidth = 0
    spec.energy.sram32KiBAccess = 5
    let problems = spec.validate()
    #expect(
      problems.map(\.description) == [
        "array.rows: expected a positive integer, got 0",
        "clock.mhz: expected a positive number, got -700",
        "dram.gbps: expected a positive number, got 0",
        "ub.banks: 5 banks do not divide 24576 KiB (25165824 bytes) evenly",
        "acc.kib: 0.5 KiB holds no full accumulator row (array.cols 256 × 4 bytes = 1 KiB)",
        "energy.sram_32kib_pj_per_64b: 5 pJ is less than energy.sram_8kib_pj_per_64b (10 pJ); SRAM energy must not fall as capacity grows",
      ])
    // rows = 0 failed, so the rules that need rows (weight tile, input row, load rate) are skipped.
    #expect(!problems.contains { $0.key == "weights.kib" })
  }

  @Test func crossParameterRules() {
    var spec = ArchSpec.gemmini
    spec.array.weightLoadRowsPerCycle = 17
    spec.weights.capacity = ByteCount(Int64(255))
    spec.weights.banks = 1
    spec.ub.capacity = ByteCount(Int64(8))
    spec.ub.banks = 1
    spec.energy.sram1MiBAccess = 19
    #expect(
      spec.validate().map(\.description) == [
        "array.weight_load_rows_per_cycle: 17 exceeds array.rows (16)",
        "ub.kib: 0.0078125 KiB is smaller than one 16-element int8 input row (0.015625 KiB)",
        "weights.kib: 0.2490234375 KiB is smaller than one 16×16 int8 weight tile (0.25 KiB)",
        "energy.sram_1mib_pj_per_64b: 19 pJ is less than energy.sram_32kib_pj_per_64b (20 pJ); SRAM energy must not fall as capacity grows",
      ])
  }

  /// A float32 baseline needs four times the bytes for one weight tile.
  @Test func datapathWidthCountsInTileRule() {
    var spec = ArchSpec.tpuV1
    spec.weights.capacity = .kibibytes(128)
    #expect(spec.validate() == [])
    #expect(
      spec.baseline.validate().map(\.description) == [
        "weights.kib: 128 KiB is smaller than one 256×256 float32 weight tile (256 KiB)"
      ])
  }

  @Test func validatedThrowsWithEveryProblemAndItsOrigin() throws {
    let spec = try ArchSpec.gemmini.applying(overrides: ["ub.banks=3", "acc.kib=0.03125"])
    do {
      _ = try spec.validated()
      Issue.record("validated an invalid spec")
    } catch {
      #expect(error.kind == .invalidSpec)
      #expect(error.problems.map(\.key) == ["ub.banks", "acc.kib"])
      #expect(
        error.description
          == "architecture 'gemmini': 2 problems: ub.banks: 3 banks do not divide 64 KiB (65536 bytes) evenly "
          + "(from --set ub.banks=3); acc.kib: 0.03125 KiB holds no full accumulator row "
          + "(array.cols 16 × 4 bytes = 0.0625 KiB) (from --set acc.kib=0.03125)")
    }
  }

  @Test func invalidSpecsStillGiveFiniteOrSaturatedFigures() {
    var spec = ArchSpec.toy4x4
    spec.clock = 0
    spec.array.weightLoadRowsPerCycle = 0
    spec.ub.banks = 0
    // No trap: derived figures are defined on any spec.
    _ = spec.derivedFigures
    _ = spec.render()
    #expect(spec.dramLatencyCycles == 0)
    #expect(spec.weightTileLoadCycles == spec.array.rows)
  }
}
