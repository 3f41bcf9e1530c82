import CycleSim

/// The tracks (Chrome-trace threads) of a Systole trace, in display order; the raw value is the
/// `tid` and the `thread_sort_index`.
public enum TraceTrack: Int, CaseIterable, Sendable, Hashable, CustomStringConvertible {
  /// One slice per layer piece (the cycles attributed to the layer, `docs/cost-model.md` §11).
  case layers = 1
  /// The systolic array's cycle class (`CycleClass`) over time: active or why it is idle.
  case arrayState
  /// `load` instructions on the load DMA engine.
  case loadDMA
  /// `store` instructions on the store DMA engine.
  case storeDMA
  /// `load_weights` instructions on the weight loader.
  case weightLoader
  /// `matmul` instructions on the systolic array (`start ..< busyUntil`: while rows stream in).
  case array
  /// `activate` and vector instructions on the activation/vector unit.
  case vector
  /// Host fallback tasks.
  case host
  /// `nop` and `finish` (instants: they take no time).
  case control

  /// The track's name as shown by Perfetto (`thread_name`).
  public var description: String {
    switch self {
    case .layers: "layers"
    case .arrayState: "array state"
    case .loadDMA: "load DMA"
    case .storeDMA: "store DMA"
    case .weightLoader: "weight loader"
    case .array: "systolic array"
    case .vector: "vector unit"
    case .host: "host"
    case .control: "control"
    }
  }

  /// The track of a simulator unit.
  public static func of(_ unit: SimulationUnit) -> TraceTrack {
    switch unit {
    case .loadDMA: .loadDMA
    case .storeDMA: .storeDMA
    case .weightLoader: .weightLoader
    case .array: .array
    case .vector: .vector
    case .host: .host
    case .control: .control
    }
  }

  /// The track called `name` (`thread_name`), if any.
  public init?(name: String) {
    guard let track = TraceTrack.allCases.first(where: { $0.description == name }) else { return nil }
    self = track
  }
}
