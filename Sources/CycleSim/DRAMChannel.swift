/// The DRAM interface the two DMA queues share: a fixed request latency, then a bandwidth the
/// transfers streaming at the same time share equally, each capped by its on-chip memory's port.
///
/// A transfer of B bytes issued at cycle `t` waits `latency` cycles (the request travels to
/// DRAM and the first byte comes back; no bandwidth is used), then streams. While it streams
/// alone it moves `min(bandwidth, port)` bytes per cycle; while the load and store queues both
/// stream, each gets half the bandwidth, and if one is held below half by its port the other
/// gets the rest (water-filling). A lone transfer therefore ends at exactly
/// `t + latency + ⌈B / min(bandwidth, port)⌉`.
///
/// All arithmetic is in integer *units*: one byte is `denominator × shareScale` units and the
/// channel delivers `numerator × shareScale` units per cycle, where `numerator / denominator` is
/// the bandwidth in bytes per cycle and `shareScale = lcm(1, …, ports)` makes every equal share
/// an integer. Completions fall on whole cycles: the cycle in which the last byte arrives.
struct DRAMChannel: Sendable {
  /// Which DMA queue a transfer belongs to; each has at most one transfer at a time.
  enum Port: Int, CaseIterable, Sendable {
    case load = 0
    case store = 1
  }

  /// One transfer in flight.
  struct Transfer: Equatable, Sendable {
    /// The instruction that issued it.
    var instruction: Int
    /// The cycle its latency ends and it starts to stream.
    var activeAt: Int64
    /// Units still to move.
    var remaining: Int64
    /// The most units it can move per cycle (its on-chip port).
    var cap: Int64
    /// Units it moves per cycle right now (0 until `activeAt`).
    var rate: Int64
  }

  /// The transfers completed by one `advance(to:)`, by port.
  struct Completions: Equatable, Sendable {
    var load: Int?
    var store: Int?
    subscript(port: Port) -> Int? { port == .load ? load : store }
    var isEmpty: Bool { load == nil && store == nil }
  }

  /// `lcm(1, …, number of ports)`: equal shares of the bandwidth are whole units.
  static let shareScale: Int64 = 2

  /// Units per cycle the channel delivers in total.
  let unitsPerCycle: Int64
  /// Units per byte.
  let unitsPerByte: Int64
  /// Request latency in cycles.
  let latency: Int64
  /// The load queue's transfer.
  private(set) var loadTransfer: Transfer?
  /// The store queue's transfer.
  private(set) var storeTransfer: Transfer?
  /// The cycle the rates were last brought up to date.
  private(set) var now: Int64 = 0

  /// A channel of `bytesPerCycle` bandwidth and `latency` cycles.
  init(bytesPerCycle: Rational, latency: Int64) {
    unitsPerCycle = bytesPerCycle.numerator * Self.shareScale
    unitsPerByte = bytesPerCycle.denominator * Self.shareScale
    self.latency = max(0, latency)
  }

  /// Whether `port` has a transfer in flight.
  func isBusy(_ port: Port) -> Bool { self[port] != nil }

  /// The transfer on `port`.
  private(set) subscript(port: Port) -> Transfer? {
    get { port == .load ? loadTransfer : storeTransfer }
    set { if port == .load { loadTransfer = newValue } else { storeTransfer = newValue } }
  }

  /// Starts a transfer of `bytes` on an idle port at the current cycle, capped at
  /// `portBytesPerCycle`. Returns false if the byte count overflows the unit arithmetic.
  mutating func start(_ port: Port, instruction: Int, bytes: Int64, portBytesPerCycle: Int64) -> Bool {
    precondition(self[port] == nil, "DRAM port \(port) already has a transfer")
    let (units, overflow) = bytes.multipliedReportingOverflow(by: unitsPerByte)
    let (cap, capOverflow) = max(1, portBytesPerCycle).multipliedReportingOverflow(by: unitsPerByte)
    guard !overflow, !capOverflow, bytes > 0 else { return false }
    self[port] = Transfer(
      instruction: instruction, activeAt: now + latency, remaining: units, cap: cap, rate: 0)
    shareBandwidth()
    return true
  }

  /// The next cycle after `now` at which a transfer starts streaming or completes, if any.
  var nextEvent: Int64? {
    func event(_ t: Transfer?) -> Int64? {
      guard let t else { return nil }
      return t.activeAt > now ? t.activeAt : now + ceilDiv(t.remaining, max(t.rate, 1))
    }
    switch (event(loadTransfer), event(storeTransfer)) {
    case (let a?, let b?): return min(a, b)
    case (let a?, nil): return a
    case (nil, let b?): return b
    case (nil, nil): return nil
    }
  }

  /// Moves time forward to `t` (never past `nextEvent`) and returns the transfers that completed
  /// at `t`.
  mutating func advance(to t: Int64) -> Completions {
    precondition(t >= now, "DRAM channel cannot go back from \(now) to \(t)")
    if let next = nextEvent { precondition(t <= next, "DRAM channel skipped its event at \(next) (advancing to \(t))") }
    let elapsed = t - now
    var done = Completions()
    for port in Port.allCases {
      guard var transfer = self[port] else { continue }
      if transfer.rate > 0 {
        transfer.remaining = max(0, transfer.remaining - transfer.rate * elapsed)
      }
      if transfer.remaining == 0 {
        self[port] = nil
        if port == .load { done.load = transfer.instruction } else { done.store = transfer.instruction }
      } else {
        self[port] = transfer
      }
    }
    now = t
    shareBandwidth()
    return done
  }

  /// Recomputes each streaming transfer's rate: equal shares, water-filled under the caps.
  private mutating func shareBandwidth() {
    let loadStreams = loadTransfer.map { $0.activeAt <= now } ?? false
    let storeStreams = storeTransfer.map { $0.activeAt <= now } ?? false
    if !loadStreams { loadTransfer?.rate = 0 }
    if !storeStreams { storeTransfer?.rate = 0 }
    switch (loadTransfer, storeTransfer) {
    case (let l?, let s?) where loadStreams && storeStreams:
      // The smaller cap first: a transfer held below half leaves the rest to the other.
      if l.cap <= s.cap {
        let rate = min(l.cap, unitsPerCycle / 2)
        loadTransfer?.rate = rate
        storeTransfer?.rate = min(s.cap, unitsPerCycle - rate)
      } else {
        let rate = min(s.cap, unitsPerCycle / 2)
        storeTransfer?.rate = rate
        loadTransfer?.rate = min(l.cap, unitsPerCycle - rate)
      }
    case (let l?, _) where loadStreams:
      loadTransfer?.rate = min(l.cap, unitsPerCycle)
    case (_, let s?) where storeStreams:
      storeTransfer?.rate = min(s.cap, unitsPerCycle)
    default:
      break
    }
  }
}
