import Support
import Testing

@testable import TileISA

/// The vectorized `matmul` and `activate` against their documented loop nests, written out
/// plainly (docs/isa.md), on shapes that do not fit the vector and register-tile widths.
@Suite("vectorized matmul and activate against the loop nests")
struct VectorizedKernelTests {
  static let limits = MemoryLimits(
    unifiedBuffer: ByteCount(16384), weightBuffer: ByteCount(16384), accumulatorRows: 160, arrayRows: 160,
    arrayColumns: 21)

  static func forced(_ workers: Int) -> ExecutionParallelism {
    ExecutionParallelism(workers: workers, minimumWorkPerWorker: 1)
  }

  /// The `matmul` loop nest: for each output pixel and column, `Σ (x − zp) · W[k][n]` over the
  /// in-image taps in wrapping `Int32`, added to or replacing the accumulator row.
  static func reference(_ m: Matmul, _ state: MachineState) -> [Int32] {
    var acc = state.accumulator
    let slot = state.weightSlots[m.weightSlot.rawValue]
    let f = m.input
    let w = m.window
    let columnsPerGroup = m.columns / m.groups
    let channelsPerGroup = f.channelCount / m.groups
    for p in 0..<w.outputPixels {
      let oh = p / w.outWidth
      let ow = p % w.outWidth
      for n in 0..<m.columns {
        let group = n / columnsPerGroup
        var sum: Int32 = 0
        for kh in 0..<w.kernelHeight {
          for kw in 0..<w.kernelWidth {
            let ih = oh * w.strideHeight - w.padTop + kh * w.dilationHeight
            let iw = ow * w.strideWidth - w.padLeft + kw * w.dilationWidth
            guard ih >= 0, ih < f.height, iw >= 0, iw < f.width else { continue }
            for c in group * channelsPerGroup..<(group + 1) * channelsPerGroup {
              let byte = f.address.byteOffset + (ih * f.width + iw) * f.pixelStrideBytes + f.channelOffset + c
              let x = Int32(Int8(bitPattern: state.unifiedBuffer[byte])) - Int32(m.inputZeroPoint)
              let k = (kh * w.kernelWidth + kw) * f.channelCount + c
              sum &+= x &* Int32(slot[k, n])
            }
          }
        }
        let index = (m.accRow.index + p) * state.limits.arrayColumns + n
        acc[index] = m.accumulate ? acc[index] &+ sum : sum
      }
    }
    return acc
  }

  @Test("matmul: K off the 8-lane width, N off the 4-column tile, odd pixel counts, padding, strides, dilations, slices")
  func matmulSweep() throws {
    var rng = SeededGenerator(seed: 606)
    var trials = 0
    while trials < 150 {
      let groups = [1, 1, 1, 2, 3].randomElement(using: &rng)!
      let channels = groups * [1, 2, 3, 5, 7, 8, 9, 13, 17].randomElement(using: &rng)!
      let columns = groups * Int.random(in: 1...(21 / groups), using: &rng)
      let window = Window(
        outHeight: .random(in: 1...9, using: &rng), outWidth: .random(in: 1...9, using: &rng),
        kernelHeight: .random(in: 1...3, using: &rng), kernelWidth: .random(in: 1...3, using: &rng),
        strideHeight: .random(in: 1...2, using: &rng), strideWidth: .random(in: 1...3, using: &rng),
        dilationHeight: .random(in: 1...2, using: &rng), dilationWidth: .random(in: 1...2, using: &rng),
        padTop: .random(in: -1...2, using: &rng), padLeft: .random(in: -1...2, using: &rng))
      let k = window.taps * channels
      let pixelStride = channels + Int.random(in: 0...3, using: &rng)
      let height = Int.random(in: 1...10, using: &rng)
      let width = Int.random(in: 1...10, using: &rng)
      let accRow = Int.random(in: 0...20, using: &rng)
      guard k <= Self.limits.arrayRows, k * columns <= Self.limits.weightBuffer.count,
        accRow + window.outputPixels <= Self.limits.accumulatorRows,
        height * width * pixelStride <= Self.limits.unifiedBuffer.count
      else { continue }
      trials += 1
      var state = try makeMachine(Self.limits, dram: 0)
      for i in 0..<state.unifiedBuffer.count {
        state.unifiedBuffer[i] = [0, 127, 128, 255, .random(in: 0...255, using: &rng)].randomElement(using: &rng)!
      }
      for i in 0..<k * columns {
        state.weightBuffer[i] = [127, 128, .random(in: 0...255, using: &rng)].randomElement(using: &rng)!
      }
      for i in 0..<state.accumulator.count { state.accumulator[i] = .random(in: .min ... .max, using: &rng) }
      let slot: WeightSlot = Bool.random(using: &rng) ? .first : .second
      // A taller tile than K uses only its first K rows.
      let rows = min(Self.limits.arrayRows, k + Int.random(in: 0...9, using: &rng))
      try run(.loadWeights(LoadWeights(slot: slot, wbAddress: 0, rows: rows, columns: columns)), on: &state)
      let matmul = Matmul(
        input: FeatureMap(
          address: 0, height: height, width: width, pixelStrideBytes: pixelStride,
          channelOffset: Int.random(in: 0...(pixelStride - channels), using: &rng), channelCount: channels),
        window: window, inputZeroPoint: [-128, 127, 0, .random(in: -128...127, using: &rng)].randomElement(using: &rng)!,
        weightSlot: slot, columns: columns, groups: groups, accRow: AccumulatorRow(accRow),
        accumulate: Bool.random(using: &rng))
      let want = Self.reference(matmul, state)
      for workers in [1, 2, 3, 7] {
        var s = state
        s.parallelism = workers == 1 ? .serial : Self.forced(workers)
        try run(.matmul(matmul), on: &s)
        #expect(s.accumulator == want, "\(workers) workers: \(matmul)")
      }
    }
  }

  @Test("matmul: long reductions cross the pixel blocks (K 1,000 → 126 vectors; 100 pixels)")
  func matmulBlocks() throws {
    let limits = MemoryLimits(
      unifiedBuffer: ByteCount(200_000), weightBuffer: ByteCount(65536), accumulatorRows: 128, arrayRows: 1000,
      arrayColumns: 9)
    var rng = SeededGenerator(seed: 7)
    var state = try makeMachine(limits, dram: 0)
    for i in 0..<state.unifiedBuffer.count { state.unifiedBuffer[i] = .random(in: 0...255, using: &rng) }
    for i in 0..<1000 * 9 { state.weightBuffer[i] = .random(in: 0...255, using: &rng) }
    try run(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: 1000, columns: 9)), on: &state)
    let (input, window) = gemmInput(address: 0, pixels: 100, channels: 1000)
    let matmul = Matmul(input: input, window: window, inputZeroPoint: -3, weightSlot: .first, columns: 9, accRow: 5)
    let want = Self.reference(matmul, state)
    for workers in [1, 2, 3] {
      var s = state
      s.parallelism = workers == 1 ? .serial : Self.forced(workers)
      try run(.matmul(matmul), on: &s)
      #expect(s.accumulator == want, "\(workers) workers")
    }
  }

  @Test("weight tiles: the padded column-major vectors hold the row-major values and zeros past K")
  func columnVectors() {
    var rng = SeededGenerator(seed: 3)
    for (rows, columns) in [(1, 1), (7, 3), (8, 5), (9, 4), (17, 1), (0, 3)] {
      let values = (0..<rows * columns).map { _ in Int8.random(in: -128...127, using: &rng) }
      let tile = WeightTile(rows: rows, columns: columns, values: values)
      #expect(tile.vectorsPerColumn == (rows + 7) / 8)
      #expect(tile.columnVectors.count == tile.vectorsPerColumn * columns)
      for n in 0..<columns {
        for k in 0..<tile.vectorsPerColumn * 8 {
          let lane = tile.columnVectors[n * tile.vectorsPerColumn + k / 8][k % 8]
          #expect(lane == (k < rows ? Int16(values[k * columns + n]) : 0), "\(rows)×\(columns) (\(k), \(n))")
        }
      }
    }
  }

  @Test("activate fixedPoint lanes equal MultiplyByQuantizedMultiplier + zero point + clamp, every shift")
  func activateExtremes() throws {
    var rng = SeededGenerator(seed: 88)
    let multipliers: [Int32] = [0, 1, 1 << 30, (1 << 30) + 1, .max, -1, -(1 << 30), .min]
    let accumulators: [Int32] = [.min, .min + 1, -(1 << 30), -65_536, -129, -1, 0, 1, 127, 65_535, 1 << 30, .max]
    for shift in -31...30 {
      let columns = Int.random(in: 1...21, using: &rng)
      var state = try makeMachine(Self.limits, dram: 0)
      var entries: [ActivationParameters] = []
      for _ in 0..<columns {
        let bias = [Int32.min, .max, 0, -1, .random(in: -5000...5000, using: &rng)].randomElement(using: &rng)!
        let s = Bool.random(using: &rng) ? shift : Int.random(in: -31...30, using: &rng)
        entries.append(.fixedPoint(bias: bias, multiplier: multipliers.randomElement(using: &rng)!, shift: Int32(s)))
      }
      for (i, byte) in ActivationParameters.table(entries).enumerated() { state.weightBuffer[i] = byte }
      for i in 0..<state.accumulator.count {
        state.accumulator[i] = (accumulators + [.random(in: .min ... .max, using: &rng)]).randomElement(using: &rng)!
      }
      let width = Int.random(in: 1...6, using: &rng)
      let activate = Activate(
        accRow: AccumulatorRow(Int.random(in: 0...20, using: &rng)), height: 2, width: width, columns: columns,
        paramAddress: 0, mode: .fixedPoint, outputZeroPoint: [-128, 127, 0].randomElement(using: &rng)!,
        clamp: [Int8(-128)...127, 0...127, -100...50].randomElement(using: &rng)!,
        destination: PixelDestination(address: 3, pixelStrideBytes: columns + 1, rowStrideBytes: width * (columns + 1) + 2))
      var want = state.unifiedBuffer
      for p in 0..<activate.pixels {
        for j in 0..<columns {
          guard case .fixedPoint(let bias, let m, let s) = entries[j] else { continue }
          let acc = state.accumulator[(activate.accRow.index + p) * Self.limits.arrayColumns + j]
          let scaled = FixedPoint.multiplyByQuantizedMultiplier(acc &+ bias, m, Int(s))
          let value = min(max(Int(scaled) + Int(activate.outputZeroPoint), Int(activate.clamp.lowerBound)), Int(activate.clamp.upperBound))
          let r = p / width
          let x = p % width
          want[3 + r * activate.destination.rowStrideBytes + x * activate.destination.pixelStrideBytes + j] =
            UInt8(bitPattern: Int8(value))
        }
      }
      for workers in [1, 2] {
        var s = state
        s.parallelism = workers == 1 ? .serial : Self.forced(workers)
        try run(.activate(activate), on: &s)
        #expect(s.unifiedBuffer == want, "shift \(shift), \(workers) workers: \(entries)")
      }
    }
  }

  /// ADD/SUB/MUL/REQUANTIZE element by element as docs/isa.md states them, each element read
  /// just before it is written (so overlapping views behave as the serial loop defines).
  static func referenceVector(_ v: VectorOperation, _ ub: [UInt8]) -> [UInt8] {
    var ub = ub
    func byte(_ view: VectorView, _ i: Int, _ j: Int) -> Int {
      view.address.byteOffset + i * view.outerStrideBytes + j * view.innerStrideBytes
    }
    func clamped(_ x: Int, _ r: ClosedRange<Int8>) -> UInt8 {
      UInt8(bitPattern: Int8(min(max(x, Int(r.lowerBound)), Int(r.upperBound))))
    }
    switch v {
    case .add(let o, let q), .sub(let o, let q):
      for i in 0..<o.outer {
        for j in 0..<o.inner {
          let a = Int32(Int8(bitPattern: ub[byte(o.a, i, j)]))
          let b = Int32(Int8(bitPattern: ub[byte(o.b, i, j)]))
          let f = Int32(1) << Int32(q.leftShift)
          let sa = FixedPoint.multiplyByQuantizedMultiplier((a - Int32(q.aZeroPoint)) * f, q.aMultiplier, q.aShift)
          let sb = FixedPoint.multiplyByQuantizedMultiplier((b - Int32(q.bZeroPoint)) * f, q.bMultiplier, q.bShift)
          let sum: Int32 = if case .sub = v { sa &- sb } else { sa &+ sb }
          let raw = FixedPoint.multiplyByQuantizedMultiplier(sum, q.outputMultiplier, q.outputShift)
          ub[byte(o.output, i, j)] = clamped(Int(raw) + Int(q.outputZeroPoint), q.clamp)
        }
      }
    case .mul(let o, let q):
      for i in 0..<o.outer {
        for j in 0..<o.inner {
          let a = Int32(Int8(bitPattern: ub[byte(o.a, i, j)])) - Int32(q.aZeroPoint)
          let b = Int32(Int8(bitPattern: ub[byte(o.b, i, j)])) - Int32(q.bZeroPoint)
          let raw = FixedPoint.multiplyByQuantizedMultiplier(a * b, q.outputMultiplier, q.outputShift)
          ub[byte(o.output, i, j)] = clamped(Int(raw) + Int(q.outputZeroPoint), q.clamp)
        }
      }
    case .requantize(let o, let q):
      for i in 0..<o.outer {
        for j in 0..<o.inner {
          let s = Int32(Int8(bitPattern: ub[byte(o.source, i, j)])) - Int32(q.inputZeroPoint)
          let raw = FixedPoint.multiplyByQuantizedMultiplier(s, q.multiplier, q.shift)
          ub[byte(o.output, i, j)] = clamped(Int(raw) + Int(q.outputZeroPoint), q.clamp)
        }
      }
    default:
      break
    }
    return ub
  }

  @Test("vector ADD/SUB/MUL/REQUANTIZE: four lanes equal the element loop, with disjoint, in-place, overlapping and broadcast views")
  func vectorSweep() throws {
    var rng = SeededGenerator(seed: 123)
    let multipliers: [Int32] = [1 << 30, .max, 1_518_500_250, (1 << 30) + 1, 0, .min]
    func multiplier() -> Int32 { multipliers.randomElement(using: &rng)! }
    func shift() -> Int { Int.random(in: -31...12, using: &rng) }
    func zeroPoint() -> Int8 { [-128, 127, 0, .random(in: -128...127, using: &rng)].randomElement(using: &rng)! }
    func clampRange() -> ClosedRange<Int8> { [Int8(-128)...127, 0...127, -7...7].randomElement(using: &rng)! }
    for trial in 0..<300 {
      let outer = Int.random(in: 1...5, using: &rng)
      let inner = Int.random(in: 1...13, using: &rng)
      func view(_ base: Int) -> VectorView {
        let innerStride = [1, 1, 2, 0].randomElement(using: &rng)!
        let outerStride = [inner * max(innerStride, 1), inner * max(innerStride, 1) + 3, 0].randomElement(using: &rng)!
        return VectorView(address: SRAMAddress(base), outerStrideBytes: outerStride, innerStrideBytes: innerStride)
      }
      let a = view(Int.random(in: 0...200, using: &rng))
      let b = view(Int.random(in: 0...200, using: &rng))
      // The output: its own bytes, one of the inputs (in place), or a shifted, overlapping copy.
      let output: VectorView
      switch Int.random(in: 0...3, using: &rng) {
      case 0: output = a
      case 1: output = VectorView(address: SRAMAddress(a.address.byteOffset + 1), outerStrideBytes: a.outerStrideBytes, innerStrideBytes: a.innerStrideBytes)
      default: output = view(Int.random(in: 400...600, using: &rng))
      }
      let binary = BinaryOperands(a: a, b: b, output: output, outer: outer, inner: inner)
      let unary = UnaryOperands(source: a, output: output, outer: outer, inner: inner)
      let add = AddParameters(
        aZeroPoint: zeroPoint(), bZeroPoint: zeroPoint(), outputZeroPoint: zeroPoint(),
        leftShift: [20, 20, 0, 23].randomElement(using: &rng)!, aMultiplier: multiplier(), aShift: shift(),
        bMultiplier: multiplier(), bShift: shift(), outputMultiplier: multiplier(), outputShift: shift(),
        clamp: clampRange())
      let op: VectorOperation
      switch trial % 4 {
      case 0: op = .add(binary, add)
      case 1: op = .sub(binary, add)
      case 2:
        op = .mul(
          binary,
          MulParameters(
            aZeroPoint: zeroPoint(), bZeroPoint: zeroPoint(), outputZeroPoint: zeroPoint(),
            outputMultiplier: multiplier(), outputShift: shift(), clamp: clampRange()))
      default:
        op = .requantize(
          unary,
          RequantizeParameters(
            inputZeroPoint: zeroPoint(), outputZeroPoint: zeroPoint(), multiplier: multiplier(), shift: shift(),
            clamp: clampRange()))
      }
      // A left shift of 23 can overflow the scalar loop's `(x − zp) · 2^23` (a trap): skip those.
      if case .add(_, let q) = op, q.leftShift == 23 { continue }
      if case .sub(_, let q) = op, q.leftShift == 23 { continue }
      var state = try makeMachine(Self.limits, dram: 0)
      for i in 0..<1024 { state.unifiedBuffer[i] = .random(in: 0...255, using: &rng) }
      let want = Self.referenceVector(op, state.unifiedBuffer)
      try run(.vector(op), on: &state)
      #expect(state.unifiedBuffer == want, "trial \(trial): \(op)")
    }
  }
}

