import Dispatch

/// The int8 matrix product behind the golden model's CONV_2D, FULLY_CONNECTED and BATCH_MATMUL:
/// `C[i][j] = Σ_k X[i][k] · W[j][k]` in wrapping `Int32`, vectorized, cache-blocked and split
/// over threads.
///
/// Both operands are stored K-contiguous as `Int16` (`x − x_zp` lies in −255...255, a weight
/// `w − w_zp` too), each row zero-padded to a whole number of 8-lane vectors. A product of two
/// such lanes is `pmaddwd` on x86 (`SIMD8<Int16>` widened to `Int32`, multiplied, even and odd
/// lanes added): eight exact products summed pairwise into four `Int32` lanes, so a sum over K is
/// the wrapping `int32` sum TFLite's reference kernels compute, whatever the order (integer
/// addition modulo 2^32 commutes). That is also why the result does not depend on the number of
/// threads or on the blocking.
///
/// The loop nest: each part (a contiguous range of rows, or of columns when there are too few
/// rows to share) takes blocks of rows small enough for their packed operands to stay in the L2
/// cache (``blockBytes``), fills them through a ``Int8GEMMRows`` source (a copy, or the im2col
/// gather of a convolution), multiplies them by all its columns in 2×4 register tiles (eight
/// `SIMD4<Int32>` accumulators, reduced horizontally once per tile), and hands the block's
/// accumulators to a ``Int8GEMMSink`` (the requantizing epilogue), which writes only its own rows
/// and columns of the output.
enum Int8GEMM {
  /// Eight 16-bit lanes of K.
  typealias Lanes = SIMD8<Int16>

  /// Bytes of packed rows a block aims at (L2-resident with the accumulators and weights).
  static let blockBytes = 96 * 1024
  /// The most rows a block holds.
  static let maximumBlockRows = 64
  /// The least multiply-accumulates a thread is given (below it Dispatch's fork costs more).
  static let minimumWorkPerPart = 1 << 18

  /// Whether every int8 value plus `offset` fits an `Int16` lane (any zero point of a valid
  /// int8 tensor does; the reference cores take the others).
  static func offsetFits(_ offset: Int32) -> Bool { (-32_640...32_639).contains(offset) }

  /// Vectors of eight lanes that hold `depth` values.
  static func vectors(forDepth depth: Int) -> Int { (depth + 7) / 8 }

  /// `pmaddwd`: the eight products `a[l] · b[l]`, adjacent pairs summed into four lanes.
  @inline(__always)
  static func multiplyAdd(_ a: Lanes, _ b: Lanes) -> SIMD4<Int32> {
    let p = SIMD8<Int32>(truncatingIfNeeded: a) &* SIMD8<Int32>(truncatingIfNeeded: b)
    return p.evenHalf &+ p.oddHalf
  }

  @inline(__always)
  static func sum(_ v: SIMD4<Int32>) -> Int32 { (v[0] &+ v[1]) &+ (v[2] &+ v[3]) }

  /// `out[i · outStride + j] = Σ_v X[i][v] · W[j][v]` for `i < m`, `j < n`: rows `x[i · kVectors...]`,
  /// columns `w[j · kVectors...]`. Overwrites the outputs.
  static func multiply(
    _ x: UnsafePointer<Lanes>, rows m: Int, _ w: UnsafePointer<Lanes>, columns n: Int, kVectors kv: Int,
    into out: UnsafeMutablePointer<Int32>, stride outStride: Int
  ) {
    var j = 0
    while j + 4 <= n {
      let w0 = w + j * kv
      let w1 = w0 + kv
      let w2 = w1 + kv
      let w3 = w2 + kv
      var i = 0
      while i + 2 <= m {
        let x0 = x + i * kv
        let x1 = x0 + kv
        var a00 = SIMD4<Int32>()
        var a01 = SIMD4<Int32>()
        var a02 = SIMD4<Int32>()
        var a03 = SIMD4<Int32>()
        var a10 = SIMD4<Int32>()
        var a11 = SIMD4<Int32>()
        var a12 = SIMD4<Int32>()
        var a13 = SIMD4<Int32>()
        for v in 0..<kv {
          let p = x0[v]
          let q = x1[v]
          let u0 = w0[v]
          a00 &+= multiplyAdd(p, u0)
          a10 &+= multiplyAdd(q, u0)
          let u1 = w1[v]
          a01 &+= multiplyAdd(p, u1)
          a11 &+= multiplyAdd(q, u1)
          let u2 = w2[v]
          a02 &+= multiplyAdd(p, u2)
          a12 &+= multiplyAdd(q, u2)
          let u3 = w3[v]
          a03 &+= multiplyAdd(p, u3)
          a13 &+= multiplyAdd(q, u3)
        }
        let o0 = out + i * outStride + j
        let o1 = o0 + outStride
        o0[0] = sum(a00)
        o0[1] = sum(a01)
        o0[2] = sum(a02)
        o0[3] = sum(a03)
        o1[0] = sum(a10)
        o1[1] = sum(a11)
        o1[2] = sum(a12)
        o1[3] = sum(a13)
        i += 2
      }
      if i < m {
        let x0 = x + i * kv
        var a0 = SIMD4<Int32>()
        var a1 = SIMD4<Int32>()
        var a2 = SIMD4<Int32>()
        var a3 = SIMD4<Int32>()
        for v in 0..<kv {
          let p = x0[v]
          a0 &+= multiplyAdd(p, w0[v])
          a1 &+= multiplyAdd(p, w1[v])
          a2 &+= multiplyAdd(p, w2[v])
          a3 &+= multiplyAdd(p, w3[v])
        }
        let o = out + i * outStride + j
        o[0] = sum(a0)
        o[1] = sum(a1)
        o[2] = sum(a2)
        o[3] = sum(a3)
      }
      j += 4
    }
    while j < n {
      let w0 = w + j * kv
      var i = 0
      while i + 4 <= m {
        let x0 = x + i * kv
        let x1 = x0 + kv
        let x2 = x1 + kv
        let x3 = x2 + kv
        var a0 = SIMD4<Int32>()
        var a1 = SIMD4<Int32>()
        var a2 = SIMD4<Int32>()
        var a3 = SIMD4<Int32>()
        for v in 0..<kv {
          let u = w0[v]
          a0 &+= multiplyAdd(x0[v], u)
          a1 &+= multiplyAdd(x1[v], u)
          a2 &+= multiplyAdd(x2[v], u)
          a3 &+= multiplyAdd(x3[v], u)
        }
        out[i * outStride + j] = sum(a0)
        out[(i + 1) * outStride + j] = sum(a1)
        out[(i + 2) * outStride + j] = sum(a2)
        out[(i + 3) * outStride + j] = sum(a3)
        i += 4
      }
      while i < m {
        let x0 = x + i * kv
        var a = SIMD4<Int32>()
        for v in 0..<kv { a &+= multiplyAdd(x0[v], w0[v]) }
        out[i * outStride + j] = sum(a)
        i += 1
      }
      j += 1
    }
  }

  /// How `rows × columns` outputs are cut for `workers` threads: contiguous row ranges, or
  /// column ranges when the rows are too few to share; at most `workers` parts, each with at
  /// least `minimumWorkPerPart` multiply-accumulates.
  static func parts(
    rows m: Int, columns n: Int, depth: Int, workers: Int, minimumWorkPerPart: Int = Int8GEMM.minimumWorkPerPart
  ) -> [(rows: Range<Int>, columns: Range<Int>)] {
    let total = m.multipliedReportingOverflow(by: n).partialValue.multipliedReportingOverflow(by: max(depth, 1))
    let byWork = total.overflow ? Int.max : total.partialValue / max(minimumWorkPerPart, 1)
    let count = max(1, min(workers, byWork))
    if count == 1 || m == 0 || n == 0 { return [(0..<m, 0..<n)] }
    if m >= 8 * count || m >= n {
      // Row ranges on even boundaries (the 2-row tiles stay whole).
      let pairs = (m + 1) / 2
      let k = min(count, pairs)
      return (0..<k).map { p in (min(m, 2 * (pairs * p / k))..<min(m, 2 * (pairs * (p + 1) / k)), 0..<n) }
    }
    let quads = (n + 3) / 4
    let k = min(count, quads)
    return (0..<k).map { p in (0..<m, min(n, 4 * (quads * p / k))..<min(n, 4 * (quads * (p + 1) / k))) }
  }

  /// Computes `rows × columns` outputs over `kVectors` vectors of K and stores them through
  /// `sink`: rows come from `source`, column `j`'s weights are `weights[j · kVectors...]`.
  static func run<Source: Int8GEMMRows, Sink: Int8GEMMSink>(
    rows m: Int, columns n: Int, kVectors kv: Int, weights: UnsafePointer<Lanes>, source: Source, sink: Sink,
    workers: Int, minimumWorkPerPart: Int = Int8GEMM.minimumWorkPerPart
  ) {
    let cuts = parts(rows: m, columns: n, depth: kv * 8, workers: workers, minimumWorkPerPart: minimumWorkPerPart)
    let task = Int8GEMMTask(kVectors: kv, weights: weights, source: source, sink: sink)
    Parallel.forEach(cuts.count) { p in task.run(rows: cuts[p].rows, columns: cuts[p].columns) }
  }
}

/// Fills packed `Int16` rows of a matrix product (each `kVectors` vectors, zero-padded).
protocol Int8GEMMRows {
  /// Writes rows `rows` to `buffer`, row `rows.lowerBound + i` at `buffer[i · kVectors...]`.
  func fill(rows: Range<Int>, into buffer: UnsafeMutablePointer<Int16>)
}

/// Receives a block of accumulators of a matrix product.
protocol Int8GEMMSink {
  /// Takes outputs (`rows`, `columns`): output `(rows.lowerBound + i, columns.lowerBound + j)` is
  /// `accumulators[i · stride + j]`. Called concurrently for disjoint blocks.
  func store(rows: Range<Int>, columns: Range<Int>, _ accumulators: UnsafePointer<Int32>, stride: Int)
}

/// One part of an ``Int8GEMM/run(rows:columns:kVectors:weights:source:sink:workers:)``: its own
/// row buffer and accumulators, blocks of rows times all its columns.
private struct Int8GEMMTask<Source: Int8GEMMRows, Sink: Int8GEMMSink>: @unchecked Sendable {
  let kVectors: Int
  let weights: UnsafePointer<Int8GEMM.Lanes>
  let source: Source
  let sink: Sink

  func run(rows: Range<Int>, columns: Range<Int>) {
    guard !rows.isEmpty, !columns.isEmpty else { return }
    let kv = max(kVectors, 1)
    let blockRows = max(2, min(Int8GEMM.maximumBlockRows, Int8GEMM.blockBytes / (kv * 16)) & ~1)
    let n = columns.count
    let lanes = UnsafeMutablePointer<Int16>.allocate(capacity: blockRows * kv * 8)
    let accumulators = UnsafeMutablePointer<Int32>.allocate(capacity: blockRows * n)
    defer {
      lanes.deallocate()
      accumulators.deallocate()
    }
    var first = rows.lowerBound
    while first < rows.upperBound {
      let block = first..<min(rows.upperBound, first + blockRows)
      source.fill(rows: block, into: lanes)
      lanes.withMemoryRebound(to: Int8GEMM.Lanes.self, capacity: block.count * kv) { x in
        Int8GEMM.multiply(
          x, rows: block.count, weights + columns.lowerBound * kVectors, columns: n, kVectors: kVectors,
          into: accumulators, stride: n)
      }
      sink.store(rows: block, columns: columns, accumulators, stride: n)
      first = block.upperBound
    }
  }
}

/// `Int16` rows, K-contiguous and zero-padded to whole vectors: the weights of a matrix product
/// (one row per output column) or its left operand.
struct PackedRows: @unchecked Sendable {
  let rows: Int
  let kVectors: Int
  private let storage: UnsafeMutablePointer<Int16>
  private let owner: Deallocator

  /// Frees the storage with the last copy of the value.
  private final class Deallocator {
    let memory: UnsafeMutableRawPointer
    init(_ memory: UnsafeMutableRawPointer) { self.memory = memory }
    deinit { memory.deallocate() }
  }

  /// `rows` rows of `depth` values: `fillRow(r, lanes)` writes row `r`'s first `depth` lanes
  /// (the padding lanes after them are zero).
  init(rows: Int, depth: Int, _ fillRow: (_ row: Int, _ lanes: UnsafeMutablePointer<Int16>) -> Void) {
    self.rows = rows
    kVectors = Int8GEMM.vectors(forDepth: depth)
    let count = max(rows * kVectors * 8, 8)
    // Cache-line aligned, so every row's vectors are aligned too.
    let raw = UnsafeMutableRawPointer.allocate(byteCount: count * 2, alignment: 64)
    storage = raw.bindMemory(to: Int16.self, capacity: count)
    storage.initialize(repeating: 0, count: count)
    owner = Deallocator(raw)
    for r in 0..<rows { fillRow(r, storage + r * kVectors * 8) }
  }

  /// Rows of `depth` contiguous int8 values from `values[start(r)...]`, each plus `offset`.
  init(int8 values: UnsafeBufferPointer<Int8>, rows: Int, depth: Int, offset: Int16, start: (Int) -> Int) {
    self.init(rows: rows, depth: depth) { r, lanes in
      let source = values.baseAddress! + start(r)
      for k in 0..<depth { lanes[k] = Int16(source[k]) &+ offset }
    }
  }

  /// Runs `body` with the packed vectors (row `r` at `[r · kVectors]`).
  func withVectors<R>(_ body: (UnsafePointer<Int8GEMM.Lanes>) throws -> R) rethrows -> R {
    try withExtendedLifetime(owner) {
      try storage.withMemoryRebound(to: Int8GEMM.Lanes.self, capacity: max(rows * kVectors, 1)) { try body($0) }
    }
  }
}

extension PackedRows: Int8GEMMRows {
  func fill(rows range: Range<Int>, into buffer: UnsafeMutablePointer<Int16>) {
    withExtendedLifetime(owner) {
      buffer.update(from: storage + range.lowerBound * kVectors * 8, count: range.count * kVectors * 8)
    }
  }
}

/// Fork-join over `count` parts on Dispatch's threads (the calling thread takes one); a single
/// part runs on the calling thread.
enum Parallel {
  static func forEach(_ count: Int, _ body: (Int) -> Void) {
    if count <= 1 {
      if count == 1 { body(0) }
      return
    }
    withoutActuallyEscaping(body) { body in
      let box = UncheckedBody(body: body)
      DispatchQueue.concurrentPerform(iterations: count) { box.body($0) }
    }
  }

  /// The closure shared by the parts; each part touches only its own outputs.
  private struct UncheckedBody: @unchecked Sendable {
    let body: (Int) -> Void
  }
}
