import GraphIR
import ModelZoo
import Testing

/// `ModelZoo.fullyConnectedChain`, the synthetic model of `systole bench --scaling`.
@Suite struct ScalingModelTests {
  @Test("N identical FULLY_CONNECTED layers: N times one layer's MACs and weights, same shapes throughout")
  func chainShape() throws {
    let one = try ModelZoo.fullyConnectedChain(layers: 1, width: 48, batch: 5)
    let four = try ModelZoo.fullyConnectedChain(layers: 4, width: 48, batch: 5)
    #expect(four.main.operators.count == 4)
    #expect(four.main.operators.allSatisfy { if case .fullyConnected = $0.kind { true } else { false } })
    func macs(_ m: Model) -> Int { (0..<m.main.operators.count).reduce(0) { $0 + m.main.macs(ofOperator: $1) } }
    #expect(macs(one) == 5 * 48 * 48)
    #expect(macs(four) == 4 * macs(one))
    for id in four.main.inputs + four.main.outputs { #expect(four.main[id].shape == [5, 48]) }
    #expect(GraphVerifier.verify(four).isEmpty)
    // Seeded: the same arguments build the same model.
    #expect(try ModelZoo.fullyConnectedChain(layers: 4, width: 48, batch: 5).main.tensors.map(\.data) == four.main.tensors.map(\.data))
  }

  @Test("out-of-range sizes are a ModelZooError naming the size", arguments: [(0, 8, 8), (2, 0, 8), (2, 8, 70000)])
  func badSizes(layers: Int, width: Int, batch: Int) {
    #expect(throws: ModelZooError.self) { try ModelZoo.fullyConnectedChain(layers: layers, width: width, batch: batch) }
    do {
      _ = try ModelZoo.fullyConnectedChain(layers: layers, width: width, batch: batch)
    } catch {
      #expect(error.kind == .invalidInputSize)
      #expect(error.description.contains("expected"))
    }
  }
}
