import Foundation
import GraphIR
import Support

// issue 14: recurrent

/// The state an UNIDIRECTIONAL_SEQUENCE_LSTM keeps between invocations: TFLite stores it in the
/// operator's two variable input tensors (output state, input 18; cell state, input 19), which
/// the kernel overwrites with the last step's values and which keep them until the interpreter
/// resets its variables.
public struct RecurrentState: Sendable, Equatable {
  /// The output (hidden) state, `[batch, output]` elements.
  public var output: TensorData
  /// The cell state, `[batch, cell]` elements.
  public var cell: TensorData

  public init(output: TensorData, cell: TensorData) {
    self.output = output
    self.cell = cell
  }

  /// TFLite's `ResetVariableTensor`: int8 state filled with its zero point, everything else
  /// with zeros.
  public static func initial(for tensor: Tensor) -> TensorData {
    if tensor.elementType == .int8, let zp = tensor.quantization?.zeroPoint {
      let fill = Int8(clamping: zp)
      return TensorData(shape: tensor.shape, storage: .int8([Int8](repeating: fill, count: tensor.elementCount)))
    }
    return TensorData(zeros: tensor.elementType, shape: tensor.shape)
  }
}

extension Kernels {
  /// Input positions of UNIDIRECTIONAL_SEQUENCE_LSTM (TFLite `lstm_shared.h`).
  enum LSTMInput {
    static let input = 0
    static let inputToInput = 1, inputToForget = 2, inputToCell = 3, inputToOutput = 4
    static let recurrentToInput = 5, recurrentToForget = 6, recurrentToCell = 7, recurrentToOutput = 8
    static let cellToInput = 9, cellToForget = 10, cellToOutput = 11
    static let inputGateBias = 12, forgetGateBias = 13, cellGateBias = 14, outputGateBias = 15
    static let projectionWeights = 16, projectionBias = 17
    static let outputState = 18, cellState = 19
    static let inputLayerNorm = 20, forgetLayerNorm = 21, cellLayerNorm = 22, outputLayerNorm = 23
  }

  /// The state UNIDIRECTIONAL_SEQUENCE_LSTM starts from when nothing ran before: the values of
  /// its state inputs if the context has them, else TFLite's reset values.
  public static func initialRecurrentState(_ c: KernelContext) throws(GoldenModelError) -> RecurrentState {
    let outputTensor = try c.inputTensor(LSTMInput.outputState)
    let cellTensor = try c.inputTensor(LSTMInput.cellState)
    return RecurrentState(
      output: c.optionalValue(LSTMInput.outputState) ?? RecurrentState.initial(for: outputTensor),
      cell: c.optionalValue(LSTMInput.cellState) ?? RecurrentState.initial(for: cellTensor))
  }

  /// UNIDIRECTIONAL_SEQUENCE_LSTM from `state`: the whole output sequence and the state after
  /// the last step (TFLite `unidirectional_sequence_lstm.cc`, `lstm_eval.cc`).
  ///
  /// Float32: `EvalFloat` / `LstmStepFloat`: gates `σ(b + W·x + R·h)` (tanh for the cell gate),
  /// `c = f·c + i·g` clipped to ±cell_clip, `h = o·tanh(c)`. int8 activations with an int16
  /// cell state and 5 intermediates: the 8×8→16 integer path (`EvalInteger8x8_16` /
  /// `LstmStepInteger8x8_16`) with the effective scales `PopulateQuantizedLstmParams8x8_16`
  /// computes at Prepare time; see `docs/quantization.md`. Supported variants: no peephole, no
  /// projection, no layer norm (CIFG is supported); batch-major or time-major input.
  public static func unidirectionalSequenceLSTM(
    _ c: KernelContext, _ o: UnidirectionalSequenceLSTMOptions, state: RecurrentState
  ) throws(GoldenModelError) -> (output: TensorData, state: RecurrentState) {
    let geometry = try LSTMGeometry(c, o)
    let x = try c.value(LSTMInput.input)
    switch x.storage {
    case .float32:
      return try lstmFloat(c, o, geometry, state)
    case .int8:
      return try lstmInteger8x8x16(c, o, geometry, state)
    default:
      throw c.unsupported("UNIDIRECTIONAL_SEQUENCE_LSTM on \(x.elementType) input")
    }
  }

  /// The integer LSTM's gate sigmoid: gemmlowp `logistic` of a Q3.12 value, Q0.15 result.
  public static func lstmLogisticQ3_12(_ x: Int16) -> Int16 { GemmlowpQ16.logistic(x, integerBits: 3) }

  /// The integer LSTM's cell-gate tanh: gemmlowp `tanh` of a Q3.12 value, Q0.15 result.
  public static func lstmTanhQ3_12(_ x: Int16) -> Int16 { GemmlowpQ16.tanh(x, integerBits: 3) }

  /// Sizes read from the operands, checked as `CheckInputTensorDimensions` does.
  struct LSTMGeometry {
    var batches: Int, steps: Int, inputs: Int, cells: Int, outputs: Int
    var timeMajor: Bool
    var useCIFG: Bool

    init(_ c: KernelContext, _ o: UnidirectionalSequenceLSTMOptions) throws(GoldenModelError) {
      let x = try c.inputTensor(LSTMInput.input)
      guard x.shape.count == 3 else {
        throw GoldenModelError(.invalidModel, c.location, "input has shape \(x.shape); expected rank 3")
      }
      timeMajor = o.timeMajor
      steps = o.timeMajor ? x.shape[0] : x.shape[1]
      batches = o.timeMajor ? x.shape[1] : x.shape[0]
      inputs = x.shape[2]
      let toOutput = try c.inputTensor(LSTMInput.inputToOutput)
      let recurrentToOutput = try c.inputTensor(LSTMInput.recurrentToOutput)
      guard toOutput.shape.count == 2, recurrentToOutput.shape.count == 2 else {
        throw GoldenModelError(.invalidModel, c.location, "weights are not rank 2")
      }
      cells = toOutput.shape[0]
      outputs = recurrentToOutput.shape[1]
      useCIFG = c.op.input(LSTMInput.inputToInput) == nil
      for p in [LSTMInput.cellToInput, LSTMInput.cellToForget, LSTMInput.cellToOutput] where c.op.input(p) != nil {
        throw c.unsupported("peephole connections (input \(p))")
      }
      if c.op.input(LSTMInput.projectionWeights) != nil { throw c.unsupported("a projection layer") }
      if (20...23).contains(where: { c.op.input($0) != nil }) { throw c.unsupported("layer normalization") }
      if o.diagonalRecurrentTensors { throw c.unsupported("diagonal recurrent weights") }
      let gates = useCIFG ? [2, 3, 4] : [1, 2, 3, 4]
      for g in gates {
        let w = try c.inputTensor(g)
        let r = try c.inputTensor(g + 4)
        let b = try c.inputTensor(g + 11)
        guard w.shape == [cells, inputs], r.shape == [cells, outputs], b.shape == [cells] else {
          throw GoldenModelError(
            .invalidModel, c.location,
            "gate \(g) has weights \(w.shape), recurrent weights \(r.shape) and bias \(b.shape); expected [\(cells), \(inputs)], [\(cells), \(outputs)], [\(cells)]"
          )
        }
      }
      if useCIFG && (c.op.input(LSTMInput.recurrentToInput) != nil || c.op.input(LSTMInput.inputGateBias) != nil) {
        throw GoldenModelError(.invalidModel, c.location, "CIFG LSTM (no input-to-input weights) has input-gate operands")
      }
      let h = try c.inputTensor(LSTMInput.outputState)
      let s = try c.inputTensor(LSTMInput.cellState)
      guard h.elementCount == batches * outputs, s.elementCount == batches * cells else {
        throw GoldenModelError(
          .invalidModel, c.location,
          "state tensors hold \(h.elementCount) and \(s.elementCount) elements; expected \(batches * outputs) and \(batches * cells)")
      }
      guard c.op.outputs.count == 1 else {
        throw GoldenModelError(.invalidModel, c.location, "has \(c.op.outputs.count) outputs; expected 1")
      }
    }

    /// Offset of the input vector of batch `b`, step `t`.
    func inputOffset(_ b: Int, _ t: Int) -> Int { (timeMajor ? t * batches + b : b * steps + t) * inputs }
    /// Offset of the output vector of batch `b`, step `t`.
    func outputOffset(_ b: Int, _ t: Int) -> Int { (timeMajor ? t * batches + b : b * steps + t) * outputs }
    var outputShape: [Int] { timeMajor ? [steps, batches, outputs] : [batches, steps, outputs] }
  }

  // MARK: Float32

  static func lstmFloat(
    _ c: KernelContext, _ o: UnidirectionalSequenceLSTMOptions, _ g: LSTMGeometry, _ state: RecurrentState
  ) throws(GoldenModelError) -> (output: TensorData, state: RecurrentState) {
    func floats(_ p: Int) throws(GoldenModelError) -> [Float] {
      guard case .float32(let v) = try c.value(p).storage else {
        throw c.unsupported("float32 LSTM with a non-float32 input \(p)")
      }
      return v
    }
    guard o.activation == .tanh || o.activation == .relu || o.activation == .none else {
      throw c.unsupported("activation \(o.activation.rawValue)")
    }
    let x = try floats(LSTMInput.input)
    let gates = g.useCIFG ? [2, 3, 4] : [1, 2, 3, 4]
    var w: [Int: [Float]] = [:], r: [Int: [Float]] = [:], bias: [Int: [Float]] = [:]
    for k in gates {
      w[k] = try floats(k)
      r[k] = try floats(k + 4)
      bias[k] = try floats(k + 11)
    }
    guard case .float32(var h) = state.output.storage, case .float32(var cell) = state.cell.storage,
      h.count == g.batches * g.outputs, cell.count == g.batches * g.cells
    else {
      throw GoldenModelError(.invalidModel, c.location, "state is not float32 of the operator's size")
    }
    func act(_ v: Float) -> Float {
      switch o.activation {
      case .relu: max(0, v)
      case .none: v
      default: Foundation.tanh(v)
      }
    }
    func sigmoid(_ v: Float) -> Float { 1 / (1 + Foundation.exp(-v)) }
    var out = [Float](repeating: 0, count: g.batches * g.steps * g.outputs)
    for b in 0..<g.batches {
      for t in 0..<g.steps {
        let xi = g.inputOffset(b, t)
        // gate k, cell j: bias + W·x + R·h (TFLite's accumulation order).
        func gate(_ k: Int, _ j: Int) -> Float {
          var acc = bias[k]![j]
          let wk = w[k]!, rk = r[k]!
          for i in 0..<g.inputs { acc += wk[j * g.inputs + i] * x[xi + i] }
          for i in 0..<g.outputs { acc += rk[j * g.outputs + i] * h[b * g.outputs + i] }
          return acc
        }
        var newH = [Float](repeating: 0, count: g.outputs)
        for j in 0..<g.cells {
          let f = sigmoid(gate(2, j))
          let cg = act(gate(3, j))
          let i = g.useCIFG ? 1 - f : sigmoid(gate(1, j))
          var cj = cell[b * g.cells + j] * f + i * cg
          if o.cellClip > 0 { cj = min(max(cj, -o.cellClip), o.cellClip) }
          cell[b * g.cells + j] = cj
          newH[j] = sigmoid(gate(4, j)) * act(cj)
        }
        for i in 0..<g.outputs { h[b * g.outputs + i] = newH[i] }
        let yo = g.outputOffset(b, t)
        for i in 0..<g.outputs { out[yo + i] = newH[i] }
      }
    }
    let next = RecurrentState(
      output: TensorData(shape: state.output.shape, storage: .float32(h)),
      cell: TensorData(shape: state.cell.shape, storage: .float32(cell)))
    return (TensorData(shape: g.outputShape, storage: .float32(out)), next)
  }

  // MARK: int8 × int8 → int16

  /// The integer LSTM's parameters, computed as `PopulateQuantizedLstmParams8x8_16` and
  /// `PopulatePrecomputedZPTimesWeightsWithBias` do at Prepare time.
  struct IntegerLSTMParameters {
    /// Per gate (1 input, 2 forget, 3 cell, 4 output): int8 weights, multipliers of the input
    /// and recurrent products, and the effective biases (bias − zp · row sums).
    var inputWeights: [Int: [Int8]] = [:], recurrentWeights: [Int: [Int8]] = [:]
    var inputScale: [Int: (multiplier: Int32, shift: Int)] = [:]
    var recurrentScale: [Int: (multiplier: Int32, shift: Int)] = [:]
    var inputBias: [Int: [Int32]] = [:], recurrentBias: [Int: [Int32]] = [:]
    var hiddenScale: (multiplier: Int32, shift: Int) = (0, 0)
    var hiddenZeroPoint: Int32 = 0
    /// log2 of the cell state's scale (≤ −9).
    var cellScale: Int = -15
    var cellClip: Int16 = 0

    // issue 14: lstm
    /// The elementwise step's parameters, as `vlstm` takes them.
    func cellStep(coupledInputForget: Bool) -> LSTMCellParameters {
      LSTMCellParameters(
        cellScaleLog2: cellScale, cellClip: cellClip, hiddenMultiplier: hiddenScale.multiplier,
        hiddenShift: hiddenScale.shift, hiddenZeroPoint: Int8(clamping: hiddenZeroPoint),
        coupledInputForget: coupledInputForget)
    }
  }

  static func integerLSTMParameters(
    _ c: KernelContext, _ o: UnidirectionalSequenceLSTMOptions, _ g: LSTMGeometry
  ) throws(GoldenModelError) -> IntegerLSTMParameters {
    var p = IntegerLSTMParameters()
    let input = try c.quantization(of: try c.inputTensor(LSTMInput.input))
    let outputStateTensor = try c.inputTensor(LSTMInput.outputState)
    let cellStateTensor = try c.inputTensor(LSTMInput.cellState)
    guard outputStateTensor.elementType == .int8, cellStateTensor.elementType == .int16,
      try c.outputTensor().elementType == .int8
    else {
      throw c.unsupported(
        "integer LSTM with \(outputStateTensor.elementType) output state and \(cellStateTensor.elementType) cell state; expected int8 and int16")
    }
    let outputState = try c.quantization(of: outputStateTensor)
    let cellState = try c.quantization(of: cellStateTensor)
    guard o.intermediates.count == 5 else {
      throw c.unsupported("integer LSTM with \(o.intermediates.count) intermediates (the 8×8→16 kernel has 5)")
    }
    let hidden = try c.quantization(of: c.graph[o.intermediates[4]])

    // CheckedLog2 of the cell state's scale, in float as TFLite computes it.
    let log2 = Foundation.log(cellState.scale) * (1 / Foundation.log(Float(2)))
    let rounded = log2.rounded(.toNearestOrAwayFromZero)
    guard abs(log2 - rounded) < 1e-3, rounded <= -9, rounded >= -15 else {
      throw c.unsupported("cell state scale \(cellState.scale); the integer kernel needs 2^k with −15 ≤ k ≤ −9")
    }
    p.cellScale = Int(rounded)
    if o.cellClip > 0 {
      p.cellClip = Int16(min(max(o.cellClip / cellState.scale, -32768), 32767))
    }
    // The four gate intermediates are Q3.12 (2^−12) without layer norm.
    let gateScale = Float(1.0 / 4096.0)
    let gates = g.useCIFG ? [2, 3, 4] : [1, 2, 3, 4]
    for k in gates {
      let w = try c.inputTensor(k), r = try c.inputTensor(k + 4), b = try c.inputTensor(k + 11)
      guard case .int8(let wv)? = w.data?.storage, case .int8(let rv)? = r.data?.storage,
        case .int32(let bv)? = b.data?.storage
      else {
        throw c.unsupported("integer LSTM gate \(k) without constant int8 weights and int32 bias")
      }
      let ws = try c.quantization(of: w).scale, rs = try c.quantization(of: r).scale
      p.inputScale[k] = FixedPoint.quantizeMultiplier(Double(ws * input.scale / gateScale))
      p.recurrentScale[k] = FixedPoint.quantizeMultiplier(Double(rs * outputState.scale / gateScale))
      p.inputWeights[k] = wv
      p.recurrentWeights[k] = rv
      p.inputBias[k] = effectiveBias(wv, rows: g.cells, columns: g.inputs, zeroPoint: -Int32(input.zeroPoint), bias: bv)
      p.recurrentBias[k] = effectiveBias(
        rv, rows: g.cells, columns: g.outputs, zeroPoint: -Int32(outputState.zeroPoint), bias: nil)
    }
    let hiddenScale = Float(Foundation.pow(2.0, -15.0) / Double(hidden.scale) * Foundation.pow(2.0, -15.0))
    p.hiddenScale = FixedPoint.quantizeMultiplier(Double(hiddenScale))
    p.hiddenZeroPoint = Int32(hidden.zeroPoint)
    return p
  }

  /// `PrecomputeZeroPointTimesWeightWithBias`: `bias[row] + zeroPoint · Σ weights[row, :]`.
  static func effectiveBias(_ w: [Int8], rows: Int, columns: Int, zeroPoint: Int32, bias: [Int32]?) -> [Int32] {
    (0..<rows).map { row in
      var sum: Int32 = 0
      for col in 0..<columns { sum &+= Int32(w[row * columns + col]) }
      return (bias?[row] ?? 0) &+ zeroPoint &* sum
    }
  }

  static func lstmInteger8x8x16(
    _ c: KernelContext, _ o: UnidirectionalSequenceLSTMOptions, _ g: LSTMGeometry, _ state: RecurrentState
  ) throws(GoldenModelError) -> (output: TensorData, state: RecurrentState) {
    let p = try integerLSTMParameters(c, o, g)
    guard case .int8(let x) = try c.value(LSTMInput.input).storage else {
      throw c.unsupported("integer LSTM input that is not int8")
    }
    guard case .int8(var h) = state.output.storage, case .int16(var cell) = state.cell.storage,
      h.count == g.batches * g.outputs, cell.count == g.batches * g.cells
    else {
      throw GoldenModelError(.invalidModel, c.location, "state is not int8/int16 of the operator's size")
    }
    var out = [Int8](repeating: 0, count: g.batches * g.steps * g.outputs)
    let cellStep = p.cellStep(coupledInputForget: g.useCIFG)
    for b in 0..<g.batches {
      for t in 0..<g.steps {
        let xi = g.inputOffset(b, t), hi = b * g.outputs
        // CalculateLstmGateInteger8x8_16: two saturating int16 accumulations, then σ or tanh.
        func gate(_ k: Int) -> [Int16] {
          var acc = [Int16](repeating: 0, count: g.cells)
          let w = p.inputWeights[k]!, r = p.recurrentWeights[k]!
          let ib = p.inputBias[k]!, rb = p.recurrentBias[k]!
          let (im, ish) = p.inputScale[k]!, (rm, rsh) = p.recurrentScale[k]!
          for j in 0..<g.cells {
            var dot = ib[j]
            for i in 0..<g.inputs { dot &+= Int32(x[xi + i]) * Int32(w[j * g.inputs + i]) }
            var v = FixedPoint.multiplyByQuantizedMultiplier(dot, im, ish) + Int32(acc[j])
            acc[j] = Int16(clamping: v)
            dot = rb[j]
            for i in 0..<g.outputs { dot &+= Int32(h[hi + i]) * Int32(r[j * g.outputs + i]) }
            v = FixedPoint.multiplyByQuantizedMultiplier(dot, rm, rsh) + Int32(acc[j])
            acc[j] = Int16(clamping: v)
          }
          return acc
        }
        // issue 14: lstm. The elementwise step (σ/tanh, UpdateLstmCellInteger,
        // CalculateLstmOutputInteger8x8_16) is shared with `vlstm` (Support `LSTMCellParameters`).
        let forget = gate(2), cellGate = gate(3), outputGate = gate(4)
        let inputGate = g.useCIFG ? forget : gate(1)
        for j in 0..<g.cells {
          let s = b * g.cells + j
          let (c, hidden) = cellStep.step(
            input: inputGate[j], forget: forget[j], cellGate: cellGate[j], output: outputGate[j], cell: cell[s])
          cell[s] = c
          h[hi + j] = hidden
        }
        let yo = g.outputOffset(b, t)
        for i in 0..<g.outputs { out[yo + i] = h[hi + i] }
      }
    }
    let next = RecurrentState(
      output: TensorData(shape: state.output.shape, storage: .int8(h)),
      cell: TensorData(shape: state.cell.shape, storage: .int16(cell)))
    return (TensorData(shape: g.outputShape, storage: .int8(out)), next)
  }
}

// MARK: Ops the converted GRU networks add

extension Kernels {
  /// LOGICAL_AND (`logical.cc`): element-wise `a && b` on bool tensors with numpy broadcasting.
  static func logicalAnd(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0), y = try c.value(1)
    guard case .bool(let a) = x.storage, case .bool(let b) = y.storage else {
      throw c.unsupported("LOGICAL_AND on \(x.elementType) and \(y.elementType)")
    }
    let shape = try broadcastShape([x.shape, y.shape], c)
    let xi = ElementwiseSupport.broadcastIndices(input: x.shape, output: shape) ?? Array(0..<x.count)
    let yi = ElementwiseSupport.broadcastIndices(input: y.shape, output: shape) ?? Array(0..<y.count)
    return TensorData(shape: shape, storage: .bool(zip(xi, yi).map { a[$0] && b[$1] }))
  }

  /// UNPACK (`unpack.cc`): `count` slices of the input along `axis`, each without that axis.
  /// Values are copied, so quantized outputs keep the input's parameters (TFLite requires it).
  static func unpack(_ c: KernelContext, count: Int, axis a: Int) throws(GoldenModelError) -> [TensorData] {
    let x = try c.value(0)
    let rank = x.shape.count
    let axis = a < 0 ? a + rank : a
    guard axis >= 0, axis < rank else {
      throw GoldenModelError(.invalidModel, c.location, "UNPACK axis \(a) out of range for rank \(rank)")
    }
    guard x.shape[axis] == count, c.op.outputs.count == count else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "UNPACK of dimension \(x.shape[axis]) into num \(count) (\(c.op.outputs.count) outputs); they must agree")
    }
    let strides = ElementwiseSupport.rowMajorStrides(x.shape)
    var slice = x.shape
    slice[axis] = 1
    var shape = x.shape
    shape.remove(at: axis)
    return (0..<count).map { k in
      let indices = ElementwiseSupport.stridedIndices(shape: slice, strides: strides, base: k * strides[axis])
      return TensorData(shape: shape, storage: ElementwiseSupport.gather(x.storage, indices))
    }
  }
}

// issue 14: lstm
/// What the compiler needs to run an int8 UNIDIRECTIONAL_SEQUENCE_LSTM (8×8→16, no CIFG) on the
/// array and the vector unit: the golden kernel's own Prepare-time parameters, so the on-chip
/// program computes exactly what `Kernels.lstmInteger8x8x16` does.
public struct IntegerLSTMPlan: Sendable {
  public var batches: Int, steps: Int, inputs: Int, cells: Int
  public var timeMajor: Bool
  /// Per gate in TFLite order (input, forget, cell, output): int8 weights `[cells, inputs]` and
  /// `[cells, cells]`, row-major.
  public var inputWeights: [[Int8]], recurrentWeights: [[Int8]]
  /// Per gate: effective biases (bias − zp · row sums) of the input and recurrent products.
  public var inputBias: [[Int32]], recurrentBias: [[Int32]]
  /// Per gate: `MultiplyByQuantizedMultiplier` parameters of the two products into Q3.12.
  public var inputScale: [(multiplier: Int32, shift: Int)], recurrentScale: [(multiplier: Int32, shift: Int)]
  /// The elementwise step (`vlstm`).
  public var cellStep: LSTMCellParameters
  /// The state before the first invocation: hidden int8 `[batches, cells]`, cell int16.
  public var initialHidden: [Int8], initialCell: [Int16]
}

extension Kernels {
  /// The on-chip plan of an int8 UNIDIRECTIONAL_SEQUENCE_LSTM, or the reason it has none (float
  /// LSTMs, CIFG, peephole, projection, layer norm, other state types).
  public static func integerLSTMPlan(
    _ c: KernelContext, _ o: UnidirectionalSequenceLSTMOptions
  ) throws(GoldenModelError) -> IntegerLSTMPlan {
    let g = try LSTMGeometry(c, o)
    guard try c.inputTensor(LSTMInput.input).elementType == .int8 else {
      throw c.unsupported("a non-int8 input (the on-chip LSTM is the 8×8→16 integer kernel)")
    }
    if g.useCIFG { throw c.unsupported("CIFG (coupled input and forget gates)") }
    guard g.cells == g.outputs else { throw c.unsupported("output size \(g.outputs) ≠ cell count \(g.cells)") }
    let p = try integerLSTMParameters(c, o, g)
    let state = try initialRecurrentState(c)
    guard case .int8(let h) = state.output.storage, case .int16(let cell) = state.cell.storage else {
      throw c.unsupported("state that is not int8 hidden and int16 cell")
    }
    let gates = [1, 2, 3, 4]
    return IntegerLSTMPlan(
      batches: g.batches, steps: g.steps, inputs: g.inputs, cells: g.cells, timeMajor: g.timeMajor,
      inputWeights: gates.map { p.inputWeights[$0] ?? [] }, recurrentWeights: gates.map { p.recurrentWeights[$0] ?? [] },
      inputBias: gates.map { p.inputBias[$0] ?? [] }, recurrentBias: gates.map { p.recurrentBias[$0] ?? [] },
      inputScale: gates.map { p.inputScale[$0] ?? (0, 0) }, recurrentScale: gates.map { p.recurrentScale[$0] ?? (0, 0) },
      cellStep: p.cellStep(coupledInputForget: false), initialHidden: h, initialCell: cell)
  }
}
