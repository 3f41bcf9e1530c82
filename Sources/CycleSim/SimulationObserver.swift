import Support
import TileISA

/// The hardware units of the simulated machine; every instruction runs on one.
public enum SimulationUnit: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
  /// The load queue's DMA engine (DRAM → on chip).
  case loadDMA = "load_dma"
  /// The store queue's DMA engine (on chip → DRAM).
  case storeDMA = "store_dma"
  /// Shifts weight tiles from the weight buffer into the array's slots (`load_weights`).
  case weightLoader = "weight_loader"
  /// The systolic array (`matmul`).
  case array
  /// The activation/vector unit (`activate` and the vector operations).
  case vector
  /// The host, running fallback tasks (`host`).
  case host
  /// No hardware: `nop` and `finish`, which take no time.
  case control

  /// The snake_case name used in reports and traces.
  public var description: String { rawValue }
}

/// What the systolic array is doing in a cycle: TPU v1's performance-counter taxonomy
/// (Jouppi et al., ISCA 2017, Table 3), made exact for this machine.
///
/// Every cycle of a run is in exactly one class, so the classes sum to the total. A cycle in
/// which a `matmul` streams rows into the array (from its start to `busyUntil`: the array
/// issues a full wavefront of MACs) is `arrayActive`. Fill and drain cycles after the last row
/// are not: TPU v1's counters give array-active cycles (12.7 % of MLP0's) equal to useful plus
/// unused MACs as a share of peak (12.5 % + 0.3 %), so a cycle counts as active only when MACs
/// are issued. Otherwise the array is not issuing and the class says why, from the
/// first compute-queue instruction that has not started (the *head*), checked in this order:
///
/// 1. the host is running a fallback task → `host`;
/// 2. the compute queue has started everything: the weight loader is busy → `weightShift`, the
///    vector unit is busy → `nonMatrix`, only DMA is left → `outputStall`;
/// 3. the head waits for a load→compute token: `weightStall` if it is a `load_weights`,
///    else `inputStall`;
/// 4. the head waits for a store→compute token → `outputStall`;
/// 5. the head waits for the weight loader (busy, or loading the slot the head reads) →
///    `weightShift`;
/// 6. the head waits for the vector unit to be free → `nonMatrix`;
/// 7. the head waits for an instruction on the vector unit, or a draining matmul, that touches
///    what it touches (read-after-write, write-after-read, write-after-write) → `dependencyWait`;
/// 8. none of these (never expected; tests check it stays 0) → `idle`.
public enum CycleClass: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
  /// A matmul streams rows into the array (MACs are issued).
  case arrayActive = "array_active"
  /// The array waits for a weight tile being shifted in.
  case weightShift = "weight_shift"
  /// The array waits for weights to arrive from DRAM.
  case weightStall = "weight_stall"
  /// The array (or the next compute instruction) waits for input data from DRAM.
  case inputStall = "input_stall"
  /// The compute queue waits for the store queue (to drain a buffer, or at the end).
  case outputStall = "output_stall"
  /// The next compute instruction waits for an earlier one it depends on (TPU v1's RAW stalls).
  case dependencyWait = "dependency_wait"
  /// The array is idle while the activation/vector unit works.
  case nonMatrix = "non_matrix"
  /// The array is idle while the host runs a fallback task.
  case host
  /// Unclassified idle time (expected to be 0).
  case idle

  /// The snake_case name used in reports.
  public var description: String { rawValue }
}

/// Why an instruction started later than it reached the head of its queue: what the engine held
/// it for. When several reasons held it in turn, the one that held it the most cycles (ties:
/// the later one).
///
/// The engine models tokens, busy units and the compute queue's interlock between units; DRAM
/// bandwidth sharing between the two DMA queues lengthens transfers (a later load then waits
/// with `unitBusy`), and SRAM banks are not modelled, so there is no bank-conflict reason.
public enum StallReason: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
  /// Waiting for a token from the load queue (`pop_prev` on the compute queue): data being
  /// loaded.
  case loadToken = "load_token"
  /// Waiting for a token from the compute queue (a load's `pop_next`: a buffer compute still
  /// reads; a store's `pop_prev`: results not yet computed).
  case computeToken = "compute_token"
  /// Waiting for a token from the store queue (`pop_next` on the compute queue): a buffer not
  /// yet drained to DRAM.
  case storeToken = "store_token"
  /// Its own unit is still busy with the previous instruction: a DMA engine still transferring,
  /// the array still streaming rows in, the weight loader, the vector unit or the host busy.
  case unitBusy = "unit_busy"
  /// The compute queue's interlock: an in-flight `matmul` touches what it touches.
  case arrayHazard = "array_hazard"
  /// The compute queue's interlock: an in-flight `load_weights` writes the slot it reads.
  case weightLoaderHazard = "weight_loader_hazard"
  /// The compute queue's interlock: an in-flight vector-unit instruction touches what it
  /// touches.
  case vectorHazard = "vector_hazard"

  /// The snake_case name used in reports and traces.
  public var description: String { rawValue }
}

/// One thing that happened in a run: an instruction executing on its unit, or an interval of
/// the array's cycle classification.
///
/// Instruction events are reported when the instruction completes (in order of `end`), array-state
/// events when the state changes (in order of `start`, back to back from cycle 0 to the end of
/// the run). Times are cycles from the start of the run.
public struct SimulationEvent: Hashable, Sendable {
  /// The unit.
  public var unit: SimulationUnit
  /// The instruction's index in the program: the instruction executed, or for an array-state
  /// event the compute-queue head the array was waiting on (nil when none).
  public var instruction: Int?
  /// The instruction's layer tag (nil for untagged instructions and array-state events).
  public var layer: LayerIndex?
  /// When the instruction reached the head of its queue (= `start` for array states).
  public var queued: Cycle
  /// When it started (popped its tokens and issued to its unit).
  public var start: Cycle
  /// When its unit could accept the next instruction (= `end` except for the pipelined array).
  public var busyUntil: Cycle
  /// When it completed (results visible, tokens pushed).
  public var end: Cycle
  /// For an array-state event, the class of every cycle in `start ..< end`; nil for an
  /// instruction event.
  public var cycleClass: CycleClass?
  /// For an instruction event, why it started after `queued` (nil when `start == queued`, and
  /// for array-state events).
  public var stall: StallReason?

  /// Creates an event.
  public init(
    unit: SimulationUnit, instruction: Int?, layer: LayerIndex?, queued: Cycle, start: Cycle, busyUntil: Cycle,
    end: Cycle, cycleClass: CycleClass?, stall: StallReason? = nil
  ) {
    self.unit = unit
    self.instruction = instruction
    self.layer = layer
    self.queued = queued
    self.start = start
    self.busyUntil = busyUntil
    self.end = end
    self.cycleClass = cycleClass
    self.stall = stall
  }
}

/// Receives the simulator's events; trace writers and counters implement it, so neither is
/// written into the engine loop (Ramulator 2's plugins observe `tick()` the same way).
public protocol SimulationObserver {
  /// Called for every event, in the order described on `SimulationEvent`.
  mutating func observe(_ event: SimulationEvent)
}

/// An observer that ignores everything.
public struct NullObserver: SimulationObserver {
  /// Creates the observer.
  public init() {}
  /// Does nothing.
  public mutating func observe(_ event: SimulationEvent) {}
}

/// An observer that keeps every event, for tests.
public struct RecordingObserver: SimulationObserver {
  /// Every event, in arrival order.
  public private(set) var events: [SimulationEvent] = []

  /// Creates an empty recording.
  public init() {}

  /// Appends the event.
  public mutating func observe(_ event: SimulationEvent) { events.append(event) }

  /// The execution event of instruction `index`, if it ran.
  public func execution(of index: Int) -> SimulationEvent? {
    events.first { $0.cycleClass == nil && $0.instruction == index }
  }

  /// The instruction events, in arrival order.
  public var executions: [SimulationEvent] { events.filter { $0.cycleClass == nil } }

  /// The array-state events, in time order.
  public var arrayStates: [SimulationEvent] { events.filter { $0.cycleClass != nil } }
}

/// Sends each event to two observers.
struct ObserverPair<First: SimulationObserver, Second: SimulationObserver>: SimulationObserver {
  var first: First
  var second: Second

  mutating func observe(_ event: SimulationEvent) {
    first.observe(event)
    second.observe(event)
  }
}
