import Foundation
import Support
import Testing

@testable import TileISA

/// The functional executor split across workers computes exactly what the serial loop computes.
///
/// Every parallel run here forces the split with a threshold of one multiply-accumulate per
/// worker, so even the smallest instruction is cut into as many ranges as it has pixels.
@Suite("parallel functional execution")
struct ParallelExecutionTests {
  static let forcedWorkerCounts = [2, 3, 4, 7]

  static func forced(_ workers: Int) -> ExecutionParallelism {
    ExecutionParallelism(workers: workers, minimumWorkPerWorker: 1)
  }

  /// A machine large enough for a few hundred output pixels and a 32 × 24 tile.
  static let limits = MemoryLimits(
    unifiedBuffer: ByteCount(16384), weightBuffer: ByteCount(4096), accumulatorRows: 512, arrayRows: 32, arrayColumns: 24)

  // MARK: The policy

  @Test("parts: serial stays 1; small work stays 1; otherwise at most workers, items and work / threshold")
  func partsPolicy() {
    #expect(ExecutionParallelism.serial.parts(items: 1000, workPerItem: 1 << 20) == 1)
    let two = ExecutionParallelism(workers: 2, minimumWorkPerWorker: 100)
    #expect(two.parts(items: 1, workPerItem: 1 << 20) == 1)
    #expect(two.parts(items: 10, workPerItem: 19) == 1)  // 190 MACs: one range of ≥ 100 only
    #expect(two.parts(items: 10, workPerItem: 20) == 2)
    #expect(two.parts(items: Int.max, workPerItem: Int.max) == 2)  // overflow saturates
    let eight = ExecutionParallelism(workers: 8, minimumWorkPerWorker: 100)
    #expect(eight.parts(items: 5, workPerItem: 1000) == 5)  // never more ranges than items
    #expect(eight.parts(items: 100, workPerItem: 3) == 3)  // 300 MACs: three ranges of ≥ 100
    #expect(ExecutionParallelism(workers: 0).workers == 1)
    #expect(ExecutionParallelism(workers: 4, minimumWorkPerWorker: 0).minimumWorkPerWorker == 1)
    #expect(ExecutionParallelism.automatic.workers == ProcessInfo.processInfo.activeProcessorCount)
  }

  @Test("forEachRange covers every item exactly once, in contiguous ranges", arguments: [1, 2, 3, 5, 16, 17, 100])
  func rangesCoverItems(items: Int) {
    for workers in [1, 2, 3, 8] {
      let parallelism = Self.forced(workers)
      let collected = RangeCollector()
      parallelism.forEachRange(items: items, workPerItem: 1, kernel: collected)
      let ranges = collected.ranges.sorted { $0.lowerBound < $1.lowerBound }
      #expect(ranges.count == min(workers, items))
      #expect(ranges.first?.lowerBound == 0)
      #expect(ranges.last?.upperBound == items)
      #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
      #expect(ranges.allSatisfy { !$0.isEmpty })
    }
  }

  // MARK: The worker pool

  @Test(
    "thousands of back-to-back forks, 97 ranges, forks after the pool's threads went to sleep, and forks from several threads at once",
    .timeLimit(.minutes(1)))
  func poolUnderLoad() throws {
    let items = 97
    let buffer = UnsafeMutableBufferPointer<Int>.allocate(capacity: items)
    defer { buffer.deallocate() }
    // Back to back: the pool's threads stay awake.
    var failures = 0
    for salt in 1...3000 where !Self.stampAndCheck(salt, workers: 1 + salt % 4, into: buffer) { failures += 1 }
    #expect(failures == 0)
    // More ranges than the pool takes (64): Dispatch runs them.
    #expect(Self.stampAndCheck(11, workers: 97, into: buffer))
    // Pauses longer than the spin window: the threads sleep and must be woken.
    for salt in 1...5 {
      Thread.sleep(forTimeInterval: 0.002)
      #expect(Self.stampAndCheck(salt, workers: 2, into: buffer))
    }
    // Several callers at once: one gets the pool, the others fall back to Dispatch.
    let callers = 4
    let buffers = Buffers(count: callers, items: items)
    defer { buffers.deallocate() }
    let concurrentFailures = Counter()
    DispatchQueue.concurrentPerform(iterations: callers) { caller in
      for salt in 1...300 where !Self.stampAndCheck(salt * 7 + caller, workers: 3, into: buffers.list[caller]) {
        concurrentFailures.increment()
      }
    }
    #expect(concurrentFailures.value == 0)
  }

  /// Forks a `StampKernel` over the buffer with `workers` forced ranges; whether every item
  /// holds its stamp afterwards.
  @Sendable static func stampAndCheck(_ salt: Int, workers: Int, into buffer: UnsafeMutableBufferPointer<Int>) -> Bool {
    buffer.initialize(repeating: -1)
    forced(workers).forEachRange(items: buffer.count, workPerItem: 1, kernel: StampKernel(buffer: buffer, salt: salt))
    return buffer.indices.allSatisfy { buffer[$0] == $0 &* salt }
  }

  // MARK: matmul

  @Test("16-bit products are exact at the extremes: (−128 − 127) · −128 and (127 + 128) · −128")
  func extremeOperands() throws {
    for (x, zeroPoint, weight) in [(Int8(-128), Int8(127), Int8(-128)), (127, -128, -128), (127, -128, 127), (-128, 127, 127)] {
      let channels = 32
      var serial = try makeMachine(Self.limits, dram: 0)
      serial.putUB(Array(repeating: x, count: channels * 4), at: 0)
      try serial.loadTile(Array(repeating: Array(repeating: weight, count: 24), count: channels))
      var parallel = serial
      serial.parallelism = .serial
      parallel.parallelism = Self.forced(3)
      let (input, window) = gemmInput(address: 0, pixels: 4, channels: channels)
      let matmul = Operation.matmul(
        Matmul(input: input, window: window, inputZeroPoint: zeroPoint, weightSlot: .first, columns: 24, accRow: 0))
      try run(matmul, on: &serial)
      try run(matmul, on: &parallel)
      let want = Int32(channels) * (Int32(x) - Int32(zeroPoint)) * Int32(weight)
      #expect(serial.accRow(3, 24) == Array(repeating: want, count: 24))
      #expect(parallel.accumulator == serial.accumulator)
    }
  }

  @Test("random matmuls (convolutions, groups, depthwise, accumulate): parallel = serial, accumulator bit for bit")
  func randomMatmuls() throws {
    var rng = SeededGenerator(seed: 42)
    for _ in 0..<120 {
      var serial = try makeMachine(Self.limits, dram: 0)
      for i in 0..<serial.unifiedBuffer.count { serial.unifiedBuffer[i] = .random(in: 0...255, using: &rng) }
      for i in 0..<serial.weightBuffer.count { serial.weightBuffer[i] = .random(in: 0...255, using: &rng) }
      for i in 0..<serial.accumulator.count { serial.accumulator[i] = .random(in: .min ... .max, using: &rng) }
      let matmul = try Self.randomMatmul(&rng, machine: &serial)
      var parallel = serial
      serial.parallelism = .serial
      try run(.matmul(matmul), on: &serial)
      for workers in Self.forcedWorkerCounts {
        var p = parallel
        p.parallelism = Self.forced(workers)
        try run(.matmul(matmul), on: &p)
        #expect(p.accumulator == serial.accumulator, "\(workers) workers: \(matmul)")
      }
      parallel.parallelism = .serial
      try run(.matmul(matmul), on: &parallel)
      #expect(parallel.accumulator == serial.accumulator, "serial runs are repeatable")
    }
  }

  @Test(
    "long GEMM reductions, dense and half zero operands (both inner loops): equal to a plain Int32 sum, serial and parallel",
    arguments: [0, 50, 90])
  func longReductions(zeroPercent: Int) throws {
    let limits = MemoryLimits(
      unifiedBuffer: ByteCount(65536), weightBuffer: ByteCount(65536), accumulatorRows: 64, arrayRows: 256, arrayColumns: 40)
    var rng = SeededGenerator(seed: UInt64(100 + zeroPercent))
    for _ in 0..<6 {
      let k = Int.random(in: 96...256, using: &rng)
      let n = Int.random(in: 1...40, using: &rng)
      let pixels = Int.random(in: 1...48, using: &rng)
      let zeroPoint = Int8.random(in: -128...127, using: &rng)
      let x: [Int8] = (0..<pixels * k).map { _ in
        Int.random(in: 0..<100, using: &rng) < zeroPercent ? zeroPoint : .random(in: -128...127, using: &rng)
      }
      let w: [[Int8]] = (0..<k).map { _ in (0..<n).map { _ in .random(in: -128...127, using: &rng) } }
      var serial = try makeMachine(limits, dram: 0)
      serial.putUB(x, at: 0)
      try serial.loadTile(w)
      var parallel = serial
      serial.parallelism = .serial
      parallel.parallelism = Self.forced(3)
      let (input, window) = gemmInput(address: 0, pixels: pixels, channels: k)
      let matmul = Operation.matmul(
        Matmul(input: input, window: window, inputZeroPoint: zeroPoint, weightSlot: .first, columns: n, accRow: 2))
      try run(matmul, on: &serial)
      try run(matmul, on: &parallel)
      for p in 0..<pixels {
        var want = [Int32](repeating: 0, count: n)
        for j in 0..<n {
          for kk in 0..<k {
            let operand = Int32(x[p * k + kk]) - Int32(zeroPoint)
            want[j] += operand * Int32(w[kk][j])
          }
        }
        #expect(serial.accRow(2 + p, n) == want, "k \(k), n \(n), pixel \(p)")
      }
      #expect(parallel.accumulator == serial.accumulator)
    }
  }

  /// A verified-valid matmul with its weights loaded into a slot of `machine`.
  static func randomMatmul(_ rng: inout SeededGenerator, machine: inout MachineState) throws -> Matmul {
    while true {
      let depthwise = Bool.random(using: &rng)
      let groups = depthwise ? Int.random(in: 1...8, using: &rng) : [1, 1, 2, 3].randomElement(using: &rng)!
      let channels = depthwise ? groups : groups * Int.random(in: 1...4, using: &rng)
      let columns = depthwise ? groups : groups * Int.random(in: 1...(24 / groups), using: &rng)
      let height = Int.random(in: 1...14, using: &rng)
      let width = Int.random(in: 1...14, using: &rng)
      let pixelStride = channels + Int.random(in: 0...3, using: &rng)
      let channelOffset = Int.random(in: 0...(pixelStride - channels), using: &rng)
      let window = Window(
        outHeight: .random(in: 1...16, using: &rng), outWidth: .random(in: 1...16, using: &rng),
        kernelHeight: .random(in: 1...3, using: &rng), kernelWidth: .random(in: 1...3, using: &rng),
        strideHeight: .random(in: 1...2, using: &rng), strideWidth: .random(in: 1...2, using: &rng),
        dilationHeight: .random(in: 1...2, using: &rng), dilationWidth: .random(in: 1...2, using: &rng),
        padTop: .random(in: -1...2, using: &rng), padLeft: .random(in: -1...2, using: &rng))
      let k = window.taps * channels
      let accRow = Int.random(in: 0...40, using: &rng)
      guard k <= limits.arrayRows, accRow + window.outputPixels <= limits.accumulatorRows,
        height * width * pixelStride <= limits.unifiedBuffer.count
      else { continue }
      let slot: WeightSlot = Bool.random(using: &rng) ? .first : .second
      try run(.loadWeights(LoadWeights(slot: slot, wbAddress: 0, rows: k, columns: columns)), on: &machine)
      return Matmul(
        input: FeatureMap(
          address: 0, height: height, width: width, pixelStrideBytes: pixelStride, channelOffset: channelOffset,
          channelCount: channels),
        window: window, inputZeroPoint: .random(in: -128...127, using: &rng), weightSlot: slot, columns: columns,
        groups: groups, accRow: AccumulatorRow(accRow), accumulate: Bool.random(using: &rng))
    }
  }

  // MARK: activate

  @Test("random activates with disjoint destinations: parallel = serial, unified buffer bit for bit")
  func randomActivates() throws {
    var rng = SeededGenerator(seed: 7)
    for trial in 0..<80 {
      let overlapping = trial % 4 == 3
      var serial = try makeMachine(Self.limits, dram: 0)
      for i in 0..<serial.accumulator.count { serial.accumulator[i] = .random(in: -1_000_000...1_000_000, using: &rng) }
      let activate = Self.randomActivate(&rng, machine: &serial, overlapping: overlapping)
      #expect(ActivateKernel.destinationsAreDisjoint(activate) == !overlapping, "\(activate)")
      var parallel = serial
      serial.parallelism = .serial
      try run(.activate(activate), on: &serial)
      for workers in Self.forcedWorkerCounts {
        var p = parallel
        p.parallelism = Self.forced(workers)
        try run(.activate(activate), on: &p)
        #expect(p.unifiedBuffer == serial.unifiedBuffer, "\(workers) workers: \(activate)")
      }
      parallel.parallelism = .serial
      try run(.activate(activate), on: &parallel)
      #expect(parallel.unifiedBuffer == serial.unifiedBuffer)
    }
  }

  /// An activate reading random accumulators through a random parameter table; `overlapping`
  /// makes neighbouring pixels' destination bytes overlap (the executor must then stay serial).
  static func randomActivate(_ rng: inout SeededGenerator, machine: inout MachineState, overlapping: Bool) -> Activate {
    let columns = Int.random(in: 2...24, using: &rng)
    let height = Int.random(in: 1...12, using: &rng)
    let width = Int.random(in: 2...12, using: &rng)
    let mode: RequantMode = Bool.random(using: &rng) ? .fixedPoint : .floatScale
    let entries: [ActivationParameters] = (0..<columns).map { _ in
      let bias = Int32.random(in: -20_000...20_000, using: &rng)
      switch mode {
      case .fixedPoint, .fixedPointInt16, .fixedPointInt16Add:  // issue 14: lstm (never drawn)
        let q = FixedPoint.quantizeMultiplier(Double.random(in: 0.00002...0.5, using: &rng))
        return .fixedPoint(bias: bias, multiplier: q.multiplier, shift: Int32(q.shift))
      case .floatScale:
        return .floatScale(bias: bias, scale: Double.random(in: 0.00002...0.5, using: &rng))
      }
    }
    for (i, byte) in ActivationParameters.table(entries).enumerated() { machine.weightBuffer[i] = byte }
    let pixelStride = overlapping ? Int.random(in: 1..<columns, using: &rng) : columns + Int.random(in: 0...3, using: &rng)
    let rowStride = (width - 1) * pixelStride + columns + Int.random(in: 0...5, using: &rng)
    return Activate(
      accRow: AccumulatorRow(Int.random(in: 0...100, using: &rng)), height: height, width: width, columns: columns,
      paramAddress: 0, mode: mode, outputZeroPoint: .random(in: -128...127, using: &rng),
      clamp: [Int8(-128)...127, 0...127, -100...50].randomElement(using: &rng)!,
      destination: PixelDestination(address: SRAMAddress(Int.random(in: 0...64, using: &rng)), pixelStrideBytes: pixelStride, rowStrideBytes: rowStride))
  }

  // MARK: whole programs

  @Test("random convolution programs: the outputs on 1, 2, 3 and 7 workers equal the reference convolution")
  func programsAgreeAcrossWorkerCounts() throws {
    var rng = SeededGenerator(seed: 19)
    for trial in 0..<30 {
      let c = ConvCase.random(&rng, depthwise: trial % 2 == 1)
      let program = c.program()
      let input = [c.input.map { UInt8(bitPattern: $0) }]
      let want = c.reference().map { UInt8(bitPattern: $0) }
      #expect(try program.run(inputs: input, host: NoHostExecutor(), parallelism: .serial) == [want])
      for workers in [2, 3, 7] {
        #expect(try program.run(inputs: input, host: NoHostExecutor(), parallelism: Self.forced(workers)) == [want])
      }
    }
  }
}

/// Writes `index · salt` into every item of its range.
private struct StampKernel: RangeKernel, @unchecked Sendable {
  let buffer: UnsafeMutableBufferPointer<Int>
  let salt: Int
  func run(range: Range<Int>) {
    for i in range { buffer[i] = i &* salt }
  }
}

/// One buffer per concurrent caller.
private final class Buffers: @unchecked Sendable {
  let list: [UnsafeMutableBufferPointer<Int>]
  init(count: Int, items: Int) { list = (0..<count).map { _ in .allocate(capacity: items) } }
  func deallocate() { list.forEach { $0.deallocate() } }
}

/// A count incremented from several threads.
private final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var count = 0
  func increment() {
    lock.lock()
    count += 1
    lock.unlock()
  }
  var value: Int {
    lock.lock()
    defer { lock.unlock() }
    return count
  }
}

/// Ranges reported from concurrent workers, behind a lock.
private final class RangeCollector: RangeKernel, @unchecked Sendable {
  private let lock = NSLock()
  private var collected: [Range<Int>] = []

  func run(range: Range<Int>) {
    lock.lock()
    collected.append(range)
    lock.unlock()
  }

  var ranges: [Range<Int>] {
    lock.lock()
    defer { lock.unlock() }
    return collected
  }
}
