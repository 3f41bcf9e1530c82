import Support
import Testing

@testable import Lowering

/// `ArenaPlanner`: greedy-by-size placement over live ranges, reuse of dead tensors' bytes, the
/// spill choice (bytes × live layers) and the capacity edges.
@Suite("arena planner")
struct ArenaPlannerTests {
  func buffer(_ id: Int, _ bytes: Int, _ first: Int, _ last: Int) -> ArenaBuffer {
    ArenaBuffer(id: id, bytes: bytes, first: first, last: last)
  }

  /// No two placed buffers live in a common layer share a byte; all lie below the capacity;
  /// every buffer is placed or spilled exactly once.
  func checkConsistent(_ buffers: [ArenaBuffer], _ plan: ArenaPlan, capacity: Int, alignment: Int = 1) {
    let byID = Dictionary(uniqueKeysWithValues: buffers.map { ($0.id, $0) })
    for (id, offset) in plan.offsets {
      guard let b = byID[id] else { continue }
      #expect(offset % alignment == 0)
      #expect(offset >= 0 && offset + b.bytes <= capacity, "buffer \(id) at \(offset)+\(b.bytes) beyond \(capacity)")
      for (other, o2) in plan.offsets where other > id {
        guard let c = byID[other], b.overlaps(c) else { continue }
        #expect(offset + b.bytes <= o2 || o2 + c.bytes <= offset, "buffers \(id) and \(other) share bytes while both live")
      }
    }
    let spilled = plan.spills.map(\.buffer.id)
    #expect(Set(spilled).count == spilled.count)
    #expect(Set(spilled).isDisjoint(with: plan.offsets.keys))
    #expect(Set(spilled).union(plan.offsets.keys) == Set(buffers.map(\.id)))
  }

  @Test("liveness: a tensor dead by the time another is produced gives it its bytes")
  func reuse() {
    // A feeds layer 1, B is produced there and read at 2, C produced at 2: C reuses A's bytes.
    let buffers = [buffer(0, 100, 0, 1), buffer(1, 100, 1, 2), buffer(2, 100, 2, 3)]
    let plan = ArenaPlanner.plan(buffers, capacity: 200, alignment: 1)
    #expect(plan.offsets == [0: 0, 1: 100, 2: 0])
    #expect(plan.spills.isEmpty)
    #expect(plan.highWater == 200)
    checkConsistent(buffers, plan, capacity: 200)
  }

  @Test("inclusive live ranges: a layer's input and output never share bytes")
  func inputAndOutputOfALayer() {
    let buffers = [buffer(0, 64, 0, 1), buffer(1, 64, 1, 1)]
    let plan = ArenaPlanner.plan(buffers, capacity: 1000, alignment: 1)
    #expect(plan.offsets[0] != plan.offsets[1])
    checkConsistent(buffers, plan, capacity: 1000)
  }

  @Test("greedy by size, best fit: the largest goes first, a small one takes the smallest gap that fits")
  func bestFit() {
    // Layers 0–9. D, B and F live throughout; A and C only in layers 0–1, so in layers 2–3 their
    // bytes are gaps of 200 (300..<500) and 100 (650..<750). E (40 B, layers 2–3) takes the
    // smaller gap; a first fit would take 300.
    let buffers = [
      buffer(0, 300, 0, 9), buffer(1, 200, 0, 1), buffer(2, 150, 0, 9), buffer(3, 100, 0, 1), buffer(4, 60, 0, 9),
      buffer(5, 40, 2, 3),
    ]
    let plan = ArenaPlanner.plan(buffers, capacity: 1000, alignment: 1)
    #expect(plan.offsets == [0: 0, 1: 300, 2: 500, 3: 650, 4: 750, 5: 650])
    #expect(plan.highWater == 810)
    checkConsistent(buffers, plan, capacity: 1000)
  }

  @Test("capacity edge: fits exactly; one byte less spills one buffer")
  func capacityEdge() {
    let buffers = [buffer(0, 100, 0, 1), buffer(1, 101, 1, 2)]
    let exact = ArenaPlanner.plan(buffers, capacity: 201, alignment: 1)
    #expect(exact.spills.isEmpty)
    #expect(exact.highWater == 201)
    checkConsistent(buffers, exact, capacity: 201)
    let over = ArenaPlanner.plan(buffers, capacity: 200, alignment: 1)
    #expect(over.spills.count == 1)
    // 101 × 1 layer > 100 × 1 layer: the 101-byte buffer is spilled, the other stays.
    #expect(over.spills.first?.buffer.id == 1)
    #expect(over.offsets == [0: 0])
    checkConsistent(buffers, over, capacity: 200)
    // A buffer larger than the whole arena.
    let huge = ArenaPlanner.plan([buffer(7, 300, 0, 1)], capacity: 200, alignment: 1)
    #expect(huge.spills.map(\.reason) == ["300 B is larger than the 200 B arena"])
  }

  @Test("spill choice: the long-lived skip connection goes to DRAM, the layer-to-layer tensors stay")
  func spillsTheSkipConnection() {
    // X lives across layers 0–5 (a residual input); Y, Z, W pass from one layer to the next.
    let buffers = [buffer(10, 50, 0, 5), buffer(11, 50, 1, 2), buffer(12, 50, 2, 3), buffer(13, 50, 3, 4)]
    let plan = ArenaPlanner.plan(buffers, capacity: 100, alignment: 1, name: { "t\($0)" })
    #expect(plan.spills.map(\.buffer.id) == [10])
    #expect(Set(plan.offsets.keys) == [11, 12, 13])
    let reason = plan.spills.first?.reason ?? ""
    #expect(reason.hasPrefix("made room for 't12' (50 B, layers #2–#3) in the 100 B arena: bytes × live layers 50 B × 5"))
    checkConsistent(buffers, plan, capacity: 100)
  }

  @Test("alignment: offsets are multiples of it and the high-water mark is rounded up")
  func alignment() {
    let buffers = [buffer(0, 10, 0, 1), buffer(1, 10, 0, 1), buffer(2, 3, 0, 1)]
    let plan = ArenaPlanner.plan(buffers, capacity: 1000, alignment: 64)
    #expect(Set(plan.offsets.values) == [0, 64, 128])
    #expect(plan.highWater == 192)
    checkConsistent(buffers, plan, capacity: 1000, alignment: 64)
  }

  @Test("random programs: every plan is consistent at every capacity")
  func randomPlans() {
    var rng = SeededGenerator(seed: 13)
    for _ in 0..<200 {
      let count = Int.random(in: 1...20, using: &rng)
      let buffers = (0..<count).map { id -> ArenaBuffer in
        let first = Int.random(in: 0..<15, using: &rng)
        return buffer(id, Int.random(in: 1...300, using: &rng), first, first + Int.random(in: 0...6, using: &rng))
      }
      let capacity = Int.random(in: 0...1200, using: &rng)
      let alignment = [1, 4, 16].randomElement(using: &rng) ?? 1
      let plan = ArenaPlanner.plan(buffers, capacity: capacity, alignment: alignment)
      checkConsistent(buffers, plan, capacity: capacity, alignment: alignment)
      // With unlimited room nothing spills, and the high-water mark is a valid capacity.
      let free = ArenaPlanner.plan(buffers, capacity: Int.max / 2, alignment: alignment)
      #expect(free.spills.isEmpty)
      let again = ArenaPlanner.plan(buffers, capacity: free.highWater, alignment: alignment)
      #expect(again.spills.isEmpty, "the unbounded plan's high-water mark must fit the same plan")
    }
  }
}
