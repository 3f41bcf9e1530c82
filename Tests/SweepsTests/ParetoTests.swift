import Architecture
import Support
import Sweeps
import Testing

@Suite struct ParetoTests {
  @Test func handMadeTable() {
    // (latency, energy)         front?
    let table: [(x: Double, y: Double, front: Bool)] = [
      (10, 50, true),  // fastest
      (20, 30, true),
      (20, 40, false),  // same latency, more energy than (20, 30)
      (30, 30, false),  // slower than (20, 30), same energy
      (40, 10, true),  // least energy
      (50, 10, false),  // slower, same energy as (40, 10)
      (25, 35, false),  // dominated by (20, 30)
      (20, 30, true),  // a tie with a front point stays on the front
      (.nan, 1, false),  // unmeasured
    ]
    #expect(Pareto.mark(table.map { ($0.x, $0.y) }) == table.map(\.front))
  }

  @Test func emptyAndSingle() {
    #expect(Pareto.mark([]) == [])
    #expect(Pareto.mark([(1, 1)]) == [true])
  }

  @Test func agreesWithTheQuadraticDefinition() {
    var generator = SplitMix(seed: 7)
    for _ in 0..<50 {
      let points = (0..<30).map { _ in (x: Double(generator.next() % 10), y: Double(generator.next() % 10)) }
      let expected = points.map { p in
        !points.contains { q in q.x <= p.x && q.y <= p.y && (q.x < p.x || q.y < p.y) }
      }
      #expect(Pareto.mark(points) == expected)
    }
  }

  @Test func areaModelStatesItsFormula() throws {
    let arch = try ArchSpec.defaults.applying(overrides: ["array=32x32", "ub.kib=1024", "weights.kib=64", "acc.kib=64"])
    let area = AreaModel.nm45.estimate(arch)
    #expect(area.peCount == 1024)
    #expect(area.sramCapacityBytes == (1024 + 64 + 64) * 1024)
    let mib = Double(area.sramCapacityBytes) / 1_048_576
    let expected = 1024 * (282.0 + 137) / 1e6 + mib * Double(1 << 23) * 0.346e-6 / 0.7
    #expect(abs(area.squareMillimeters - expected) < 1e-12)
    let fp32 = AreaModel.nm45.estimate(arch.baseline)
    #expect(fp32.squareMillimeters > area.squareMillimeters)
  }
}

/// A tiny deterministic generator for property tests.
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
