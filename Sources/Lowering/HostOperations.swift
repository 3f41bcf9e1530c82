import GraphIR

extension LoweringState {
  /// The work of running operator `i` on the host, in host operations: its multiply-accumulates
  /// (`Graph.macs(ofOperator:)`), or one per output element where that is more (elementwise ops,
  /// data movement, operators without MACs). The cost model's host estimate divides it by the
  /// host's ops per cycle, and Schedule writes it into the operator's host task, where the
  /// simulator's host timing rule reads it: both charge the same count.
  func hostOperations(ofOperator i: Int) -> Int {
    let op = graph.operators[i]
    let outputs = op.outputs.reduce(0) { $0 &+ graph[$1].elementCount }
    return max(graph.macs(ofOperator: i), outputs)
  }
}
