import GraphIR

// issue 14: recurrent

extension Interpreter {
  /// The most iterations a WHILE loop may run before the interpreter gives up (a guard against
  /// files whose condition never turns false).
  public static let maxLoopIterations = 1 << 24

  /// WHILE (TFLite `while.cc`): runs the body subgraph on the loop values while the condition
  /// subgraph, given the same values, returns true; the outputs are the final values.
  ///
  /// The condition and body take one input per loop value; the body returns one output per loop
  /// value, each with that value's type. Both subgraphs run with this interpreter's state, so
  /// stateful ops inside them keep their state as in the main graph.
  mutating func runWhile(_ c: KernelContext, cond: Int, body: Int) throws(GoldenModelError) -> [TensorData] {
    var values: [TensorData] = []
    for p in c.op.inputs.indices { values.append(try c.value(p)) }
    try checkLoopSubgraphs(c, cond: cond, body: body, count: values.count)
    var iterations = 0
    while true {
      let verdict = try run(graph: cond, inputs: values)
      guard verdict.count == 1, case .bool(let b) = verdict[0].storage, b.count == 1 else {
        throw GoldenModelError(.invalidModel, c.location, "condition subgraph \(cond) did not return one bool")
      }
      if !b[0] { break }
      iterations += 1
      guard iterations <= Self.maxLoopIterations else {
        throw GoldenModelError(.unsupported, c.location, "loop ran more than \(Self.maxLoopIterations) iterations")
      }
      let next = try run(graph: body, inputs: values)
      for (k, (old, new)) in zip(values, next).enumerated() where old.elementType != new.elementType || old.count != new.count {
        throw GoldenModelError(
          .unsupported, c.location,
          "body output \(k) is \(new.shape) × \(new.elementType) for loop value \(old.shape) × \(old.elementType); loop values must keep their shapes")
      }
      values = next
    }
    return values
  }

  /// Both subgraphs exist, are not the main graph, and take (and the body returns) `count` values.
  func checkLoopSubgraphs(_ c: KernelContext, cond: Int, body: Int, count: Int) throws(GoldenModelError) {
    for (what, g) in [("condition", cond), ("body", body)] {
      guard g > 0 && g < model.graphs.count else {
        throw GoldenModelError(.invalidModel, c.location, "\(what) subgraph \(g) out of range 1..<\(model.graphs.count)")
      }
      guard model.graphs[g].inputs.count == count else {
        throw GoldenModelError(
          .invalidModel, c.location, "\(what) subgraph \(g) takes \(model.graphs[g].inputs.count) inputs for \(count) loop values")
      }
    }
    guard model.graphs[body].outputs.count == count, c.op.outputs.count == count else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "body subgraph \(body) returns \(model.graphs[body].outputs.count) values and the op has \(c.op.outputs.count) outputs for \(count) loop values")
    }
  }

  /// Runs subgraph `g` on `inputs` with this interpreter's state (used by the host executor for
  /// control-flow operators).
  public mutating func invoke(subgraph g: Int, _ inputs: [TensorData]) throws(GoldenModelError) -> [TensorData] {
    guard g >= 0 && g < model.graphs.count else {
      throw GoldenModelError(.badInput, "subgraph \(g)", "out of range 0..<\(model.graphs.count)")
    }
    return try run(graph: g, inputs: inputs)
  }

  /// WHILE for a caller outside the interpreter (the host executor): `values` are the loop's
  /// inputs in order.
  public mutating func evaluateWhile(
    graph g: Int, operatorIndex i: Int, values: [TensorData?]
  ) throws(GoldenModelError) -> [TensorData] {
    let graph = model.graphs[g]
    let op = graph.operators[i]
    guard case .while(let cond, let body) = op.kind else {
      throw GoldenModelError(.invalidModel, "op #\(i) \(op.kind.tfliteName)", "is not WHILE")
    }
    return try runWhile(KernelContext(graph: graph, op: op, index: i, values: values), cond: cond, body: body)
  }
}
