import Support

// issue 14: lstm

/// `vlstm`: the elementwise half of one time step of TFLite's integer LSTM (8×8→16) over
/// `outer` batch rows of `inner` cells, on int16 lanes.
///
/// The four gate pre-activations (Q3.12 int16, what the array's gate matmuls left in the unified
/// buffer) are views `gates` + k · `gateStrideBytes` for gate k = 0 input, 1 forget, 2 cell,
/// 3 output (the input gate is not read when `parameters.coupledInputForget`). The int16 cell
/// state is read and rewritten in place; the int8 hidden value is written to `hidden`:
///
/// ```swift
/// for b in 0..<outer {
///   for j in 0..<inner {
///     let g = (0..<4).map { k in Int16(GATES[k][b][j]) }              // little-endian int16
///     (CELL[b][j], HIDDEN[b][j]) = parameters.step(
///       input: g[0], forget: g[1], cellGate: g[2], output: g[3], cell: CELL[b][j])
///   }
/// }
/// ```
///
/// `LSTMCellParameters.step` (Support) is the golden model's own step: σ and tanh of the gates in
/// gemmlowp's int16 fixed point, `c = sat16(f·c + i·g)` (clipped), `h = o·tanh(c)` requantized to
/// int8. Each element is read before it is written, element by element, so `hidden` must not
/// overlap the gates or the cell state of a later element; the verifier does not require it,
/// the compiler keeps them apart.
public struct LSTMCell: Hashable, Sendable {
  /// Gate 0 (input); gate k is `gateStrideBytes · k` bytes further. int16 elements.
  public var gates: VectorView
  /// Bytes between the views of consecutive gates.
  public var gateStrideBytes: Int
  /// The int16 cell state, read and written.
  public var cell: VectorView
  /// The int8 hidden output.
  public var hidden: VectorView
  /// Batch rows.
  public var outer: Int
  /// Cells per row.
  public var inner: Int
  /// Scales, clip and zero point (`LSTMCellParameters`).
  public var parameters: LSTMCellParameters

  /// Bytes of a gate or cell-state element (int16 lanes).
  public static let stateElementBytes = 2

  /// Creates a `vlstm` descriptor.
  public init(
    gates: VectorView, gateStrideBytes: Int, cell: VectorView, hidden: VectorView, outer: Int, inner: Int,
    parameters: LSTMCellParameters
  ) {
    self.gates = gates
    self.gateStrideBytes = gateStrideBytes
    self.cell = cell
    self.hidden = hidden
    self.outer = outer
    self.inner = inner
    self.parameters = parameters
  }

  /// The gate views the instruction reads (three under CIFG: no input gate).
  public var gateViews: [VectorView] {
    (parameters.coupledInputForget ? 1..<4 : 0..<4).map { k in
      VectorView(
        address: gates.address + k * gateStrideBytes, outerStrideBytes: gates.outerStrideBytes,
        innerStrideBytes: gates.innerStrideBytes)
    }
  }
}

extension MachineState {
  /// Runs `vlstm` as `LSTMCell` documents it.
  mutating func lstmCell(_ o: LSTMCell) {
    func int16(_ address: Int) -> Int16 {
      Int16(bitPattern: UInt16(unifiedBuffer[address]) | UInt16(unifiedBuffer[address + 1]) << 8)
    }
    let p = o.parameters
    let gate0 = o.gates.address.byteOffset
    for b in 0..<o.outer {
      for j in 0..<o.inner {
        let g = gate0 + b * o.gates.outerStrideBytes + j * o.gates.innerStrideBytes
        let input = p.coupledInputForget ? 0 : int16(g)
        let forget = int16(g + o.gateStrideBytes)
        let cellGate = int16(g + 2 * o.gateStrideBytes)
        let output = int16(g + 3 * o.gateStrideBytes)
        let c = o.cell.address.byteOffset + b * o.cell.outerStrideBytes + j * o.cell.innerStrideBytes
        let (cell, hidden) = p.step(input: input, forget: forget, cellGate: cellGate, output: output, cell: int16(c))
        let bits = UInt16(bitPattern: cell)
        unifiedBuffer[c] = UInt8(truncatingIfNeeded: bits)
        unifiedBuffer[c + 1] = UInt8(truncatingIfNeeded: bits >> 8)
        let h = o.hidden.address.byteOffset + b * o.hidden.outerStrideBytes + j * o.hidden.innerStrideBytes
        unifiedBuffer[h] = UInt8(bitPattern: hidden)
      }
    }
  }
}
