import Support
import Testing

@testable import TileISA

@Suite("vector unit semantics")
struct VectorTests {
  /// `outputMultiplier` 2^30 with shift −19 after the 2^20 pre-shift and two 0.5 input
  /// multipliers gives `out = round_half_away((a' ± b') / 2) + zp`, all other roundings exact.
  let halfSum = AddParameters(
    aZeroPoint: 2, bZeroPoint: -1, outputZeroPoint: 3, leftShift: 20, aMultiplier: 1 << 30, aShift: 0,
    bMultiplier: 1 << 30, bShift: 0, outputMultiplier: 1 << 30, outputShift: -19)

  func contiguous(_ address: Int, _ n: Int) -> VectorView { VectorView(address: SRAMAddress(address), outerStrideBytes: n) }

  @Test("ADD: offsets, pre-shift, per-input and output rescale, zero point, clamp")
  func add() throws {
    var m = try makeMachine()
    m.putUB([10, -7, 127, -128], at: 0)
    m.putUB([1, 0, 127, -128], at: 16)
    let o = BinaryOperands(a: contiguous(0, 4), b: contiguous(16, 4), output: contiguous(32, 4), outer: 1, inner: 4)
    try run(.vector(.add(o, halfSum)), on: &m)
    // a' = [8, −9, 125, −130], b' = [2, 1, 128, −127]; sums [10, −8, 253, −257] / 2 →
    // [5, −4, 126.5 → 127, −128.5 → −129] + 3 = [8, −1, 130 → 127, −126]
    #expect(m.ub(32, 4) == [8, -1, 127, -126])
  }

  @Test("SUB: the rescaled b subtracted from the rescaled a")
  func sub() throws {
    var m = try makeMachine()
    m.putUB([10, -7, 127, -128], at: 0)
    m.putUB([1, 0, 127, -128], at: 16)
    let o = BinaryOperands(a: contiguous(0, 4), b: contiguous(16, 4), output: contiguous(32, 4), outer: 1, inner: 4)
    try run(.vector(.sub(o, halfSum)), on: &m)
    // a' − b' = [6, −10, −3, −3] / 2 = [3, −5, −1.5 → −2, −2] + 3
    #expect(m.ub(32, 4) == [6, -2, 1, 1])
  }

  /// TFLite 2.21's SUB for one element: `MBQM(a') − MBQM(b')` with the positive multiplier.
  func subReference(_ a: Int8, _ b: Int8, _ q: AddParameters) -> Int8 {
    let factor = Int32(1) << Int32(q.leftShift)
    let (xa, xb) = ((Int32(a) - Int32(q.aZeroPoint)) * factor, (Int32(b) - Int32(q.bZeroPoint)) * factor)
    let sa = FixedPoint.multiplyByQuantizedMultiplier(xa, q.aMultiplier, q.aShift)
    let sb = FixedPoint.multiplyByQuantizedMultiplier(xb, q.bMultiplier, q.bShift)
    let raw = FixedPoint.multiplyByQuantizedMultiplier(sa &- sb, q.outputMultiplier, q.outputShift)
    return Int8(min(max(Int(raw) + Int(q.outputZeroPoint), Int(q.clamp.lowerBound)), Int(q.clamp.upperBound)))
  }

  @Test("SUB equals the element-wise reference formula on random operands and parameters")
  func subMatchesReference() throws {
    var rng = SeededGenerator(seed: 7)
    for _ in 0..<50 {
      var m = try makeMachine()
      let a = (0..<64).map { _ in Int8.random(in: .min ... .max, using: &rng) }
      let b = (0..<64).map { _ in Int8.random(in: .min ... .max, using: &rng) }
      m.putUB(a, at: 0)
      m.putUB(b, at: 64)
      let q = AddParameters(
        aZeroPoint: .random(in: -128...127, using: &rng), bZeroPoint: .random(in: -128...127, using: &rng),
        outputZeroPoint: .random(in: -128...127, using: &rng), aMultiplier: .random(in: 1 << 30...Int32.max, using: &rng),
        aShift: .random(in: -3...0, using: &rng), bMultiplier: .random(in: 1 << 30...Int32.max, using: &rng),
        bShift: .random(in: -3...0, using: &rng), outputMultiplier: .random(in: 1 << 30...Int32.max, using: &rng),
        outputShift: .random(in: -22 ... -17, using: &rng))
      let o = BinaryOperands(a: contiguous(0, 64), b: contiguous(64, 64), output: contiguous(128, 64), outer: 1, inner: 64)
      try run(.vector(.sub(o, q)), on: &m)
      #expect(m.ub(128, 64) == zip(a, b).map { subReference($0, $1, q) })
    }
  }

  @Test("SUB is not ADD with a negated b multiplier: they differ on the high multiply's ties")
  func subIsNotNegatedAdd() throws {
    // Scales 1.0 − (0.5 + 2^-21) → 1.0: b's multiplier 2^30 + 2^10 (shift −1) makes
    // b'·2^20·m + 2^30 a multiple of 2^31 for every odd b', a tie that rounds toward +∞ for
    // m and for −m alike, so the high multiply gives 1 − h for −m where it gives h for m.
    let q = AddParameters(
      aZeroPoint: 0, bZeroPoint: 0, outputZeroPoint: 0, leftShift: 20, aMultiplier: 1 << 30, aShift: 0,
      bMultiplier: (1 << 30) + (1 << 10), bShift: -1, outputMultiplier: 1 << 30, outputShift: -18)
    var negated = q
    negated.bMultiplier = 0 &- q.bMultiplier
    let x = Int32(1) << 20  // b' = 1
    #expect((Int64(x) * Int64(q.bMultiplier) + (1 << 30)) % (1 << 31) == 0, "an exact tie")
    let up = FixedPoint.saturatingRoundingDoublingHighMul(x, q.bMultiplier)
    #expect(FixedPoint.saturatingRoundingDoublingHighMul(x, negated.bMultiplier) == 1 &- up)

    // Every pair whose two readings give different outputs; vsub must give the subtracting one.
    var pairs: [(Int8, Int8)] = []
    for a in Int8.min...Int8.max {
      for b in Int8.min...Int8.max {
        let factor = Int32(1) << 20
        let sa = FixedPoint.multiplyByQuantizedMultiplier(Int32(a) * factor, q.aMultiplier, q.aShift)
        let sb = FixedPoint.multiplyByQuantizedMultiplier(Int32(b) * factor, negated.bMultiplier, q.bShift)
        let raw = FixedPoint.multiplyByQuantizedMultiplier(sa &+ sb, q.outputMultiplier, q.outputShift)
        let added = Int8(min(max(Int(raw), -128), 127))
        if added != subReference(a, b, q) { pairs.append((a, b)) }
      }
    }
    #expect(!pairs.isEmpty)
    let n = min(pairs.count, 256)
    var m = try makeMachine()
    m.putUB(pairs.prefix(n).map(\.0), at: 0)
    m.putUB(pairs.prefix(n).map(\.1), at: 256)
    let o = BinaryOperands(a: contiguous(0, n), b: contiguous(256, n), output: contiguous(512, n), outer: 1, inner: n)
    try run(.vector(.sub(o, q)), on: &m)
    let viaSub = m.ub(512, n)
    #expect(viaSub == pairs.prefix(n).map { subReference($0.0, $0.1, q) })
    try run(.vector(.add(o, negated)), on: &m)
    let viaAdd = m.ub(512, n)
    #expect(zip(viaSub, viaAdd).allSatisfy { $0 != $1 }, "every selected pair differs")
  }

  @Test("broadcast: an outer stride of 0 repeats one row; both strides 0 a scalar")
  func broadcast() throws {
    var m = try makeMachine()
    m.putUB([2, 4, 6, 8], at: 0)  // 2 × 2
    m.putUB([20, 40], at: 16)  // one row
    m.putUB([100], at: 24)  // a scalar
    let unit = AddParameters(
      aZeroPoint: 0, bZeroPoint: 0, outputZeroPoint: 0, leftShift: 20, aMultiplier: 1 << 30, aShift: 0,
      bMultiplier: 1 << 30, bShift: 0, outputMultiplier: 1 << 30, outputShift: -19)
    let row = BinaryOperands(
      a: contiguous(0, 2), b: VectorView(address: 16, outerStrideBytes: 0), output: contiguous(32, 2), outer: 2, inner: 2)
    try run(.vector(.add(row, unit)), on: &m)
    #expect(m.ub(32, 4) == [11, 22, 13, 24])  // (2+20)/2, (4+40)/2, (6+20)/2, (8+40)/2
    let scalar = BinaryOperands(
      a: contiguous(0, 2), b: VectorView(address: 24, outerStrideBytes: 0, innerStrideBytes: 0), output: contiguous(40, 2),
      outer: 2, inner: 2)
    try run(.vector(.add(scalar, unit)), on: &m)
    #expect(m.ub(40, 4) == [51, 52, 53, 54])
  }

  @Test("in place: an output aliasing an input element for element")
  func inPlace() throws {
    var m = try makeMachine()
    m.putUB([2, 4, 6], at: 0)
    m.putUB([2, 2, 2], at: 8)
    let o = BinaryOperands(a: contiguous(0, 3), b: contiguous(8, 3), output: contiguous(0, 3), outer: 1, inner: 3)
    try run(.vector(.add(o, halfSum)), on: &m)
    // a' = [0, 2, 4], b' = [3, 3, 3]: (3, 5, 7)/2 → 2 (1.5), 3 (2.5), 4 (3.5) + 3
    #expect(m.ub(0, 3) == [5, 6, 7])
  }

  @Test("MUL: product of offset inputs, rescaled with the general multiplier")
  func mul() throws {
    var m = try makeMachine()
    m.putUB([3, -3, 5, 127, -128], at: 0)
    m.putUB([1, 1, -3, 127, 2], at: 8)
    let q = MulParameters(aZeroPoint: 0, bZeroPoint: 0, outputZeroPoint: 0, outputMultiplier: 1 << 30, outputShift: 0)
    let o = BinaryOperands(a: contiguous(0, 5), b: contiguous(8, 5), output: contiguous(16, 5), outer: 1, inner: 5)
    try run(.vector(.mul(o, q)), on: &m)
    // products / 2, the high multiply's ties rounding upward: 1.5 → 2, −1.5 → −1, −7.5 → −7,
    // 16129/2 → 127 (clamped), −256/2 = −128
    #expect(m.ub(16, 5) == [2, -1, -7, 127, -128])
    let shifted = MulParameters(aZeroPoint: -128, bZeroPoint: 10, outputZeroPoint: -5, outputMultiplier: 1 << 30, outputShift: 2)
    try run(.vector(.mul(o, shifted)), on: &m)
    // (a+128)(b−10)·2: a=3: 131·(−9)·2 → −128 (clamped); a=−128: 0 → −5
    #expect(m.ub(16, 5)[0] == -128 && m.ub(16, 5)[4] == -5)
  }

  /// 3×3 two-channel image: channel 0 below, channel 1 its negation.
  func poolImage(_ m: inout MachineState) {
    let c0: [Int8] = [1, 5, -3, 2, -8, 0, 7, 4, 6]
    m.putUB(c0.flatMap { [$0, -$0] }, at: 0)
  }

  func pool(kernel: Int = 2, stride: Int = 2, pad: Int = 0, out: Int = 2, clamp: ClosedRange<Int8> = -128...127) -> Pool {
    Pool(
      input: FeatureMap(address: 0, height: 3, width: 3, pixelStrideBytes: 2, channelCount: 2),
      window: Window(
        outHeight: out, outWidth: out, kernelHeight: kernel, kernelWidth: kernel, strideHeight: stride, strideWidth: stride,
        padTop: pad, padLeft: pad),
      destination: PixelDestination(address: 0x100, pixelStrideBytes: 2, rowStrideBytes: 2 * out), clamp: clamp)
  }

  @Test("MAX_POOL: in-image taps only, then the clamp")
  func maxPool() throws {
    var m = try makeMachine()
    poolImage(&m)
    try run(.vector(.maxPool(pool())), on: &m)
    // (0,0): max(1,5,2,−8) = 5 / max(−1,−5,−2,8) = 8; (0,1): (−3,0) → 0 / 3; (1,0): (7,4) → 7 / −4; (1,1): 6 / −6
    #expect(m.ub(0x100, 8) == [5, 8, 0, 3, 7, -4, 6, -6])
    try run(.vector(.maxPool(pool(clamp: -5...5))), on: &m)
    #expect(m.ub(0x100, 8) == [5, 5, 0, 3, 5, -4, 5, -5])
  }

  @Test("AVERAGE_POOL: in-image taps only, round half away from zero")
  func avgPool() throws {
    var m = try makeMachine()
    poolImage(&m)
    try run(.vector(.avgPool(pool())), on: &m)
    // (0,0): 0/4 = 0 twice; (0,1): −3/2 → −2, 3/2 → 2; (1,0): 11/2 → 6, −11/2 → −6; (1,1): 6, −6
    #expect(m.ub(0x100, 8) == [0, 0, -2, 2, 6, -6, 6, -6])
    // 3×3 window, stride 1, pad 1 over the 3×3 image: the corner (0,0) averages 4 taps:
    // (1+5+2−8)/4 = 0; the centre all 9: (1+5−3+2−8+0+7+4+6)/9 = 14/9 = 1.56 → 2
    try run(.vector(.avgPool(pool(kernel: 3, stride: 1, pad: 1, out: 3))), on: &m)
    #expect(m.ub(0x100, 2) == [0, 0])
    #expect(m.ub(0x100 + 8, 2) == [2, -2])
  }

  @Test("an empty pooling window: max gives −128 (then the clamp), average is an error")
  func emptyWindow() throws {
    var m = try makeMachine()
    poolImage(&m)
    let far = pool(kernel: 1, stride: 1, pad: 5, out: 1)
    try run(.vector(.maxPool(far)), on: &m)
    #expect(m.ub(0x100, 2) == [-128, -128])
    #expect(
      throws: ISAError(
        .execution, "vavgpool", "output row 0 has no in-image tap (TFLite's AVERAGE_POOL_2D fails on an empty window)")
    ) {
      try run(.vector(.avgPool(far)), on: &m)
    }
  }

  @Test("REQUANTIZE: offset, rescale, new zero point, clamp")
  func requantize() throws {
    var m = try makeMachine()
    m.putUB([9, 8, 7, -128, 127], at: 0)
    let o = UnaryOperands(source: contiguous(0, 5), output: contiguous(8, 5), outer: 1, inner: 5)
    let half = RequantizeParameters(inputZeroPoint: 0, outputZeroPoint: 0, multiplier: 1 << 30, shift: 0)
    try run(.vector(.requantize(o, half)), on: &m)
    // 4.5 → 5, 4, 3.5 → 4, −64, 63.5 → 64
    #expect(m.ub(8, 5) == [5, 4, 4, -64, 64])
    let shift = RequantizeParameters(inputZeroPoint: 5, outputZeroPoint: -3, multiplier: 1 << 30, shift: 1)
    try run(.vector(.requantize(o, shift)), on: &m)
    #expect(m.ub(8, 5) == [1, 0, -1, -128, 119])
  }

  @Test("COPY through strides: a transpose")
  func copyTranspose() throws {
    var m = try makeMachine()
    m.putUB([1, 2, 3, 4, 5, 6], at: 0)  // 2 × 3 row-major
    let o = UnaryOperands(
      source: VectorView(address: 0, outerStrideBytes: 3), output: VectorView(address: 16, outerStrideBytes: 1, innerStrideBytes: 2),
      outer: 2, inner: 3)
    try run(.vector(.copy(o)), on: &m)
    #expect(m.ub(16, 6) == [1, 4, 2, 5, 3, 6])
  }
}

@Suite("DMA semantics")
struct DMATests {
  @Test("a 2-D strided load and store")
  func loadStore() throws {
    var m = try makeMachine()
    for i in 0..<64 { m.dram[0x200 + i] = UInt8(i) }
    // 3 rows of 4 bytes, every 16 bytes in DRAM, every 8 in the unified buffer
    let d = DMA2D(memory: .unifiedBuffer, sramAddress: 0x10, sramStrideBytes: 8, dramAddress: 0x200, dramStrideBytes: 16, rows: 3, rowBytes: 4)
    try run(.load(d), on: &m)
    #expect(Array(m.unifiedBuffer[0x10..<0x28]) == [0, 1, 2, 3, 0, 0, 0, 0, 16, 17, 18, 19, 0, 0, 0, 0, 32, 33, 34, 35, 0, 0, 0, 0])
    let back = DMA2D(memory: .unifiedBuffer, sramAddress: 0x10, sramStrideBytes: 8, dramAddress: 0x400, rows: 3, rowBytes: 4)
    try run(.store(back), on: &m)
    #expect(Array(m.dram[0x400..<0x40c]) == [0, 1, 2, 3, 16, 17, 18, 19, 32, 33, 34, 35])
  }

  @Test("the accumulator as little-endian int32 bytes: bias preload and int32 store")
  func accumulatorBytes() throws {
    var m = try makeMachine()
    let values: [Int32] = [1, -2, 0x1234_5678, .min]
    for (i, v) in values.enumerated() {
      for b in 0..<4 { m.dram[16 + 4 * i + b] = UInt8(truncatingIfNeeded: UInt32(bitPattern: v) >> (8 * UInt32(b))) }
    }
    // two rows of two values into accumulator rows 3 and 4 (row = 8 columns × 4 bytes)
    let rowBytes = smallLimits.arrayColumns * 4
    try run(.load(DMA2D(memory: .accumulator, sramAddress: SRAMAddress(3 * rowBytes), sramStrideBytes: rowBytes, dramAddress: 16, rows: 2, rowBytes: 8)), on: &m)
    #expect(m.accRow(3, 2) == [1, -2])
    #expect(m.accRow(4, 2) == [0x1234_5678, .min])
    try run(.store(DMA2D(memory: .accumulator, sramAddress: SRAMAddress(3 * rowBytes), sramStrideBytes: rowBytes, dramAddress: 0x100, rows: 2, rowBytes: 8)), on: &m)
    #expect(Array(m.dram[0x100..<0x110]) == Array(m.dram[16..<32]))
    #expect(m.bytes(of: .accumulator, 3 * rowBytes..<3 * rowBytes + 8) == Array(m.dram[16..<24]))
  }

  @Test("misaligned accumulator transfers and out-of-range DRAM are execution errors")
  func errors() throws {
    var m = try makeMachine()
    #expect(
      throws: ISAError(.execution, "load", "accumulator transfers need 4-byte alignment: SRAM address 0x2, stride 8, row bytes 8")
    ) {
      try run(.load(DMA2D(memory: .accumulator, sramAddress: 2, dramAddress: 0, rows: 1, rowBytes: 8)), on: &m)
    }
    #expect(throws: ISAError(.execution, "store", "DRAM range exceeds the DRAM size 0x1000")) {
      try run(.store(DMA2D(memory: .unifiedBuffer, sramAddress: 0, dramAddress: 0xff0, rows: 2, rowBytes: 16)), on: &m)
    }
  }

  @Test("a float32 machine moves bytes but does not compute")
  func float32() throws {
    var m = try MachineState(limits: smallLimits, datapath: .float32, dramSize: 4096)
    m.dram[0] = 42
    try run(.load(DMA2D(memory: .unifiedBuffer, sramAddress: 0, dramAddress: 0, rows: 1, rowBytes: 4)), on: &m)
    #expect(m.unifiedBuffer[0] == 42)
    #expect(throws: ISAError(.unsupported, "load_weights", "functional execution of a float32 program is not supported")) {
      try run(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: 1, columns: 1)), on: &m)
    }
  }
}
