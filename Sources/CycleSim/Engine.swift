import Support
import TileISA

/// What the engine needs of one instruction, computed once before the run: its queue, token
/// flags, unit, occupancy and completion (from its timing rule), and for DMA its size and port.
struct Step: Sendable {
  /// Cycles from start until the unit accepts its next instruction.
  var busy: Int64
  /// Cycles from start until it completes.
  var done: Int64
  /// DMA: bytes moved.
  var dmaBytes: Int64 = 0
  /// DMA: the on-chip port's bytes per cycle.
  var portBytesPerCycle: Int64 = 0
  /// DMA: whether the transfer uses the DRAM channel (false for arena transfers, which take
  /// their rule's fixed `busy`/`done` time).
  var throughDRAM = true
  /// The layer tag, or −1.
  var layer: Int32 = -1
  var unit: SimulationUnit
  var queue: Queue
  var flags: DependencyFlags
  var isLoadWeights = false
}

/// Why the first unstarted compute-queue instruction cannot start yet.
enum ComputeBlock: Equatable {
  /// The compute queue has started every instruction.
  case drained
  /// Not blocked (it just started; set only transiently).
  case none
  /// Waiting for a token on the channel.
  case token(TokenChannel)
  /// Waiting for its unit to be free.
  case unitBusy(SimulationUnit)
  /// Waiting for an in-flight instruction on another unit that touches the same state.
  case hazard(SimulationUnit)
}

/// The event-driven simulation loop. Internal: `Simulator` builds it and reads the result.
///
/// Time advances from event to event (a completion, a DMA transfer starting to stream or
/// finishing, the array accepting its next matmul, a deferred token push); nothing is done per
/// cycle. Each step, written out in `run()`:
///
/// 1. retire everything that completes at `now` and push the tokens due at `now`;
/// 2. start queue heads (load, compute, store, repeated until nothing more starts): an
///    instruction starts when the tokens it pops are available, its unit is free and (compute
///    queue) no in-flight instruction on another unit touches what it touches; while a head
///    cannot start, the reason is tallied (`StallTally`) and reported on its event
///    (`SimulationEvent.stall`) — bookkeeping that never changes when anything starts;
/// 3. classify the array's cycles from `now` on (`CycleClass`);
/// 4. move `now` to the earliest pending event, or stop when everything has drained (or report
///    a deadlock when nothing is pending but instructions remain).
///
/// Compute-queue instructions overlap across units but retire in order: an instruction's
/// tokens are pushed when it and every earlier compute instruction have completed, so a token
/// means what it means for a sequential compute queue (VTA).
struct Engine<Observer: SimulationObserver> {
  let instructions: [Instruction]
  let steps: [Step]
  let parameters: TimingParameters
  let elementBytes: Int
  let arrayColumns: Int
  var observer: Observer

  // Functional execution (`state` is a zero-sized machine in timing mode).
  let functional: Bool
  var state: MachineState
  let host: any HostExecutor

  // Queues and tokens.
  var loadQueue: QueueCursor
  var computeQueue: QueueCursor
  var storeQueue: QueueCursor
  var tokens = TokenCounters()

  // Units.
  var dram: DRAMChannel
  var loadDMA: RunningInstruction?
  var storeDMA: RunningInstruction?
  var array = ArrayUnit()
  var loader = SerialUnit()
  var vector = SerialUnit()
  var hostUnit = SerialUnit()

  // Why each queue's head waits, and the reason each instruction was held (`StallReason`).
  var loadStalls = StallTally()
  var computeStalls = StallTally()
  var storeStalls = StallTally()
  var stalls: [StallReason?]

  /// Compute-queue token pushes waiting for in-order retirement: (cycle, instruction).
  var pendingPushes = Ring<(time: Int64, instruction: Int)>()
  /// The retirement cycle of the last compute instruction started.
  var lastComputeRetire: Int64 = 0

  // Time and the array's classification.
  var now: Int64 = 0
  var computeBlock = ComputeBlock.drained
  var currentClass: CycleClass?
  var classStart: Int64 = 0
  var classHead: Int?

  init(
    instructions: [Instruction], steps: [Step], queues: (load: [Int], compute: [Int], store: [Int]),
    parameters: TimingParameters, elementBytes: Int, arrayColumns: Int, observer: Observer,
    functionalState: MachineState?, emptyState: MachineState, host: any HostExecutor
  ) {
    self.instructions = instructions
    self.steps = steps
    self.parameters = parameters
    self.elementBytes = elementBytes
    self.arrayColumns = arrayColumns
    self.observer = observer
    self.functional = functionalState != nil
    self.state = functionalState ?? emptyState
    self.host = host
    stalls = Array(repeating: nil, count: instructions.count)
    loadQueue = QueueCursor(queues.load)
    computeQueue = QueueCursor(queues.compute)
    storeQueue = QueueCursor(queues.store)
    dram = DRAMChannel(bytesPerCycle: parameters.dramBytesPerCycle, latency: parameters.dramLatencyCycles)
  }

  /// Runs to the end; returns the total cycles.
  mutating func run() throws(SimulatorError) -> Int64 {
    while true {
      // 1. Retire what completes now; push the tokens due now.
      retire()
      // 2. Start every queue head that can start now.
      try issue()
      // 3. Classify the array's cycles from now on.
      classify()
      // 4. Advance to the next event, or stop.
      if let next = nextEvent() {
        precondition(next > now, "event at \(next) is not after \(now)")
        now = next
        continue
      }
      if loadQueue.head == nil && computeQueue.head == nil && storeQueue.head == nil {
        closeClassInterval()
        return now
      }
      throw deadlock()
    }
  }

  // MARK: 1. Retire

  private mutating func retire() {
    let finished = dram.advance(to: now)
    /// Whether the transfer running on a DMA queue completes now: a DRAM transfer when the
    /// channel delivers its last byte, an arena transfer at its fixed completion.
    func completes(_ r: RunningInstruction, _ channelDone: Int?) -> Bool {
      steps[r.instruction].throughDRAM ? channelDone == r.instruction : r.done <= now
    }
    if var r = loadDMA, completes(r, finished.load) {
      loadDMA = nil
      (r.busyUntil, r.done) = (now, now)
      emit(r, unit: .loadDMA)
      pushTokens(of: r.instruction)
    }
    if var r = storeDMA, completes(r, finished.store) {
      storeDMA = nil
      (r.busyUntil, r.done) = (now, now)
      emit(r, unit: .storeDMA)
      pushTokens(of: r.instruction)
    }
    while let r = array.retire(at: now) { emit(r, unit: .array) }
    if let r = loader.retire(at: now) { emit(r, unit: .weightLoader) }
    if let r = vector.retire(at: now) { emit(r, unit: .vector) }
    if let r = hostUnit.retire(at: now) { emit(r, unit: .host) }
    while let first = pendingPushes.first, first.time <= now {
      _ = pendingPushes.removeFirst()
      pushTokens(of: first.instruction)
    }
  }

  private mutating func pushTokens(of index: Int) {
    let step = steps[index]
    let flags = step.flags
    switch step.queue {
    case .load:
      if flags.contains(.pushNext) { tokens.loadToCompute += 1 }
    case .compute:
      if flags.contains(.pushPrev) { tokens.computeToLoad += 1 }
      if flags.contains(.pushNext) { tokens.computeToStore += 1 }
    case .store:
      if flags.contains(.pushPrev) { tokens.storeToCompute += 1 }
    }
  }

  private mutating func emit(_ r: RunningInstruction, unit: SimulationUnit) {
    let layer = steps[r.instruction].layer
    observer.observe(
      SimulationEvent(
        unit: unit, instruction: r.instruction, layer: layer >= 0 ? LayerIndex(Int(layer)) : nil,
        queued: Cycle(r.queued), start: Cycle(r.start), busyUntil: Cycle(r.busyUntil), end: Cycle(r.done),
        cycleClass: nil, stall: stalls[r.instruction]))
  }

  // MARK: 2. Issue

  private mutating func issue() throws(SimulatorError) {
    var progress = true
    while progress {
      progress = false
      if try issueDMA(.load) { progress = true }
      while try issueCompute() { progress = true }
      if try issueDMA(.store) { progress = true }
    }
  }

  /// Starts the head of a DMA queue if it can start now.
  private mutating func issueDMA(_ port: DRAMChannel.Port) throws(SimulatorError) -> Bool {
    let head = port == .load ? loadQueue.head : storeQueue.head
    guard let i = head else { return false }
    guard (port == .load ? loadDMA : storeDMA) == nil else { return blockDMA(port, .unitBusy) }
    let step = steps[i]
    if port == .load {
      if step.flags.contains(.popNext) {
        guard tokens.computeToLoad > 0 else { return blockDMA(port, .computeToken) }
        tokens.computeToLoad -= 1
      }
    } else if step.flags.contains(.popPrev) {
      guard tokens.computeToStore > 0 else { return blockDMA(port, .computeToken) }
      tokens.computeToStore -= 1
    }
    let queued: Int64
    if port == .load {
      queued = loadQueue.headSince
      loadQueue.advance(at: now)
      stalls[i] = loadStalls.started(at: now)
    } else {
      queued = storeQueue.headSince
      storeQueue.advance(at: now)
      stalls[i] = storeStalls.started(at: now)
    }
    try executeFunctionally(i)
    if step.dmaBytes > 0 && step.throughDRAM {
      let started = dram.start(port, instruction: i, bytes: step.dmaBytes, portBytesPerCycle: step.portBytesPerCycle)
      precondition(started, "instruction #\(i): transfer size was validated")
      let running = RunningInstruction(
        instruction: i, queued: queued, start: now, busyUntil: 0, done: 0, footprint: Footprint.none)
      if port == .load { loadDMA = running } else { storeDMA = running }
    } else if step.dmaBytes > 0 {
      // An arena transfer: the DMA queue is busy for its rule's time; the DRAM channel is not used.
      let running = RunningInstruction(
        instruction: i, queued: queued, start: now, busyUntil: now + step.busy, done: now + step.done,
        footprint: Footprint.none)
      if port == .load { loadDMA = running } else { storeDMA = running }
    } else {
      // A nop on a DMA queue: no time; its tokens are pushed at once.
      emit(
        RunningInstruction(instruction: i, queued: queued, start: now, busyUntil: now, done: now, footprint: .none),
        unit: port == .load ? .loadDMA : .storeDMA)
      pushTokens(of: i)
    }
    return true
  }

  /// Records why a DMA queue's head cannot start now; returns false (nothing started).
  private mutating func blockDMA(_ port: DRAMChannel.Port, _ reason: StallReason) -> Bool {
    if port == .load { loadStalls.blocked(reason, at: now) } else { storeStalls.blocked(reason, at: now) }
    return false
  }

  /// Records why the compute queue's head cannot start now; returns false (nothing started).
  private mutating func block(_ reason: ComputeBlock) -> Bool {
    computeBlock = reason
    switch reason {
    case .token(.loadToCompute): computeStalls.blocked(.loadToken, at: now)
    case .token(.storeToCompute): computeStalls.blocked(.storeToken, at: now)
    case .token: computeStalls.blocked(.computeToken, at: now)
    case .unitBusy: computeStalls.blocked(.unitBusy, at: now)
    case .hazard(.array): computeStalls.blocked(.arrayHazard, at: now)
    case .hazard(.weightLoader): computeStalls.blocked(.weightLoaderHazard, at: now)
    case .hazard: computeStalls.blocked(.vectorHazard, at: now)
    case .drained, .none: break
    }
    return false
  }

  /// Starts the head of the compute queue if it can start now; records why not otherwise.
  private mutating func issueCompute() throws(SimulatorError) -> Bool {
    guard let i = computeQueue.head else { return block(.drained) }
    let step = steps[i]
    let flags = step.flags
    if flags.contains(.popPrev) && tokens.loadToCompute == 0 { return block(.token(.loadToCompute)) }
    if flags.contains(.popNext) && tokens.storeToCompute == 0 { return block(.token(.storeToCompute)) }
    var footprint = Footprint.none
    switch step.unit {
    case .array:
      guard array.canIssue(at: now) else { return block(.unitBusy(.array)) }
      footprint = makeFootprint(i)
      if let r = loader.running, r.footprint.conflicts(with: footprint) { return block(.hazard(.weightLoader)) }
      if let r = vector.running, r.footprint.conflicts(with: footprint) { return block(.hazard(.vector)) }
    case .weightLoader:
      guard !loader.isBusy else { return block(.unitBusy(.weightLoader)) }
      footprint = makeFootprint(i)
      if array.conflicts(with: footprint) { return block(.hazard(.array)) }
    case .vector:
      guard !vector.isBusy else { return block(.unitBusy(.vector)) }
      footprint = makeFootprint(i)
      if array.conflicts(with: footprint) { return block(.hazard(.array)) }
    case .host:
      guard !hostUnit.isBusy else { return block(.unitBusy(.host)) }
    case .control, .loadDMA, .storeDMA:
      break
    }
    // Start it.
    if flags.contains(.popPrev) { tokens.loadToCompute -= 1 }
    if flags.contains(.popNext) { tokens.storeToCompute -= 1 }
    let queued = computeQueue.headSince
    computeQueue.advance(at: now)
    stalls[i] = computeStalls.started(at: now)
    computeBlock = .none
    try executeFunctionally(i)
    let running = RunningInstruction(
      instruction: i, queued: queued, start: now, busyUntil: now + step.busy, done: now + step.done,
      footprint: footprint)
    switch step.unit {
    case .array: array.issue(running)
    case .weightLoader: loader.issue(running)
    case .vector: vector.issue(running)
    case .host: hostUnit.issue(running)
    case .control, .loadDMA, .storeDMA: emit(running, unit: .control)
    }
    let retireAt = max(running.done, lastComputeRetire)
    lastComputeRetire = retireAt
    if retireAt <= now && pendingPushes.isEmpty {
      pushTokens(of: i)
    } else {
      pendingPushes.append((retireAt, i))
    }
    return true
  }

  private func makeFootprint(_ index: Int) -> Footprint {
    Footprint(
      instructions[index], elementBytes: elementBytes, arrayColumns: arrayColumns,
      doubleBuffered: parameters.weightDoubleBuffered)
  }

  private mutating func executeFunctionally(_ index: Int) throws(SimulatorError) {
    guard functional else { return }
    do {
      try execute(instructions[index], on: &state, host: host)
    } catch {
      throw SimulatorError(
        .execution, "instruction #\(index) (\(instructions[index].mnemonic))",
        "\(error.message) (at cycle \(now))")
    }
  }

  // MARK: 3. Classify

  private mutating func classify() {
    let c: CycleClass
    var head = computeQueue.head
    if array.isStreaming(at: now) {
      c = .arrayActive
    } else if hostUnit.isBusy {
      c = .host
    } else {
      switch computeBlock {
      case .drained, .none:
        head = nil
        c = loader.isBusy ? .weightShift : vector.isBusy ? .nonMatrix : .outputStall
      case .token(.loadToCompute):
        if let i = head, steps[i].isLoadWeights { c = .weightStall } else { c = .inputStall }
      case .token:
        c = .outputStall
      case .unitBusy(.weightLoader), .hazard(.weightLoader):
        c = .weightShift
      case .unitBusy(.vector):
        c = .nonMatrix
      case .hazard(.vector), .hazard(.array), .unitBusy(.array):
        // The head waits for results (or a weight slot) of a unit still working on them: a
        // vector operation, or a matmul that has streamed its rows and is draining.
        c = .dependencyWait
      case .unitBusy, .hazard:
        c = .idle
      }
    }
    if c != currentClass {
      closeClassInterval()
      currentClass = c
      classStart = now
      classHead = head
    }
  }

  private mutating func closeClassInterval() {
    guard let c = currentClass, now > classStart else { return }
    observer.observe(
      SimulationEvent(
        unit: .array, instruction: classHead, layer: nil, queued: Cycle(classStart), start: Cycle(classStart),
        busyUntil: Cycle(now), end: Cycle(now), cycleClass: c))
  }

  // MARK: 4. Next event

  private func nextEvent() -> Int64? {
    var next: Int64?
    func consider(_ t: Int64?) {
      if let t, t > now { next = min(next ?? t, t) }
    }
    consider(dram.nextEvent)
    if let r = loadDMA, !steps[r.instruction].throughDRAM { consider(r.done) }
    if let r = storeDMA, !steps[r.instruction].throughDRAM { consider(r.done) }
    consider(array.nextEvent(after: now))
    consider(loader.nextEvent)
    consider(vector.nextEvent)
    consider(hostUnit.nextEvent)
    consider(pendingPushes.first?.time)
    return next
  }

  private func deadlock() -> SimulatorError {
    func waiting(_ index: Int) -> String {
      let instruction = instructions[index]
      var missing: [String] = []
      for flag in [DependencyFlags.popPrev, .popNext] where instruction.dependencies.contains(flag) {
        guard let channel = TokenChannel.channel(for: flag, on: instruction.queue) else { continue }
        let available =
          switch channel {
          case .loadToCompute: tokens.loadToCompute
          case .computeToLoad: tokens.computeToLoad
          case .computeToStore: tokens.computeToStore
          case .storeToCompute: tokens.storeToCompute
          }
        if available == 0 { missing.append(channel.description) }
      }
      return "waits for a \(missing.joined(separator: " and ")) token that is never pushed"
    }
    var blocked: [(index: Int, queue: Queue, remaining: Int)] = []
    if let i = loadQueue.head { blocked.append((i, .load, loadQueue.remaining)) }
    if let i = computeQueue.head { blocked.append((i, .compute, computeQueue.remaining)) }
    if let i = storeQueue.head { blocked.append((i, .store, storeQueue.remaining)) }
    blocked.sort { $0.index < $1.index }
    guard let first = blocked.first else {
      return SimulatorError(.deadlock, "program", "stopped at cycle \(now) with nothing left to run")
    }
    var message =
      "\(waiting(first.index)) (deadlock at cycle \(now): \(first.remaining) \(first.queue)-queue instruction\(first.remaining == 1 ? "" : "s") cannot run)"
    for other in blocked.dropFirst() {
      message +=
        "; also instruction #\(other.index) (\(instructions[other.index].mnemonic)) \(waiting(other.index))"
    }
    return SimulatorError(.deadlock, "instruction #\(first.index) (\(instructions[first.index].mnemonic))", message)
  }
}

extension Footprint {
  /// Touches nothing.
  static let none = Footprint()
}

/// The cycles one queue's head has been held, by reason, until it starts.
///
/// The engine reports a reason each time it finds the head blocked. Nothing changes between
/// events, so a reason holds until the head is examined again (at the next event) and its cycles
/// are credited then. Bookkeeping only: it never changes when anything starts.
struct StallTally {
  private static let reasons = StallReason.allCases
  /// Cycles credited to each reason (indexed like `reasons`).
  private var cycles = [Int64](repeating: 0, count: StallTally.reasons.count)
  /// When each reason last stopped holding the head (for ties).
  private var lastHeld = [Int64](repeating: 0, count: StallTally.reasons.count)
  private var current: Int?
  private var since: Int64 = 0

  private mutating func credit(_ now: Int64) {
    guard let c = current else { return }
    cycles[c] += now - since
    lastHeld[c] = now
  }

  /// The head is blocked at `now` for `reason`.
  mutating func blocked(_ reason: StallReason, at now: Int64) {
    credit(now)
    current = reason.tallyIndex
    since = now
  }

  /// The head starts at `now`: the reason that held it the most cycles (ties: the one that held
  /// it last), or nil when it never waited. Resets for the next head.
  mutating func started(at now: Int64) -> StallReason? {
    credit(now)
    var best: Int?
    for r in cycles.indices where cycles[r] > 0 {
      if let b = best, cycles[r] < cycles[b] || (cycles[r] == cycles[b] && lastHeld[r] <= lastHeld[b]) { continue }
      best = r
    }
    if current != nil {
      for r in cycles.indices {
        cycles[r] = 0
        lastHeld[r] = 0
      }
      current = nil
    }
    return best.map { Self.reasons[$0] }
  }
}

extension StallReason {
  /// The reason's position in `allCases`.
  fileprivate var tallyIndex: Int {
    switch self {
    case .loadToken: 0
    case .computeToken: 1
    case .storeToken: 2
    case .unitBusy: 3
    case .arrayHazard: 4
    case .weightLoaderHazard: 5
    case .vectorHazard: 6
    }
  }
}
