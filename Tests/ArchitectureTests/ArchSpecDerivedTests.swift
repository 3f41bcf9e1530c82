import Foundation
import Support
import Testing

@testable import Architecture

/// Derived figures, each recomputed here from the parameters (never hard-coded results) and
/// compared with what the papers publish.
@Suite struct DerivedFigureTests {
  /// Jouppi et al.: 65,536 MACs × 700 MHz = 45.9 TMAC/s = 91.8 TOPS, published as "92 TOPS".
  @Test func tpuV1PeakMatchesThePublished92TOPS() {
    let tpu = ArchSpec.tpuV1
    let macsPerSecond = Double(tpu.array.rows * tpu.array.cols) * tpu.clock.value * 1e6
    #expect(tpu.peakMACsPerCycle == tpu.array.rows * tpu.array.cols)
    #expect(tpu.peakMACsPerSecond == macsPerSecond)
    #expect(tpu.peakTOPS == 2 * macsPerSecond / 1e12)  // 1 MAC = 2 ops
    #expect(abs(tpu.peakTOPS - 92) < 0.5)  // published figure, rounded
  }

  /// Jouppi et al.: ridge point ≈ 1350 MACs per weight byte (65,536 × 700 MHz / 34 GB/s).
  @Test func tpuV1RidgePointMatchesThePaper() {
    let tpu = ArchSpec.tpuV1
    let bytesPerCycle = tpu.dram.bandwidth.value * 1e9 / (tpu.clock.value * 1e6)
    #expect(abs(tpu.dramBytesPerCycle - bytesPerCycle) < 1e-12)
    #expect(tpu.ridgePointMACsPerDRAMByte == Double(tpu.peakMACsPerCycle) / tpu.dramBytesPerCycle)
    #expect(abs(tpu.ridgePointMACsPerDRAMByte - 1350) < 1)
  }

  @Test(arguments: ArchSpec.presets.map(\.name))
  func cycleConversionsFollowTheirFormulas(name: String) throws {
    let s = try ArchSpec.preset(named: name)
    #expect(s.dramLatencyCycles == Int((s.dram.latencyNanoseconds * s.clock.value / 1000).rounded(.up)))
    #expect(s.hostLatencyCycles == Int((s.host.latencyMicroseconds * s.clock.value).rounded(.up)))
    #expect(abs(s.hostLinkBytesPerCycle - s.host.linkBandwidth.value * 1000 / s.clock.value) < 1e-9)
    #expect(abs(s.hostOpsPerCycle - s.host.gigaOpsPerSecond * 1000 / s.clock.value) < 1e-9)
    let rate = s.array.weightLoadRowsPerCycle
    #expect(s.weightTileLoadCycles == (s.array.rows + rate - 1) / rate)
    #expect(Int64(s.accumulatorEntries * s.array.cols * 4) <= s.acc.capacity.count)
    #expect(Int64((s.accumulatorEntries + 1) * s.array.cols * 4) > s.acc.capacity.count)
    #expect(s.vectorOpsPerCycle == s.vector.lanes * s.vector.opsPerCyclePerLane)
    #expect(s.dramEnergyPerByte.value == 8 * s.dram.energyPerBit.value)
  }

  @Test func leakagePerCycleIsPowerTimesPeriod() {
    let tpu = ArchSpec.tpuV1
    let joules = tpu.energy.leakageMilliwatts * 1e-3 / (tpu.clock.value * 1e6)
    #expect(abs(tpu.leakageEnergyPerCycle.joules - joules) < 1e-20)
  }

  /// The SRAM curve passes through Horowitz's three points, scales as √capacity outside them,
  /// and is continuous.
  @Test func sramEnergyCurve() {
    let s = ArchSpec.defaults
    let e8 = s.energy.sram8KiBAccess.value
    let e32 = s.energy.sram32KiBAccess.value
    let e1m = s.energy.sram1MiBAccess.value
    func perByte(_ bytes: Int64) -> Double { s.sramEnergyPerByte(bankBytes: bytes).value }
    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 * max(abs(a), abs(b)) }
    #expect(close(perByte(8 << 10), e8 / 8))
    #expect(close(perByte(32 << 10), e32 / 8))
    #expect(close(perByte(1 << 20), e1m / 8))
    #expect(close(perByte(2 << 10), e8 * (0.25).squareRoot() / 8))
    #expect(close(perByte(4 << 20), e1m * 2 / 8))
    // Between points: the power law through both neighbours.
    let b = log(e1m / e32) / log(32)
    #expect(close(perByte(64 << 10), e32 * pow(2, b) / 8))
    let a = log(e32 / e8) / log(4)
    #expect(close(perByte(16 << 10), e8 * pow(2, a) / 8))
    // Continuous at each point, increasing with capacity.
    for point: Int64 in [8 << 10, 32 << 10, 1 << 20] {
      #expect(abs(perByte(point - 1) - perByte(point + 1)) < 1e-3)
    }
    var previous = 0.0
    for shift in 6..<30 {
      let e = perByte(1 << shift)
      #expect(e > previous)
      previous = e
    }
  }

  @Test func memoryEnergyUsesOneBank() {
    let tpu = ArchSpec.tpuV1
    #expect(tpu.ubEnergyPerByte == tpu.sramEnergyPerByte(bankBytes: tpu.ub.capacity.count / Int64(tpu.ub.banks)))
    #expect(tpu.accEnergyPerByte == tpu.sramEnergyPerByte(bankBytes: tpu.acc.capacity.count / 2))
  }

  @Test func figureListMatchesProperties() {
    let s = ArchSpec.gemmini
    let figures = Dictionary(uniqueKeysWithValues: s.derivedFigures.map { ($0.key, $0.value) })
    #expect(figures.count == s.derivedFigures.count)
    #expect(figures["peak_macs_per_cycle"] == Double(s.peakMACsPerCycle))
    #expect(figures["peak_tops"] == s.peakTOPS)
    #expect(figures["ridge_point_macs_per_dram_byte"] == s.ridgePointMACsPerDRAMByte)
    #expect(figures["accumulator_entries"] == Double(s.accumulatorEntries))
    #expect(figures["leakage_pj_per_cycle"] == s.leakageEnergyPerCycle.value)
    for figure in s.derivedFigures {
      #expect(figure.key.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "\(figure.key)")
      #expect(!figure.unit.isEmpty && !figure.formula.isEmpty, "\(figure.key)")
    }
  }
}

@Suite struct RenderTests {
  @Test(arguments: ArchSpec.presets.map(\.name))
  func showsEveryParameterAndFigure(name: String) throws {
    let spec = try ArchSpec.preset(named: name)
    let text = spec.render()
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for p in ArchSpec.parameters {
      let row = lines.first { $0.hasPrefix(p.key + " ") }
      #expect(row != nil, "no row for \(p.key)")
      #expect(row?.contains(" \(p.value(in: spec).description) ") == true, "\(p.key)")
    }
    for figure in spec.derivedFigures {
      #expect(lines.contains { $0.hasPrefix(figure.key + " ") }, "\(figure.key)")
    }
    // Each assumption note is referenced exactly once from the table.
    let notes = lines.filter { $0.hasPrefix("  [") }
    for (i, _) in notes.enumerated() {
      #expect(lines.filter { $0.hasSuffix("assumption [\(i + 1)]") }.count == 1)
    }
    #expect(spec.description == text)
  }

  @Test func showsWhereOverriddenValuesCameFrom() throws {
    let spec = try ArchSpec.parse(json: #"{"base": "toy-4x4", "clock": {"mhz": 200}}"#, source: "t.json")
      .applying(overrides: ["array.rows=8"])
    let text = spec.render()
    #expect(text.contains("file t.json"))
    #expect(text.contains("--set array.rows=8"))
    #expect(text.hasPrefix("architecture t (int8 datapath, weight stationary)\n"))
  }
}
