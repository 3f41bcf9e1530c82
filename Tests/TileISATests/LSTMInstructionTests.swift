import Support
import Testing

@testable import TileISA

// issue 14: lstm

/// `vlstm`: the elementwise half of an integer LSTM step on int16 lanes, against the golden
/// model's own step (`LSTMCellParameters.step`, which `Kernels.lstmInteger8x8x16` calls and which
/// the recurrent golden tests hold bit-exact with TFLite's reference kernels), through the
/// instruction's strided views; its text, encoding and checks.
@Suite("vlstm")
struct LSTMInstructionTests {
  static let parameters = LSTMCellParameters(
    cellScaleLog2: -11, cellClip: 0, hiddenMultiplier: 1_317_589_540, hiddenShift: -7, hiddenZeroPoint: -3,
    coupledInputForget: false)

  func putInt16(_ m: inout MachineState, _ v: Int16, at address: Int) {
    m.unifiedBuffer[address] = UInt8(truncatingIfNeeded: UInt16(bitPattern: v))
    m.unifiedBuffer[address + 1] = UInt8(truncatingIfNeeded: UInt16(bitPattern: v) >> 8)
  }

  func int16(_ m: MachineState, at address: Int) -> Int16 {
    Int16(bitPattern: UInt16(m.unifiedBuffer[address]) | UInt16(m.unifiedBuffer[address + 1]) << 8)
  }

  /// 4,096 seeded cells over 64 instructions: random gate pre-activations (uniform int16, so
  /// every saturation region of σ and tanh is hit), cell states, cell scales 2^−15…2^−9, clips,
  /// hidden scales and zero points, CIFG on and off, and gate/cell/hidden layouts with row
  /// padding; every cell state and hidden byte equals the golden step's.
  @Test("4,096 seeded cells equal the golden model's step")
  func matchesGoldenStep() throws {
    var rng = SeededGenerator(seed: 0x1575)
    var m = try makeMachine()
    var cases = 0
    for _ in 0..<64 {
      let outer = 1 << Int(rng.next() % 4)
      let inner = 64 / outer
      let cifg = rng.next() % 4 == 0
      let p = LSTMCellParameters(
        cellScaleLog2: -9 - Int(rng.next() % 7), cellClip: rng.next() % 3 == 0 ? Int16(rng.next() % 32768) : 0,
        hiddenMultiplier: Int32(1 << 30) + Int32(rng.next() % (1 << 30)), hiddenShift: -Int(rng.next() % 12),
        hiddenZeroPoint: Int8(truncatingIfNeeded: rng.next()), coupledInputForget: cifg)
      // Rows of the four gates side by side ([i f g o] per row, as the compiler lays them out),
      // padded by 6 bytes; the cell state rows padded by 2; the hidden rows by 3.
      let gateRow = 4 * inner * 2 + 6
      let gates = VectorView(address: SRAMAddress(0), outerStrideBytes: gateRow, innerStrideBytes: 2)
      let cellBase = outer * gateRow
      let cell = VectorView(address: SRAMAddress(cellBase), outerStrideBytes: inner * 2 + 2, innerStrideBytes: 2)
      let hiddenBase = cellBase + outer * (inner * 2 + 2)
      let hidden = VectorView(address: SRAMAddress(hiddenBase), outerStrideBytes: inner + 3, innerStrideBytes: 1)
      var g = [[Int16]](repeating: [], count: 4)
      var c: [Int16] = []
      for b in 0..<outer {
        for j in 0..<inner {
          for k in 0..<4 {
            let v = Int16(truncatingIfNeeded: rng.next())
            g[k].append(v)
            putInt16(&m, v, at: b * gateRow + k * inner * 2 + j * 2)
          }
          let s = Int16(truncatingIfNeeded: rng.next())
          c.append(s)
          putInt16(&m, s, at: cellBase + b * (inner * 2 + 2) + j * 2)
        }
      }
      let l = LSTMCell(
        gates: gates, gateStrideBytes: inner * 2, cell: cell, hidden: hidden, outer: outer, inner: inner, parameters: p)
      #expect(Operation.vector(.lstmCell(l)).staticProblems(context).isEmpty)
      try run(.vector(.lstmCell(l)), on: &m)
      for b in 0..<outer {
        for j in 0..<inner {
          let e = b * inner + j
          let want = p.step(input: g[0][e], forget: g[1][e], cellGate: g[2][e], output: g[3][e], cell: c[e])
          #expect(int16(m, at: cellBase + b * (inner * 2 + 2) + j * 2) == want.cell)
          #expect(m.ub(hiddenBase + b * (inner + 3) + j, 1) == [want.hidden])
          cases += 1
        }
      }
    }
    #expect(cases == 4096)
  }

  /// Hand-checked values: gates at 0 give σ = ½ and tanh = 0, so a zero cell stays 0 and the
  /// hidden value is the zero point; a saturated forget gate keeps the cell (f ≈ 1 − 2^−15).
  @Test("zero gates keep a zero cell; a saturated forget gate keeps the cell")
  func handChecked() throws {
    var m = try makeMachine()
    let l = LSTMCell(
      gates: VectorView(address: SRAMAddress(0), outerStrideBytes: 16, innerStrideBytes: 2), gateStrideBytes: 4,
      cell: VectorView(address: SRAMAddress(64), outerStrideBytes: 4, innerStrideBytes: 2),
      hidden: VectorView(address: SRAMAddress(96), outerStrideBytes: 2), outer: 1, inner: 2, parameters: Self.parameters
    )
    // Element 0: all gates 0, cell 0. Element 1: forget gate 32767 (≈ 8 in Q3.12), the others 0,
    // cell 1000 → f·c = 1000·32767/32768 → 1000, i·g = 0.
    for (k, v) in [(0, 0), (1, 32767), (2, 0), (3, 0)] { putInt16(&m, Int16(v), at: k * 4 + 2) }
    putInt16(&m, 1000, at: 66)
    try run(.vector(.lstmCell(l)), on: &m)
    #expect(int16(m, at: 64) == 0)
    #expect(int16(m, at: 66) == 1000)
    #expect(m.ub(96, 1) == [Self.parameters.hiddenZeroPoint])
  }

  var context: CheckContext { CheckContext(limits: smallLimits, datapath: .int8, hostTaskCount: 0, arenaBytes: 0) }

  @Test("assembly text, encoding (opcode 27), decoding's reserved bytes and static checks")
  func textEncodingAndChecks() throws {
    var p = Self.parameters
    p.cellClip = 300
    p.coupledInputForget = true
    let l = LSTMCell(
      gates: VectorView(address: SRAMAddress(0), outerStrideBytes: 256, innerStrideBytes: 2), gateStrideBytes: 64,
      cell: VectorView(address: SRAMAddress(512), outerStrideBytes: 64, innerStrideBytes: 2),
      hidden: VectorView(address: SRAMAddress(640), outerStrideBytes: 32), outer: 2, inner: 32, parameters: p)
    let i = Instruction(.vector(.lstmCell(l)))
    let text =
      "vlstm size=2x32 gates=0x0/256/2 gate_stride=64 cell=0x200/64/2 hidden=0x280/32/1 cell_log2=-11 clip=300 h_mult=1317589540 h_shift=-7 h_zp=-3 cifg=1"
    #expect(i.assembly() == text)
    #expect(try Instruction(parsingAssembly: text) == i)
    let bytes = try i.encoded()
    #expect(bytes[0] == 27)
    #expect(try Instruction(decoding: bytes, at: 0) == i)
    var reserved = bytes
    reserved[60] = 1
    #expect(throws: ISAError.self) { try Instruction(decoding: reserved, at: 0) }
    var flag = bytes
    flag[49] = 2
    #expect(throws: ISAError.self) { try Instruction(decoding: flag, at: 0) }
    #expect(i.operation.staticProblems(context).isEmpty)
    // Reads: three gates under CIFG (no input gate), the cell state; writes: cell, hidden.
    let accesses = i.uncheckedMemoryAccesses(limits: smallLimits, datapath: .int8, hostTasks: [])
    #expect(accesses.filter { $0.kind == .read }.count == 4)
    #expect(accesses.filter { $0.kind == .write }.flatMap(\.ranges).contains(640..<704))

    var bad = l
    bad.hidden.address = SRAMAddress(4090)
    bad.parameters.cellScaleLog2 = -8
    bad.gateStrideBytes = 4000
    let problems = Operation.vector(.lstmCell(bad)).staticProblems(context)
    #expect(problems.contains { $0.contains("hidden view") }, "\(problems)")
    #expect(problems.contains { $0.contains("gate 3 view") }, "\(problems)")
    #expect(problems.contains { $0.contains("cell scale 2^-8") }, "\(problems)")
    var huge = l
    huge.outer = 60_000
    huge.inner = 60_000
    let extent = Operation.vector(.lstmCell(huge)).staticProblems(context)
    #expect(extent.contains { $0.contains("exceeds") }, "\(extent)")
  }
}

/// `activate mode=fixed16` / `fixed16_add`: int16 results without zero point or clamp, the add
/// mode saturating onto the int16 already there; text and encoding of the new modes.
@Suite("activate int16 modes")
struct ActivateInt16Tests {
  @Test("fixed16 saturates to int16; fixed16_add adds with one saturation")
  func int16Modes() throws {
    var m = try makeMachine()
    // Channel 0: multiplier 2^30, shift 0 (× ½), bias 10; channel 1: × 2^3 · ½ = ×4.
    let table = ActivationParameters.table([
      .fixedPoint(bias: 10, multiplier: 1 << 30, shift: 0), .fixedPoint(bias: 0, multiplier: 1 << 30, shift: 3),
    ])
    for (i, byte) in table.enumerated() { m.weightBuffer[i] = byte }
    let c = smallLimits.arrayColumns
    m.accumulator[0] = 90  // (90 + 10) / 2 = 50
    m.accumulator[1] = 10_000  // 40,000 → 32,767
    m.accumulator[c] = -70_000  // −34,995 → −32,768
    m.accumulator[c + 1] = -3  // −12
    func activate(_ mode: RequantMode) -> Activate {
      Activate(
        accRow: AccumulatorRow(0), height: 1, width: 2, columns: 2, paramAddress: 0, mode: mode, outputZeroPoint: 5,
        clamp: 0...1, destination: PixelDestination(address: SRAMAddress(64), pixelStrideBytes: 4, rowStrideBytes: 8))
    }
    func values() -> [Int16] {
      (0..<4).map { k in
        Int16(bitPattern: UInt16(m.unifiedBuffer[64 + 2 * k]) | UInt16(m.unifiedBuffer[65 + 2 * k]) << 8)
      }
    }
    try run(.activate(activate(.fixedPointInt16)), on: &m)
    #expect(values() == [50, 32767, -32768, -12])
    try run(.activate(activate(.fixedPointInt16Add)), on: &m)
    #expect(values() == [100, 32767, -32768, -24])
    let i = Instruction(.activate(activate(.fixedPointInt16Add)))
    #expect(i.assembly().contains("mode=fixed16_add"))
    #expect(try Instruction(parsingAssembly: i.assembly()) == i)
    #expect(try Instruction(decoding: i.encoded(), at: 0) == i)
    #expect(try i.encoded()[4] == 3)
    // The destination spans 2 bytes per channel: a pixel stride of 3 would overlap; one that
    // runs past the buffer is a static problem.
    var far = activate(.fixedPointInt16)
    far.destination.address = SRAMAddress(4090)
    let context = CheckContext(limits: smallLimits, datapath: .int8, hostTaskCount: 0, arenaBytes: 0)
    #expect(!Operation.activate(far).staticProblems(context).isEmpty)
  }
}
