import Foundation
import Support

/// Figures computed from the parameters, shared by the compiler's cost model, the simulator and
/// reports. Each states its formula; `docs/architecture.md` repeats them.
///
/// Conventions: 1 MAC = 2 ops (a multiply and an add), as in Jouppi et al.'s "92 TOPS";
/// GB/s is decimal (10⁹ bytes/s); KiB and MiB are binary. The figures assume a valid spec
/// (`validated()`); on an invalid one they may be infinite or zero but never trap.
extension ArchSpec {
  // MARK: Compute

  /// Peak MACs per cycle: `array.rows × array.cols`.
  public var peakMACsPerCycle: Int { array.rows * array.cols }

  /// Peak MACs per second: `array.rows × array.cols × clock.mhz × 10⁶`.
  public var peakMACsPerSecond: Double { Double(peakMACsPerCycle) * clock.hertz }

  /// Peak tera-operations per second, counting 1 MAC as 2 ops:
  /// `2 × array.rows × array.cols × clock.mhz × 10⁶ / 10¹²`. TPU v1: 2 × 65,536 × 700 MHz =
  /// 91.75 TOPS, published as 92.
  public var peakTOPS: Double { 2 * peakMACsPerSecond / 1e12 }

  // MARK: Memory system

  /// DRAM bytes per accelerator cycle: `dram.gbps × 10⁹ / (clock.mhz × 10⁶)`.
  public var dramBytesPerCycle: Double { dram.bandwidth.bytesPerCycle(at: clock) }

  /// Roofline ridge point in MACs per DRAM byte: `peakMACsPerCycle / dramBytesPerCycle`.
  ///
  /// A layer doing fewer MACs per byte it moves to or from DRAM is bandwidth-bound. TPU v1:
  /// 65,536 / (34 × 10⁹ / 700 × 10⁶) ≈ 1349, the paper's "1350 ops per byte" (ops = MACs there).
  public var ridgePointMACsPerDRAMByte: Double { Double(peakMACsPerCycle) / dramBytesPerCycle }

  /// DRAM latency in cycles: `⌈dram.latency_ns × clock.mhz / 1000⌉`.
  public var dramLatencyCycles: Int { ceilToInt(dram.latencyNanoseconds * clock.value / 1000) }

  /// Bytes per operand element: 1 for `int8`, 4 for `float32`.
  public var elementBytes: Int { datapath.elementBytes }

  /// Operand elements the unified buffer holds: `ub bytes / elementBytes`.
  public var ubElements: Int { Int(ub.capacity.count / Int64(elementBytes)) }

  /// Weight elements the weight buffer holds: `weights bytes / elementBytes`.
  public var weightElements: Int { Int(weights.capacity.count / Int64(elementBytes)) }

  /// Bytes of one full weight tile: `array.rows × array.cols × elementBytes`.
  public var weightTileBytes: Int { array.rows * array.cols * elementBytes }

  /// Whole weight tiles the weight buffer holds: `⌊weights bytes / weightTileBytes⌋`.
  public var weightTilesInBuffer: Int {
    weightTileBytes > 0 ? Int(weights.capacity.count / Int64(weightTileBytes)) : 0
  }

  /// Cycles to shift one weight tile into the array:
  /// `⌈array.rows / array.weight_load_rows_per_cycle⌉` (TPU v1: 256).
  public var weightTileLoadCycles: Int {
    let rate = max(array.weightLoadRowsPerCycle, 1)
    return (array.rows + rate - 1) / rate
  }

  /// Accumulator entries (rows of `array.cols` 4-byte partial sums):
  /// `⌊acc bytes / (array.cols × 4)⌋` (TPU v1: 4096).
  public var accumulatorEntries: Int {
    let rowBytes = Int64(array.cols * datapath.accumulatorElementBytes)
    return rowBytes > 0 ? Int(acc.capacity.count / rowBytes) : 0
  }

  // MARK: Vector unit and host

  /// Vector-unit element operations per cycle: `vector.lanes × vector.ops_per_cycle_per_lane`.
  public var vectorOpsPerCycle: Int { vector.lanes * vector.opsPerCyclePerLane }

  /// Host link bytes per accelerator cycle: `host.link_gbps × 10⁹ / (clock.mhz × 10⁶)`.
  public var hostLinkBytesPerCycle: Double { host.linkBandwidth.bytesPerCycle(at: clock) }

  /// Host round-trip latency in accelerator cycles: `⌈host.latency_us × clock.mhz⌉`.
  public var hostLatencyCycles: Int { ceilToInt(host.latencyMicroseconds * clock.value) }
  /// Host-link DMA latency in accelerator cycles: `⌈host.dma_latency_ns × clock.mhz / 1000⌉`.
  public var hostDMALatencyCycles: Int { ceilToInt(host.dmaLatencyNanoseconds * clock.value / 1000) }

  /// Host fallback ops per accelerator cycle: `host.gops × 10⁹ / (clock.mhz × 10⁶)`.
  public var hostOpsPerCycle: Double { host.gigaOpsPerSecond * 1e9 / clock.hertz }

  // MARK: Energy

  /// Energy of one MAC in the array: `energy.int8_mac_pj` for `int8`, `energy.fp32_mac_pj` for
  /// `float32`.
  public var macEnergy: Picojoules {
    switch datapath {
    case .int8: energy.int8MAC
    case .float32: energy.fp32MAC
    }
  }

  /// Energy of one add into an accumulator entry: `energy.int32_add_pj` for `int8`,
  /// `energy.fp32_add_pj` for `float32`.
  public var accumulateEnergy: Picojoules {
    switch datapath {
    case .int8: energy.int32Add
    case .float32: energy.fp32Add
    }
  }

  /// SRAM energy per byte accessed in one bank of `bankBytes` bytes: `E(C) / 8`, where `E(C)` is
  /// the energy of one 64-bit access to a bank of capacity `C` bytes.
  ///
  /// `E` passes through Horowitz's three points (8 KiB → e₈, 32 KiB → e₃₂, 1 MiB → e₁ₘ, the
  /// `energy.sram_*_pj_per_64b` parameters) and grows as a power of capacity between them:
  ///
  /// ```
  /// C ≤ 8 KiB:            E(C) = e₈  × √(C / 8 KiB)
  /// 8 KiB ≤ C ≤ 32 KiB:   E(C) = e₈  × (C / 8 KiB)^a,   a = ln(e₃₂ / e₈)  / ln 4    (= 0.5 with 10, 20)
  /// 32 KiB ≤ C ≤ 1 MiB:   E(C) = e₃₂ × (C / 32 KiB)^b,  b = ln(e₁ₘ / e₃₂) / ln 32   (≈ 0.464 with 20, 100)
  /// C ≥ 1 MiB:            E(C) = e₁ₘ × √(C / 1 MiB)
  /// ```
  ///
  /// Outside the points the curve is CACTI-style √capacity; between them the exponent is the one
  /// that joins the two measured points, so the curve is continuous. If a point is ≤ 0 (an
  /// invalid spec), the segment falls back to linear interpolation.
  public func sramEnergyPerByte(bankBytes: Int64) -> Picojoules {
    let c = Double(max(bankBytes, 0))
    let p8 = 8.0 * 1024, p32 = 32.0 * 1024, p1m = 1024.0 * 1024
    let e8 = energy.sram8KiBAccess.value
    let e32 = energy.sram32KiBAccess.value
    let e1m = energy.sram1MiBAccess.value
    func segment(_ c0: Double, _ e0: Double, _ c1: Double, _ e1: Double) -> Double {
      if e0 <= 0 || e1 <= 0 { return e0 + (e1 - e0) * (c - c0) / (c1 - c0) }
      let exponent = log(e1 / e0) / log(c1 / c0)
      return e0 * pow(c / c0, exponent)
    }
    let perAccess: Double
    if c <= p8 {
      perAccess = e8 * (c / p8).squareRoot()
    } else if c <= p32 {
      perAccess = segment(p8, e8, p32, e32)
    } else if c <= p1m {
      perAccess = segment(p32, e32, p1m, e1m)
    } else {
      perAccess = e1m * (c / p1m).squareRoot()
    }
    return Picojoules(perAccess / 8)
  }

  /// Unified buffer energy per byte: `sramEnergyPerByte(ub bytes / ub.banks)`.
  public var ubEnergyPerByte: Picojoules { sramEnergyPerByte(bankBytes: ub.bankBytes) }

  /// Weight buffer energy per byte: `sramEnergyPerByte(weights bytes / weights.banks)`.
  public var weightsEnergyPerByte: Picojoules { sramEnergyPerByte(bankBytes: weights.bankBytes) }

  /// Accumulator energy per byte: `sramEnergyPerByte(acc bytes / acc.banks)`.
  public var accEnergyPerByte: Picojoules { sramEnergyPerByte(bankBytes: acc.bankBytes) }

  /// DRAM energy per byte: `8 × dram.pj_per_bit`.
  public var dramEnergyPerByte: Picojoules { Picojoules(8 * dram.energyPerBit.value) }

  /// Static energy per cycle: `energy.leakage_mw / clock.mhz × 1000` pJ
  /// (mW × 10⁻³ W ÷ (MHz × 10⁶ /s) = mW / MHz × 10⁻⁹ J).
  public var leakageEnergyPerCycle: Picojoules {
    Picojoules(energy.leakageMilliwatts / clock.value * 1000)
  }

  // MARK: The list

  /// Every derived figure with its stable snake_case key, value, unit and formula, in display
  /// order; `render()`, `jsonString(includeDerived:)` and the docs use this list.
  public var derivedFigures: [DerivedFigure] {
    [
      DerivedFigure("peak_macs_per_cycle", Double(peakMACsPerCycle), "MAC/cycle", "array.rows × array.cols"),
      DerivedFigure("peak_tmacs", peakMACsPerSecond / 1e12, "TMAC/s", "rows × cols × MHz × 10⁶ / 10¹²"),
      DerivedFigure("peak_tops", peakTOPS, "TOPS", "2 × peak TMAC/s (1 MAC = 2 ops)"),
      DerivedFigure("dram_bytes_per_cycle", dramBytesPerCycle, "B/cycle", "dram.gbps × 1000 / clock.mhz"),
      DerivedFigure("ridge_point_macs_per_dram_byte", ridgePointMACsPerDRAMByte, "MAC/B", "peak_macs_per_cycle / dram_bytes_per_cycle"),
      DerivedFigure("dram_latency_cycles", Double(dramLatencyCycles), "cycles", "⌈dram.latency_ns × clock.mhz / 1000⌉"),
      DerivedFigure("element_bytes", Double(elementBytes), "B", "1 for int8, 4 for float32"),
      DerivedFigure("ub_elements", Double(ubElements), "elements", "ub bytes / element_bytes"),
      DerivedFigure("weight_elements", Double(weightElements), "elements", "weights bytes / element_bytes"),
      DerivedFigure("weight_tile_bytes", Double(weightTileBytes), "B", "rows × cols × element_bytes"),
      DerivedFigure("weight_tiles_in_buffer", Double(weightTilesInBuffer), "tiles", "⌊weights bytes / weight_tile_bytes⌋"),
      DerivedFigure("weight_tile_load_cycles", Double(weightTileLoadCycles), "cycles", "⌈rows / array.weight_load_rows_per_cycle⌉"),
      DerivedFigure("accumulator_entries", Double(accumulatorEntries), "rows", "⌊acc bytes / (cols × 4)⌋"),
      DerivedFigure("vector_ops_per_cycle", Double(vectorOpsPerCycle), "ops/cycle", "vector.lanes × vector.ops_per_cycle_per_lane"),
      DerivedFigure("host_link_bytes_per_cycle", hostLinkBytesPerCycle, "B/cycle", "host.link_gbps × 1000 / clock.mhz"),
      DerivedFigure("host_latency_cycles", Double(hostLatencyCycles), "cycles", "⌈host.latency_us × clock.mhz⌉"),
      DerivedFigure(
        "host_dma_latency_cycles", Double(hostDMALatencyCycles), "cycles", "⌈host.dma_latency_ns × clock.mhz / 1000⌉"),
      DerivedFigure("host_ops_per_cycle", hostOpsPerCycle, "ops/cycle", "host.gops × 1000 / clock.mhz"),
      DerivedFigure("mac_energy_pj", macEnergy.value, "pJ", "energy.int8_mac_pj (int8) or energy.fp32_mac_pj (float32)"),
      DerivedFigure("accumulate_energy_pj", accumulateEnergy.value, "pJ", "energy.int32_add_pj (int8) or energy.fp32_add_pj (float32)"),
      DerivedFigure("ub_pj_per_byte", ubEnergyPerByte.value, "pJ/B", "E(ub bytes / ub.banks) / 8"),
      DerivedFigure("weights_pj_per_byte", weightsEnergyPerByte.value, "pJ/B", "E(weights bytes / weights.banks) / 8"),
      DerivedFigure("acc_pj_per_byte", accEnergyPerByte.value, "pJ/B", "E(acc bytes / acc.banks) / 8"),
      DerivedFigure("dram_pj_per_byte", dramEnergyPerByte.value, "pJ/B", "8 × dram.pj_per_bit"),
      DerivedFigure("leakage_pj_per_cycle", leakageEnergyPerCycle.value, "pJ/cycle", "energy.leakage_mw / clock.mhz × 1000"),
    ]
  }
}

/// One derived figure: a stable snake_case key, its value, unit and formula.
public struct DerivedFigure: Sendable, Hashable {
  /// Stable snake_case key for JSON and reports: `peak_tops`.
  public let key: String
  /// The value.
  public let value: Double
  /// The unit: `TOPS`, `B/cycle`.
  public let unit: String
  /// The formula in terms of parameter keys.
  public let formula: String

  init(_ key: String, _ value: Double, _ unit: String, _ formula: String) {
    self.key = key
    self.value = value
    self.unit = unit
    self.formula = formula
  }
}

/// `⌈x⌉` as an `Int`, saturating at `Int.max` and at 0 for negative or NaN input.
func ceilToInt(_ x: Double) -> Int {
  guard x.isFinite else { return x > 0 ? Int.max : 0 }
  if x <= 0 { return 0 }
  let c = x.rounded(.up)
  return c >= Double(Int.max) ? Int.max : Int(c)
}
