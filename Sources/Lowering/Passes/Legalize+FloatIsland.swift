import GoldenModel
import GraphIR
import Support
import TileISA

/// Legalize's last step: float islands folded into one `vlut`.
///
/// The TFLite converter leaves chains `int8 → DEQUANTIZE → (float elementwise unary ops) →
/// QUANTIZE → int8` in int8 models (LayerNorm's `DEQUANTIZE → NEG → QUANTIZE`). When the
/// DEQUANTIZE reads a per-tensor int8 tensor, the QUANTIZE writes a per-tensor int8 tensor, every
/// op between them is elementwise and unary (`isIslandOperator`) and every intermediate tensor has
/// exactly one consumer and is not a graph output, the whole chain is an int8 → int8 function of
/// one element. It becomes one `vlut` on the DEQUANTIZE's layer, whose table is the chain's
/// golden-model kernels run in turn on the 256 int8 inputs (bit-exact by construction); the
/// chain's other layers are `fused` into it, so the intermediate float tensors are never written
/// (no DRAM, no arena). A lone DEQUANTIZE at a network output or QUANTIZE float → int8 at a
/// network input is no island and stays on the host.
enum FloatIslands {
  /// The float operators an island may contain between its DEQUANTIZE and QUANTIZE, one per
  /// line: elementwise, one input, output depending only on its element.
  static func isIslandOperator(_ kind: OpKind) -> Bool {
    switch kind {
    case .neg: true
    case .rsqrt: true
    case .sqrt: true
    case .exp: true
    case .logistic: true
    case .tanh: true
    case .gelu: true
    case .hardSwish: true
    case .relu: true
    case .relu6: true
    case .reluN1To1: true
    case .leakyRelu: true
    default: false
    }
  }

  /// Folds every island of `s.layers` (after each operator was legalized on its own).
  static func fold(_ s: inout LoweringState) {
    guard s.arch.datapath != .float32, Int(s.arch.weights.capacity.count) >= VectorOperation.lookupTableBytes else {
      return
    }
    let graph = s.graph
    var consumers = [[Int]](repeating: [], count: graph.tensors.count)
    for (i, op) in graph.operators.enumerated() {
      for id in op.inputs.compactMap({ $0 }) { consumers[id.index].append(i) }
    }
    let graphOutputs = Set(graph.outputs.map(\.index))
    for start in s.layers.indices where s.layers[start].placement == .host {
      guard let chain = island(from: start, graph, consumers, graphOutputs) else { continue }
      guard case .success(let table) = self.table(graph, chain: chain) else { continue }
      let first = graph.operators[chain[0]]
      let last = graph.operators[chain[chain.count - 1]]
      guard let input = first.input(0), let output = last.outputs.first else { continue }
      let identity = RequantizeParameters(inputZeroPoint: 0, outputZeroPoint: 0, multiplier: 1 << 30, shift: 1)
      let work = UnaryWork(
        input: input, output: output, count: graph[input].elementCount, parameters: identity, table: table,
        tiling: nil)
      let names = chain.map { graph.operators[$0].kind.tfliteName }.joined(separator: " → ")
      s.layers[start].placement = .vectorUnit
      s.layers[start].work = .unary(work)
      s.layers[start].reason =
        "\(names) folded into one vlut on the vector unit (256-entry table from the chain's golden-model kernels; the float intermediates never leave the vector unit)"
      for j in chain.dropFirst() {
        s.layers[j].placement = .fused
        s.layers[j].work = .fused(into: start)
        s.layers[j].reason = "\(s.layers[j].opName): folded into op #\(start) DEQUANTIZE's vlut (float island)"
      }
    }
  }

  /// The operator indices of the island that starts at DEQUANTIZE `start`, or nil.
  static func island(from start: Int, _ graph: Graph, _ consumers: [[Int]], _ graphOutputs: Set<Int>) -> [Int]? {
    let op = graph.operators[start]
    guard case .dequantize = op.kind, op.inputs.count == 1, let x = op.input(0), op.outputs.count == 1,
      isInt8PerTensor(graph[x]), !graph[x].isConstant, graph[op.outputs[0]].elementType == .float32
    else { return nil }
    let count = graph[x].elementCount
    var chain = [start]
    var current = op.outputs[0]
    while true {
      guard !graphOutputs.contains(current.index), consumers[current.index].count == 1 else { return nil }
      let next = consumers[current.index][0]
      let n = graph.operators[next]
      guard next > chain[chain.count - 1], n.inputs.count == 1, n.input(0) == current, n.outputs.count == 1,
        graph[n.outputs[0]].elementCount == count
      else { return nil }
      chain.append(next)
      let out = graph[n.outputs[0]]
      if case .quantize = n.kind {
        return isInt8PerTensor(out) ? chain : nil
      }
      guard isIslandOperator(n.kind), out.elementType == .float32 else { return nil }
      current = n.outputs[0]
    }
  }

  static func isInt8PerTensor(_ t: Tensor) -> Bool {
    t.elementType == .int8 && t.int8Affine != nil && (t.quantization?.scales.count ?? 0) == 1
  }

  /// The island's table: its kernels run in turn on the 256 int8 inputs, entry k for input
  /// k − 128 (each operator on a copy of the graph whose input and output are reshaped to 256).
  static func table(_ graph: Graph, chain: [Int]) -> Result<[Int8], KernelEvaluationProblem> {
    let entries = VectorOperation.lookupTableBytes
    var value = TensorData(shape: [entries], storage: .int8((0..<entries).map { Int8(truncatingIfNeeded: $0 - 128) }))
    var g = graph
    for index in chain {
      let op = g.operators[index]
      guard let input = op.input(0), op.outputs.count == 1 else {
        return .failure(KernelEvaluationProblem(message: "op #\(index) is not unary"))
      }
      g[input].shape = [entries]
      g[op.outputs[0]].shape = [entries]
      do {
        let outputs = try Kernels.run(KernelContext(graph: g, op: op, index: index, values: [value]), workers: 1)
        guard outputs.count == 1, outputs[0].count == entries else {
          return .failure(KernelEvaluationProblem(message: "op #\(index) did not produce 256 values"))
        }
        value = outputs[0]
      } catch {
        return .failure(KernelEvaluationProblem(message: error.message))
      }
    }
    guard case .int8(let table) = value.storage else {
      return .failure(KernelEvaluationProblem(message: "the chain does not end in int8"))
    }
    return .success(table)
  }
}
