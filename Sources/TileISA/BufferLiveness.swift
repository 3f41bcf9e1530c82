/// A run of on-chip bytes holding one value, from the instruction that writes it until the last
/// instruction that uses it: what the buffer-occupancy counters of a trace add up.
///
/// The bytes become live when `writer` starts and free again once every instruction in
/// `lastUses` has completed (the writer itself is always among them, so a value nothing reads
/// is live for its writer's duration only). A read-modify-write — an instruction that reads the
/// bytes it then writes, such as an accumulating `matmul` or an in-place vector operation —
/// continues the value instead of starting a new one, so the same bytes are never counted twice.
public struct LiveRange: Hashable, Sendable {
  /// The memory.
  public var memory: OnChipMemory
  /// How many bytes (they need not be contiguous).
  public var byteCount: Int
  /// The instruction (program index) whose start makes the bytes live.
  public var writer: Int
  /// The instructions whose completion ends the liveness: the writers of the value and its last
  /// reader on each unit, in increasing program order.
  public var lastUses: [Int]

  /// Creates a live range.
  public init(memory: OnChipMemory, byteCount: Int, writer: Int, lastUses: [Int]) {
    self.memory = memory
    self.byteCount = byteCount
    self.writer = writer
    self.lastUses = lastUses
  }
}

extension TileProgram {
  /// The lifetimes of every value written to an on-chip memory, from a static pass over the
  /// instruction stream in program order (`docs/traces.md` §"Buffer occupancy").
  ///
  /// Each instruction's exact byte footprint (`memoryAccesses(in:)`) is applied to a map of the
  /// bytes each memory holds, reads first: a read records the instruction as the bytes' latest
  /// user on its unit; a write ends the bytes' previous value (unless the same instruction read
  /// them: a read-modify-write continues it) and starts a new one. Program order is the order
  /// that matters: the dependency tokens and the compute queue's interlock make every reader
  /// finish before a later writer of the same bytes starts.
  ///
  /// Ranges with the same memory, writer and last uses are merged; the result is sorted by
  /// writer, then memory. Instructions the verifier would reject (no valid footprint) are
  /// skipped. Cost: proportional to the number of byte ranges touched and to the number of
  /// distinct pieces each memory is split into.
  public func liveRanges() -> [LiveRange] {
    var maps = [ByteValueMap](repeating: ByteValueMap(), count: OnChipMemory.allCases.count)
    var finished: [LiveKey: Int] = [:]
    func flush(_ pieces: [ByteValueMap.Piece], memory: Int) {
      for p in pieces { finished[LiveKey(memory: memory, value: p.value), default: 0] += p.upper - p.lower }
    }
    for (pc, instruction) in instructions.enumerated() {
      guard let unit = UseUnit(instruction.operation), let accesses = instruction.memoryAccesses(in: self) else {
        continue
      }
      for access in accesses where access.kind == .read {
        guard let m = Self.onChipIndex(access.space) else { continue }
        maps[m].read(sorted(access.ranges), by: Int32(truncatingIfNeeded: pc), unit: unit)
      }
      for access in accesses where access.kind == .write {
        guard let m = Self.onChipIndex(access.space) else { continue }
        flush(maps[m].write(sorted(access.ranges), by: Int32(truncatingIfNeeded: pc), unit: unit), memory: m)
      }
    }
    for m in maps.indices { flush(maps[m].pieces, memory: m) }
    let memories = OnChipMemory.allCases
    return finished.map { key, bytes in
      LiveRange(
        memory: memories[key.memory], byteCount: bytes, writer: Int(key.value.writer), lastUses: key.value.uses.pcs)
    }
    .sorted { a, b in
      if a.writer != b.writer { return a.writer < b.writer }
      let (ma, mb) = (memories.firstIndex(of: a.memory) ?? 0, memories.firstIndex(of: b.memory) ?? 0)
      if ma != mb { return ma < mb }
      return a.lastUses.lexicographicallyPrecedes(b.lastUses)
    }
  }

  private static func onChipIndex(_ space: MemorySpace) -> Int? {
    switch space {
    case .unifiedBuffer: 0
    case .weightBuffer: 1
    case .accumulator: 2
    case .dram, .arena: nil
    }
  }
}

/// Ranges in increasing order with overlapping and touching ones merged.
private func sorted(_ ranges: [Range<Int>]) -> [Range<Int>] {
  var isSorted = true
  for (a, b) in zip(ranges, ranges.dropFirst()) where b.lowerBound <= a.upperBound {
    isSorted = false
    break
  }
  if isSorted { return ranges.filter { !$0.isEmpty } }
  var out: [Range<Int>] = []
  for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) where !r.isEmpty {
    if let last = out.last, r.lowerBound <= last.upperBound {
      out[out.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
    } else {
      out.append(r)
    }
  }
  return out
}

/// The units whose completions are ordered: instructions of one unit complete in program order,
/// so the last user of a value on each unit is the one that completes last there.
private enum UseUnit: Int {
  case load, store, weightLoader, array, vector

  /// The unit an operation runs on, or nil for one that touches no on-chip memory.
  init?(_ operation: Operation) {
    switch operation {
    case .load: self = .load
    case .store: self = .store
    case .loadWeights: self = .weightLoader
    case .matmul: self = .array
    case .activate, .vector: self = .vector
    case .host, .nop, .finish: return nil
    }
  }
}

/// The latest instruction using a value on each unit.
private struct LastUses: Hashable {
  var load: Int32?
  var store: Int32?
  var weightLoader: Int32?
  var array: Int32?
  var vector: Int32?

  subscript(unit: UseUnit) -> Int32? {
    get {
      switch unit {
      case .load: load
      case .store: store
      case .weightLoader: weightLoader
      case .array: array
      case .vector: vector
      }
    }
    set {
      switch unit {
      case .load: load = newValue
      case .store: store = newValue
      case .weightLoader: weightLoader = newValue
      case .array: array = newValue
      case .vector: vector = newValue
      }
    }
  }

  /// The program indices, increasing.
  var pcs: [Int] { [load, store, weightLoader, array, vector].compactMap { $0.map(Int.init) }.sorted() }
}

/// One value: who wrote it (the first writer of a read-modify-write chain) and who used it last.
private struct Value: Hashable {
  var writer: Int32
  var uses: LastUses
}

private struct LiveKey: Hashable {
  var memory: Int
  var value: Value
}

/// Which value every written byte of one memory holds: sorted, disjoint pieces, adjacent pieces
/// with equal values merged. Bytes never written have no piece.
private struct ByteValueMap {
  struct Piece {
    var lower: Int
    var upper: Int
    var value: Value
  }

  private(set) var pieces: [Piece] = []
  /// The rebuilt window of `apply`, kept to reuse its storage.
  private var scratch: [Piece] = []

  /// Index of the first piece ending after `address`.
  private func firstEnding(after address: Int) -> Int {
    var lo = 0
    var hi = pieces.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if pieces[mid].upper <= address { lo = mid + 1 } else { hi = mid }
    }
    return lo
  }

  /// Records `pc` as the latest user on `unit` of the written bytes in `ranges` (sorted,
  /// disjoint, non-empty).
  mutating func read(_ ranges: [Range<Int>], by pc: Int32, unit: UseUnit) {
    var unused: [Piece] = []
    apply(ranges, pc: pc, unit: unit, isWrite: false, ended: &unused)
  }

  /// Writes `ranges` (sorted, disjoint, non-empty) with a new value of `pc`; returns the pieces
  /// of the values that end here (bytes `pc` overwrites without having read them).
  mutating func write(_ ranges: [Range<Int>], by pc: Int32, unit: UseUnit) -> [Piece] {
    var ended: [Piece] = []
    apply(ranges, pc: pc, unit: unit, isWrite: true, ended: &ended)
    return ended
  }

  /// Rebuilds the pieces overlapping `ranges`, sweeping the boundaries of both lists in
  /// address order. A covered part of a piece gets `pc` as its user on `unit` (read), or a new
  /// value of `pc` unless `pc` read it (write; the old part goes to `ended`); covered bytes
  /// without a piece get a new value (write) or stay unwritten (read).
  private mutating func apply(
    _ ranges: [Range<Int>], pc: Int32, unit: UseUnit, isWrite: Bool, ended: inout [Piece]
  ) {
    guard let first = ranges.first, let last = ranges.last else { return }
    let i0 = firstEnding(after: first.lowerBound)
    var i1 = i0
    while i1 < pieces.count && pieces[i1].lower < last.upperBound { i1 += 1 }
    var fresh = LastUses()
    fresh[unit] = pc
    let new = Value(writer: pc, uses: fresh)
    var out = scratch
    scratch = []
    out.removeAll(keepingCapacity: true)
    var i = i0
    var r = 0
    var cursor = i0 < i1 ? min(first.lowerBound, pieces[i0].lower) : first.lowerBound
    let end = i1 > i0 ? max(last.upperBound, pieces[i1 - 1].upper) : last.upperBound
    while cursor < end {
      while i < i1 && pieces[i].upper <= cursor { i += 1 }
      while r < ranges.count && ranges[r].upperBound <= cursor { r += 1 }
      let inPiece = i < i1 && pieces[i].lower <= cursor
      let inRange = r < ranges.count && ranges[r].lowerBound <= cursor
      var next = end
      if i < i1 { next = min(next, inPiece ? pieces[i].upper : pieces[i].lower) }
      if r < ranges.count { next = min(next, inRange ? ranges[r].upperBound : ranges[r].lowerBound) }
      var value: Value
      if inRange {
        if inPiece {
          value = pieces[i].value
          if isWrite {
            if value.uses[unit] != pc {
              ended.append(Piece(lower: cursor, upper: next, value: value))
              value = new
            }
          } else {
            value.uses[unit] = pc
          }
        } else if isWrite {
          value = new
        } else {
          cursor = next
          continue
        }
      } else if inPiece {
        value = pieces[i].value
      } else {
        cursor = next
        continue
      }
      if let tail = out.last, tail.upper == cursor, tail.value == value {
        out[out.count - 1].upper = next
      } else {
        out.append(Piece(lower: cursor, upper: next, value: value))
      }
      cursor = next
    }
    // Merge with the unchanged neighbours.
    var lower = i0
    var upper = i1
    if let head = out.first, i0 > 0, pieces[i0 - 1].upper == head.lower, pieces[i0 - 1].value == head.value {
      out[0].lower = pieces[i0 - 1].lower
      lower -= 1
    }
    if let tail = out.last, i1 < pieces.count, pieces[i1].lower == tail.upper, pieces[i1].value == tail.value {
      out[out.count - 1].upper = pieces[i1].upper
      upper += 1
    }
    if upper - lower == out.count {
      for k in out.indices { pieces[lower + k] = out[k] }
    } else {
      pieces.replaceSubrange(lower..<upper, with: out)
    }
    scratch = out
  }
}
