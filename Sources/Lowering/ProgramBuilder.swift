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
  private(set) var instructions: [Instruction] = []
  /// Vector clocks, 3 per instruction: the latest load, compute, store instruction known
  /// complete when this one completes (−1: none).
  private var clocks: [Int] = []
  private var queueOf: [Int] = []
  private var queueClock: [[Int]] = Array(repeating: [-1, -1, -1], count: 3)
  private var lastOfQueue = [-1, -1, -1]
  private var records: [MemorySpace: [Record]] = [:]
  /// `nop`s inserted to route load ↔ store dependencies.
  private(set) var routingNops = 0

  private struct Record {
    var range: Range<Int>
    var writer: Int
    var readers: [Int]
  }

  static func queueIndex(_ q: Queue) -> Int {
    switch q {
    case .load: 0
    case .compute: 1
    case .store: 2
    }
  }

  /// Appends an instruction, with the token flags its accesses require; returns its index.
  @discardableResult
  mutating func emit(_ operation: Operation, layer: Int?, accesses: [BufferAccess] = []) -> Int {
    let q = Self.queueIndex(operation.queue)
    var needs = [-1, -1, -1]
    for access in accesses {
      for record in records[access.space] ?? [] where record.range.overlaps(access.range) {
        if record.writer >= 0 { needs[queueOf[record.writer]] = max(needs[queueOf[record.writer]], record.writer) }
        if access.isWrite {
          for r in 0..<3 where record.readers[r] >= 0 { needs[r] = max(needs[r], record.readers[r]) }
        }
      }
    }
    let index = append(operation, queue: q, layer: layer, needs: needs)
    for access in accesses where !access.isWrite {
      var exact = false
      for k in (records[access.space] ?? []).indices where records[access.space]![k].range.overlaps(access.range) {
        records[access.space]![k].readers[q] = index
        if records[access.space]![k].range == access.range { exact = true }
      }
      if !exact {
        var readers = [-1, -1, -1]
        readers[q] = index
        records[access.space, default: []].append(Record(range: access.range, writer: -1, readers: readers))
      }
    }
    for access in accesses where access.isWrite {
      var list = records[access.space] ?? []
      list.removeAll { access.range.lowerBound <= $0.range.lowerBound && $0.range.upperBound <= access.range.upperBound }
      list.append(Record(range: access.range, writer: index, readers: [-1, -1, -1]))
      records[access.space] = list
    }
    return index
  }

  /// Appends an instruction after satisfying `needs` (per queue, the latest instruction that
  /// must complete first).
  private mutating func append(_ operation: Operation, queue q: Int, layer: Int?, needs: [Int]) -> Int {
    var need = needs
    need[q] = -1
    var clock = queueClock[q]
    if q != 1 {
      let other = 2 - q
      if need[other] > clock[other] {
        let i = need[other]
        var k = lastOfQueue[1]
        if !(k >= 0 && clocks[3 * k + other] >= i) {
          var nopNeeds = [-1, -1, -1]
          nopNeeds[other] = i
          k = append(.nop(.compute), queue: 1, layer: layer, needs: nopNeeds)
          routingNops += 1
        }
        need[1] = max(need[1], k)
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
      for r in 0..<3 { clock[r] = max(clock[r], clocks[3 * i + r]) }
    }
    let index = instructions.count
    clock[q] = index
    instructions.append(Instruction(operation, dependencies: flags, layer: layer.map { LayerIndex($0) }))
    clocks += clock
    queueOf.append(q)
    queueClock[q] = clock
    lastOfQueue[q] = index
    return index
  }
}
