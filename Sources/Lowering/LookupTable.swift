import GoldenModel
import GraphIR
import TileISA

/// The `vlut` table of an int8 unary operator: its golden-model kernel evaluated on all 256 int8
/// inputs with the layer's own quantization parameters.
///
/// Entry `k` is the kernel's output for the input `k − 128`, so an elementwise op whose output
/// depends only on its element is reproduced bit for bit by construction (the golden model is
/// bit-exact with TFLite's reference kernels). The operator is evaluated alone on a copy of its
/// graph whose input and output tensors are reshaped to the 256 values; other inputs (none for
/// the ops Legalize sends here) keep their constant data.
enum LookupTable {
  /// Entries of a table (`VectorOperation.lookupTableBytes`).
  static let entries = VectorOperation.lookupTableBytes

  /// The table, or the reason it cannot be built (the kernel's own message).
  static func build(_ graph: Graph, operator index: Int) -> Result<[Int8], KernelEvaluationProblem> {
    let op = graph.operators[index]
    guard let inputID = op.input(0), op.outputs.count == 1 else {
      return .failure(KernelEvaluationProblem(message: "not one input and one output"))
    }
    var g = graph
    g[inputID].shape = [entries]
    g[op.outputs[0]].shape = [entries]
    let values = TensorData(shape: [entries], storage: .int8((0..<entries).map { Int8(truncatingIfNeeded: $0 - 128) }))
    var inputs: [TensorData?] = [values]
    for id in op.inputs.dropFirst() { inputs.append(id.flatMap { g[$0].data }) }
    do {
      let outputs = try Kernels.run(KernelContext(graph: g, op: op, index: index, values: inputs), workers: 1)
      guard outputs.count == 1, case .int8(let table) = outputs[0].storage, table.count == entries else {
        return .failure(KernelEvaluationProblem(message: "the kernel did not produce 256 int8 values"))
      }
      return .success(table)
    } catch {
      return .failure(KernelEvaluationProblem(message: error.message))
    }
  }
}

/// Why a golden-model kernel could not be evaluated at compile time (a `vlut` table, a
/// `DataMovement` element map): the kernel's own message, or the limit exceeded.
struct KernelEvaluationProblem: Error {
  var message: String
}
