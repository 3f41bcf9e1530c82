import Architecture

/// A first-order silicon area estimate of an architecture at 45 nm: processing elements plus
/// on-chip SRAM. It ranks design points against each other; it is not a floorplan.
///
/// ```
/// area_mm2 = array.rows × array.cols × PE_um2 / 10⁶  +  SRAM bytes / 2²⁰ × SRAM_mm2_per_MiB
/// PE_um2 (int8)    = 282 (8-bit multiply) + 137 (32-bit add)    = 419 µm²
/// PE_um2 (float32) = 7700 (fp32 multiply) + 4184 (fp32 add)     = 11884 µm²
/// SRAM_mm2_per_MiB = 2²³ bits × 0.346 µm² per 6T cell / 0.7     ≈ 4.146 mm²
/// ```
/// Sources: the arithmetic areas are from Horowitz, "Computing's energy problem (and what we can
/// do about it)", ISSCC 2014, area-cost table at 45 nm (the same talk as the energy table in
/// `ArchSpec.energy`). The SRAM cell is Intel's 45 nm 6T cell, 0.346 µm² (Mistry et al., IEDM
/// 2007). The 0.7 array efficiency (cells / total macro area, for decoders, sense amplifiers and
/// wiring) is an assumption. Pipeline registers, the vector unit, control and I/O are left out.
/// SRAM counted is the unified buffer, weight buffer and accumulators.
public struct AreaModel: Sendable, Hashable {
  /// Area of one int8 PE (8-bit multiplier + 32-bit accumulate adder), µm².
  public var int8PESquareMicrometers: Double
  /// Area of one float32 PE (fp32 multiplier + fp32 adder), µm².
  public var float32PESquareMicrometers: Double
  /// SRAM area per MiB of capacity, mm².
  public var sramSquareMillimetersPerMiB: Double

  /// Creates an area model.
  public init(int8PESquareMicrometers: Double, float32PESquareMicrometers: Double, sramSquareMillimetersPerMiB: Double) {
    self.int8PESquareMicrometers = int8PESquareMicrometers
    self.float32PESquareMicrometers = float32PESquareMicrometers
    self.sramSquareMillimetersPerMiB = sramSquareMillimetersPerMiB
  }

  /// The 45 nm model above (Horowitz 2014 arithmetic, Intel 45 nm SRAM cell, 0.7 efficiency).
  public static let nm45 = AreaModel(
    int8PESquareMicrometers: 282 + 137, float32PESquareMicrometers: 7700 + 4184,
    sramSquareMillimetersPerMiB: Double(1 << 23) * 0.346e-6 / 0.7)

  /// The estimate for `arch`.
  public func estimate(_ arch: ArchSpec) -> AreaEstimate {
    let pes = Int64(arch.array.rows) * Int64(arch.array.cols)
    let sram = arch.ub.capacity.count + arch.weights.capacity.count + arch.acc.capacity.count
    let peArea = arch.datapath == .int8 ? int8PESquareMicrometers : float32PESquareMicrometers
    let mm2 = Double(pes) * peArea / 1e6 + Double(sram) / 1_048_576 * sramSquareMillimetersPerMiB
    return AreaEstimate(peCount: pes, sramCapacityBytes: sram, squareMillimeters: mm2)
  }
}

/// The area proxies of one point: PE count, SRAM capacity and the `AreaModel` estimate.
public struct AreaEstimate: Sendable, Hashable {
  /// `array.rows × array.cols`.
  public var peCount: Int64
  /// Unified buffer + weight buffer + accumulator capacity, bytes.
  public var sramCapacityBytes: Int64
  /// The `AreaModel` estimate, mm².
  public var squareMillimeters: Double

  /// Creates an estimate.
  public init(peCount: Int64, sramCapacityBytes: Int64, squareMillimeters: Double) {
    self.peCount = peCount
    self.sramCapacityBytes = sramCapacityBytes
    self.squareMillimeters = squareMillimeters
  }
}
