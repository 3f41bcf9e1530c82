import TileISA

/// One instruction's use of an on-chip buffer or a DRAM tensor, for hazard tracking.
struct BufferAccess {
  var space: MemorySpace
  var range: Range<Int>
  var isWrite: Bool

  static func read(_ space: MemorySpace, _ range: Range<Int>) -> BufferAccess {
    BufferAccess(space: space, range: range, isWrite: false)
  }
  static func write(_ space: MemorySpace, _ range: Range<Int>) -> BufferAccess {
    BufferAccess(space: space, range: range, isWrite: true)
  }
}

/// Builds the instruction stream in program order and sets the dependency-token flags that make
/// it safe for the three queues to run concurrently (TVM-VTA's push/pop protocol).
///
/// Every instruction declares the buffers it reads and writes. A later instruction on another
/// queue that touches an overlapping buffer must wait for the earlier one (read after write,
/// write after read, write after write). For each such need the builder keeps a vector clock
/// per instruction — the latest instruction of each queue known complete when it starts — and:
///
/// - if the need is already implied (by queue order and earlier tokens), does nothing;
/// - between adjacent queues (load ↔ compute, compute ↔ store), sets the push flag on the
///   producing instruction and the pop flag on the consumer (one flag each per channel; the
///   j-th pop of a channel waits for its j-th push, and pushes are only ever set in
///   increasing order, so each pop pairs with the intended push);
/// - between load and store, which share no channel, routes through the compute queue: the
///   latest compute instruction if it already knows the producer is complete, else a new
///   `nop(compute)` that pops from one side and pushes to the other.
///
/// Every need points backwards in program order, so running the queues in program order is a
/// valid interleaving: the program cannot deadlock, and every push is popped.
struct ProgramBuilder {
  /// One instruction index per queue (load, compute, store); −1 for none.
  struct Clock {
    var load = -1, compute = -1, store = -1

    subscript(_ q: Int) -> Int {
      get { q == 0 ? load : q == 1 ? compute : store }
      set {
        switch q {
        case 0: load = newValue
        case 1: compute = newValue
        default: store = newValue
        }
      }
    }

    mutating func merge(_ other: Clock) {
      load = max(load, other.load)
      compute = max(compute, other.compute)
      store = max(store, other.store)
    }
  }

  private(set) var instructions: [Instruction] = []
  /// Tile coordinates of the instructions that have one, in emission order (appending to an
  /// array is cheaper than growing a dictionary one instruction at a time).
  private var tileList: [(index: Int, tile: TileCoordinate)] = []

  /// Tile coordinates of the instructions that have one (`TileProgram.tiles`).
  var tiles: [Int: TileCoordinate] {
    var d = [Int: TileCoordinate](minimumCapacity: tileList.count)
    for (i, t) in tileList { d[i] = t }
    return d
  }
  /// Per instruction: the latest load, compute and store instruction known complete when it
  /// completes (its vector clock).
  private var clocks: [Clock] = []
  private var queueOf: [Int] = []
  /// The vector clock after the latest instruction of each queue.
  private var queueClock = [Clock(), Clock(), Clock()]
  private var lastOfQueue = Clock()
  /// On-chip buffers: the last writer and readers of each range (unified buffer, weight
  /// buffer, accumulator, activation arena). Arena ranges are tracked like the buffers', by
  /// overlap: a later tensor placed at an offset an earlier one used must wait for that
  /// tensor's last reader (write after read) — the arena planner reuses offsets.
  private var records: [[Record]] = [[], [], [], []]
  /// DRAM tensors, by exact range: the allocator gives every tensor its own region (aliases
  /// share theirs), so two DRAM ranges are either equal or disjoint.
  private var dramRecords: [Range<Int>: Record] = [:]
  /// `nop`s inserted to route load ↔ store dependencies.
  private(set) var routingNops = 0

  private struct Record {
    var range: Range<Int>
    var writer: Int
    var readers: Clock
  }

  static func queueIndex(_ q: Queue) -> Int {
    switch q {
    case .load: 0
    case .compute: 1
    case .store: 2
    }
  }

  private static func slot(_ space: MemorySpace) -> Int {
    switch space {
    case .unifiedBuffer: 0
    case .weightBuffer: 1
    case .accumulator, .dram: 2
    case .arena: 3
    }
  }

  /// Appends an instruction, with the token flags its accesses require and its tile coordinate
  /// (reports only); returns its index.
  @discardableResult
  mutating func emit(
    _ operation: Operation, layer: Int?, tile: TileCoordinate? = nil, accesses: [BufferAccess] = []
  ) -> Int {
    let q = Self.queueIndex(operation.queue)
    var needs = Clock()
    func need(_ record: Record, _ isWrite: Bool) {
      if record.writer >= 0 {
        let wq = queueOf[record.writer]
        needs[wq] = max(needs[wq], record.writer)
      }
      if isWrite { needs.merge(record.readers) }
    }
    for access in accesses {
      if access.space == .dram {
        if let record = dramRecords[access.range] { need(record, access.isWrite) }
      } else {
        for record in records[Self.slot(access.space)] where record.range.overlaps(access.range) {
          need(record, access.isWrite)
        }
      }
    }
    let index = append(operation, queue: q, layer: layer, needs: needs)
    if let tile { tileList.append((index, tile)) }
    for access in accesses where !access.isWrite {
      if access.space == .dram {
        dramRecords[access.range, default: Record(range: access.range, writer: -1, readers: Clock())].readers[q] = index
        continue
      }
      let s = Self.slot(access.space)
      var exact = false
      for k in records[s].indices where records[s][k].range.overlaps(access.range) {
        records[s][k].readers[q] = index
        if records[s][k].range == access.range { exact = true }
      }
      if !exact {
        var readers = Clock()
        readers[q] = index
        records[s].append(Record(range: access.range, writer: -1, readers: readers))
      }
    }
    for access in accesses where access.isWrite {
      let record = Record(range: access.range, writer: index, readers: Clock())
      if access.space == .dram {
        dramRecords[access.range] = record
        continue
      }
      let s = Self.slot(access.space)
      records[s].removeAll {
        access.range.lowerBound <= $0.range.lowerBound && $0.range.upperBound <= access.range.upperBound
      }
      records[s].append(record)
    }
    return index
  }

  /// Appends an instruction after satisfying `needs` (per queue, the latest instruction that
  /// must complete first).
  private mutating func append(_ operation: Operation, queue q: Int, layer: Int?, needs: Clock) -> Int {
    var need = needs
    need[q] = -1
    var clock = queueClock[q]
    if q != 1 {
      let other = 2 - q
      if need[other] > clock[other] {
        let i = need[other]
        var k = lastOfQueue.compute
        if !(k >= 0 && clocks[k][other] >= i) {
          var nopNeeds = Clock()
          nopNeeds[other] = i
          k = append(.nop(.compute), queue: 1, layer: layer, needs: nopNeeds)
          routingNops += 1
        }
        need.compute = max(need.compute, k)
      }
      need[other] = -1
    }
    var flags: DependencyFlags = []
    for a in [q - 1, q + 1] where (0...2).contains(a) {
      let i = need[a]
      guard i >= 0, i > clock[a] else { continue }
      let push: DependencyFlags = a < q ? .pushNext : .pushPrev
      precondition(!instructions[i].dependencies.contains(push), "instruction #\(i) already pushes on this channel")
      instructions[i].dependencies.insert(push)
      flags.insert(a < q ? .popPrev : .popNext)
      clock.merge(clocks[i])
    }
    let index = instructions.count
    clock[q] = index
    instructions.append(Instruction(operation, dependencies: flags, layer: layer.map { LayerIndex($0) }))
    clocks.append(clock)
    queueOf.append(q)
    queueClock[q] = clock
    lastOfQueue[q] = index
    return index
  }
}
