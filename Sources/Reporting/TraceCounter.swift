import TileISA

/// The counter tracks (`ph:"C"` events) of a Systole trace: the name Perfetto shows, the `args`
/// key holding the value, and for the occupancy counters the memory they measure.
public enum TraceCounter: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
  /// MACs per cycle ÷ (rows × cols), averaged over each sample interval.
  case macUtilization = "MAC utilization"
  /// DMA bytes moved per second, averaged over each sample interval.
  case dramBandwidth = "DRAM bandwidth"
  /// Live bytes in the unified buffer, the peak of each sample interval.
  case unifiedBufferOccupancy = "unified buffer occupancy"
  /// Live bytes in the weight buffer, the peak of each sample interval.
  case weightBufferOccupancy = "weight buffer occupancy"
  /// Live bytes of the accumulator (its byte view: 4 per int32), the peak of each sample
  /// interval.
  case accumulatorOccupancy = "accumulator occupancy"

  /// The counter's name in the trace (`name` of its `C` events).
  public var description: String { rawValue }

  /// The `args` key holding the value.
  public var argument: String {
    switch self {
    case .macUtilization: "utilization"
    case .dramBandwidth: "GB/s"
    case .unifiedBufferOccupancy, .weightBufferOccupancy, .accumulatorOccupancy: "bytes"
    }
  }

  /// The memory an occupancy counter measures (nil for the rate counters).
  public var memory: OnChipMemory? {
    switch self {
    case .macUtilization, .dramBandwidth: nil
    case .unifiedBufferOccupancy: .unifiedBuffer
    case .weightBufferOccupancy: .weightBuffer
    case .accumulatorOccupancy: .accumulator
    }
  }

  /// The occupancy counter of `memory`.
  public static func occupancy(of memory: OnChipMemory) -> TraceCounter {
    switch memory {
    case .unifiedBuffer: .unifiedBufferOccupancy
    case .weightBuffer: .weightBufferOccupancy
    case .accumulator: .accumulatorOccupancy
    }
  }

  /// The key of `memory` in `otherData.memory_capacity_bytes`: `unified_buffer`,
  /// `weight_buffer`, `accumulator`.
  public static func capacityKey(of memory: OnChipMemory) -> String {
    switch memory {
    case .unifiedBuffer: "unified_buffer"
    case .weightBuffer: "weight_buffer"
    case .accumulator: "accumulator"
    }
  }
}
