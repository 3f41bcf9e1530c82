/// A first-in first-out buffer that reuses its storage (no allocation once it has grown to the
/// largest number of elements it holds at once).
struct Ring<Element> {
  private var storage: [Element?] = Array(repeating: nil, count: 16)
  private var head = 0
  private(set) var count = 0

  var isEmpty: Bool { count == 0 }
  var first: Element? { count == 0 ? nil : storage[head] }

  mutating func append(_ element: Element) {
    if count == storage.count {
      var grown = [Element?](repeating: nil, count: storage.count * 2)
      for i in 0..<count { grown[i] = storage[(head + i) & (storage.count - 1)] }
      storage = grown
      head = 0
    }
    storage[(head + count) & (storage.count - 1)] = element
    count += 1
  }

  mutating func removeFirst() -> Element? {
    guard count > 0 else { return nil }
    let element = storage[head]
    storage[head] = nil
    head = (head + 1) & (storage.count - 1)
    count -= 1
    return element
  }

  /// Whether any element satisfies `predicate` (front to back).
  func contains(where predicate: (Element) -> Bool) -> Bool {
    for i in 0..<count {
      if let e = storage[(head + i) & (storage.count - 1)], predicate(e) { return true }
    }
    return false
  }
}

/// An instruction a unit is running: when it became its queue's head, started, frees the unit,
/// and completes; and what it touches (for hazard checks against later instructions).
struct RunningInstruction: Equatable {
  var instruction: Int
  var queued: Int64
  var start: Int64
  var busyUntil: Int64
  var done: Int64
  var footprint: Footprint
}

/// A unit that runs one instruction at a time: the weight loader, the vector unit, the host.
///
/// ```
/// idle ──issue(i, t, cycles)──▶ busy(i, until t + cycles) ──retire(at: until)──▶ idle
/// ```
struct SerialUnit {
  /// The unit's state.
  enum State: Equatable {
    case idle
    case busy(RunningInstruction)
  }

  private(set) var state = State.idle

  var isBusy: Bool { state != .idle }
  var running: RunningInstruction? {
    if case .busy(let r) = state { return r }
    return nil
  }

  /// Starts `instruction`; the unit must be idle.
  mutating func issue(_ instruction: RunningInstruction) {
    precondition(state == .idle, "unit issued instruction #\(instruction.instruction) while busy")
    state = .busy(instruction)
  }

  /// The instruction that completes at `t`, which frees the unit.
  mutating func retire(at t: Int64) -> RunningInstruction? {
    guard case .busy(let r) = state, r.done <= t else { return nil }
    state = .idle
    return r
  }

  /// The cycle the running instruction completes.
  var nextEvent: Int64? { running?.done }
}

/// The systolic array: a pipeline that accepts a new matmul once the previous one has streamed
/// its rows in (`busyUntil`) and completes each after its fill and drain (`done`).
///
/// ```
/// accepting ──issue(i, busy b, done d)──▶ streaming until b (then accepting again)
///                                          in flight until d ──retire(at: d)──▶ complete
/// ```
/// Completions come in issue order (a later matmul never completes before an earlier one:
/// `done − busyUntil` is the same fill-and-drain `R + C − 2` for every weight-stationary
/// matmul, and output- and input-stationary ones occupy the array until they complete).
struct ArrayUnit {
  /// The first cycle the array accepts another matmul.
  private(set) var nextIssue: Int64 = 0
  private var inFlight = Ring<RunningInstruction>()

  /// Whether a matmul is in flight (streaming, filling or draining).
  var isActive: Bool { !inFlight.isEmpty }

  /// Whether a matmul is streaming its rows in at `t`: the array issues a full wavefront of
  /// MACs every such cycle. Fill and drain cycles after the last row are in flight but not
  /// streaming.
  func isStreaming(at t: Int64) -> Bool { !inFlight.isEmpty && t < nextIssue }

  /// Whether a new matmul may start at `t`.
  func canIssue(at t: Int64) -> Bool { t >= nextIssue }

  /// Starts a matmul; `canIssue(at: start)` must hold.
  mutating func issue(_ matmul: RunningInstruction) {
    precondition(
      matmul.start >= nextIssue, "array issued #\(matmul.instruction) at \(matmul.start) before \(nextIssue)")
    precondition(matmul.done >= (inFlight.first?.done ?? 0), "array completions out of order")
    nextIssue = matmul.busyUntil
    inFlight.append(matmul)
  }

  /// The oldest matmul if it completes by `t`.
  mutating func retire(at t: Int64) -> RunningInstruction? {
    guard let first = inFlight.first, first.done <= t else { return nil }
    return inFlight.removeFirst()
  }

  /// Whether an in-flight matmul conflicts with `footprint`.
  func conflicts(with footprint: Footprint) -> Bool {
    inFlight.contains { $0.footprint.conflicts(with: footprint) }
  }

  /// The next cycle after `t` at which the array accepts a matmul or one completes.
  func nextEvent(after t: Int64) -> Int64? {
    let accept = nextIssue > t ? nextIssue : nil
    switch (accept, inFlight.first?.done) {
    case (let a?, let d?): return min(a, d)
    case (let a?, nil): return a
    case (nil, let d?): return d
    case (nil, nil): return nil
    }
  }
}

/// The four token channels between the queues (`docs/isa.md` §2): counters that pops
/// decrement and pushes increment.
struct TokenCounters: Equatable {
  var loadToCompute = 0
  var computeToLoad = 0
  var computeToStore = 0
  var storeToCompute = 0
}

/// One instruction queue: the program-order indices of its instructions and the position of
/// its head.
struct QueueCursor {
  let indices: [Int]
  private(set) var position = 0
  /// When the current head became the head.
  private(set) var headSince: Int64 = 0

  init(_ indices: [Int]) { self.indices = indices }

  var head: Int? { position < indices.count ? indices[position] : nil }
  var remaining: Int { indices.count - position }

  mutating func advance(at t: Int64) {
    position += 1
    headSince = t
  }
}
