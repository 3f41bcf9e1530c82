import Architecture
import GoldenModel
import GraphIR
import Support
import TileISA

// issue 14: lstm

/// An int8 UNIDIRECTIONAL_SEQUENCE_LSTM on the array and the vector unit (`Schedule+LSTM.swift`
/// emits it):
///
/// ```
/// load the weight blob (Wxᵀ, Whᵀ, two activate tables) → weight buffer; X, h₀, c₀ → unified buffer
/// for each n-tile of the 4U gate columns, each block of ≤ accumulator-rows pixels of the T·B
///   input rows, each K chunk: load_weights, matmul; then activate fixed16 → G (int16 Q3.12)
/// for t in 0..<T:
///   for each n-tile, each K chunk of h_{t−1}: load_weights, matmul; activate fixed16_add → G rows of t
///   vlstm: G rows of t, c (in place) → Y rows of t (= h_t, the next step's matmul input)
/// store Y → output; store h_{T−1} and c → the layer's persistent state in DRAM
/// ```
///
/// Every buffer stays resident for the whole layer (the kws spotter needs 15 KiB of unified
/// buffer and 9 KiB of weight buffer); what does not fit runs on the host.
struct LSTMWork {
  var input: TensorID
  var output: TensorID
  var plan: IntegerLSTMPlan
  /// The weight-buffer image: Wxᵀ `[inputs, 4U]`, Whᵀ `[U, 4U]` (gate columns i | f | c | o),
  /// then the input and recurrent `activate` tables (4U entries each).
  var blob: [UInt8]
  var estimate: CostEstimate?

  var gateColumns: Int { 4 * plan.cells }
  var rows: Int { plan.steps * plan.batches }
  var recurrentWeightsOffset: Int { plan.inputs * gateColumns }
  var inputTableOffset: Int { recurrentWeightsOffset + plan.cells * gateColumns }
  var recurrentTableOffset: Int { inputTableOffset + gateColumns * ActivationParameters.entryBytes }

  // Unified-buffer layout (byte offsets from the layer's working region at 0).
  var xOffset: Int { 0 }
  var yOffset: Int { rows * plan.inputs }
  var hiddenOffset: Int { yOffset + rows * plan.cells }
  var cellOffset: Int { align(hiddenOffset + plan.batches * plan.cells, 2) }
  var gateOffset: Int { cellOffset + plan.batches * plan.cells * 2 }
  var unifiedBufferBytes: Int { gateOffset + rows * gateColumns * 2 }

  /// Row of (batch b, step t) in X, Y and G (the input's own order).
  func row(_ b: Int, _ t: Int) -> Int { plan.timeMajor ? t * plan.batches + b : b * plan.steps + t }
  /// Rows between consecutive batches of one step.
  var batchRowStride: Int { plan.timeMajor ? 1 : plan.steps }

  /// Gate-order MACs: T·B·4U·(inputs + U).
  var macs: Int { rows * gateColumns * (plan.inputs + plan.cells) }

  static func makeBlob(_ p: IntegerLSTMPlan) -> [UInt8] {
    let u = p.cells
    let n = 4 * u
    var blob = [UInt8](repeating: 0, count: (p.inputs + u) * n)
    for g in 0..<4 {
      for j in 0..<u {
        for i in 0..<p.inputs { blob[i * n + g * u + j] = UInt8(bitPattern: p.inputWeights[g][j * p.inputs + i]) }
        for i in 0..<u { blob[(p.inputs + i) * n + g * u + j] = UInt8(bitPattern: p.recurrentWeights[g][j * u + i]) }
      }
    }
    func table(_ bias: [[Int32]], _ scale: [(multiplier: Int32, shift: Int)]) -> [UInt8] {
      ActivationParameters.table(
        (0..<4).flatMap { g in
          (0..<u).map { j in
            ActivationParameters.fixedPoint(
              bias: bias[g][j], multiplier: scale[g].multiplier, shift: Int32(scale[g].shift))
          }
        })
    }
    return blob + table(p.inputBias, p.inputScale) + table(p.recurrentBias, p.recurrentScale)
  }
}

extension OperatorLegalizer {
  /// UNIDIRECTIONAL_SEQUENCE_LSTM: int8 with an int16 cell state on the array and the vector
  /// unit (`LSTMWork`) when its buffers fit; everything else on the host (`recurrentHost`).
  func lstm(_ o: UnidirectionalSequenceLSTMOptions) -> Decision {
    guard !floatDatapath else { return recurrentHost("the float32 datapath has no int16 lanes") }
    guard let xID = op.input(0), let out = op.outputs.first else { return recurrentHost("missing input or output") }
    let values = op.inputs.map { id in id.flatMap { graph[$0].data } }
    let plan: IntegerLSTMPlan
    do {
      plan = try Kernels.integerLSTMPlan(KernelContext(graph: graph, op: op, index: index, values: values), o)
    } catch {
      return recurrentHost(error.message.replacingOccurrences(of: "unsupported: ", with: ""))
    }
    if let problem = plan.cellStep.problem { return recurrentHost("vlstm cannot take its cell step: \(problem)") }
    if let shift = (plan.inputScale + plan.recurrentScale).map(\.shift).first(where: { !(-31...30).contains($0) }) {
      return recurrentHost("a gate multiplier's shift \(shift) is outside activate's −31...30")
    }
    var work = LSTMWork(input: xID, output: out, plan: plan, blob: LSTMWork.makeBlob(plan))
    let arch = state.arch
    let ub = Int(arch.ub.capacity.count), wb = Int(arch.weights.capacity.count)
    guard work.unifiedBufferBytes <= ub else {
      return recurrentHost(
        "its sequence, state and int16 gate buffers need \(formatBytes(work.unifiedBufferBytes)) of unified buffer; \(arch.name) has \(formatBytes(ub))"
      )
    }
    guard work.blob.count <= wb else {
      return recurrentHost(
        "its weights and activate tables need \(formatBytes(work.blob.count)) of weight buffer; \(arch.name) has \(formatBytes(wb))"
      )
    }
    let accumulatorRows = arch.accumulatorEntries
    guard accumulatorRows >= plan.batches else {
      return recurrentHost("\(plan.batches) batch rows exceed the \(accumulatorRows) accumulator rows")
    }
    work.estimate = nil
    let reason =
      "\(name): gate matmuls on the array (input projection of \(plan.steps) steps × \(plan.batches) at once, recurrent \(plan.cells)×\(4 * plan.cells) per step), cell arithmetic on the vector unit (vlstm, int16 lanes); state kept in DRAM between invocations"
    return (.systolicArray, reason, .lstm(work))
  }

  /// UNIDIRECTIONAL_SEQUENCE_LSTM on the host. Its state inputs (the output and cell state
  /// variable tensors, inputs 18 and 19) are not DRAM operands: the host executor keeps the
  /// state between invocations, as TFLite keeps it in those tensors.
  func recurrentHost(_ why: String) -> Decision {
    var inputs = op.inputs
    for p in [18, 19] where p < inputs.count { inputs[p] = nil }
    let reason = "\(name): recurrent, not lowered on chip: \(why); runs on the host"
    return (.host, reason, .host(HostWork(inputs: inputs, outputs: op.outputs)))
  }
}
