import TileISA

/// The timing classes of instructions: each has one row in `TimingRule.table`.
public enum InstructionClass: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
  /// `load`: DRAM → unified buffer, weight buffer or accumulator.
  case load
  /// `store`: on-chip memory → DRAM.
  case store
  /// `load … arena=`: the activation arena → unified buffer, weight buffer or accumulator.
  case loadArena = "load_arena"
  /// `store … arena=`: on-chip memory → the activation arena.
  case storeArena = "store_arena"
  /// `load_weights`: weight buffer → a weight slot of the array.
  case loadWeights = "load_weights"
  /// `matmul` with `df=ws`.
  case matmulWS = "matmul_ws"
  /// `matmul` with `df=os`.
  case matmulOS = "matmul_os"
  /// `matmul` with `df=is`.
  case matmulIS = "matmul_is"
  /// `activate`: accumulators → requantized int8 in the unified buffer.
  case activate
  /// `vadd`, `vsub`, `vmul`.
  case vectorBinary = "vector_binary"
  /// `vrequant`, `vcopy`.
  case vectorUnary = "vector_unary"
  /// `vmaxpool`, `vavgpool`.
  case vectorPool = "vector_pool"
  /// `vsoftmax`.
  case vectorSoftmax = "vector_softmax"
  /// `vmean`.
  case vectorMean = "vector_mean"
  /// `vlut`.
  case vectorLookup = "vector_lookup"
  /// `host`: a host-fallback task.
  case host
  /// `nop` on any queue.
  case nop
  /// `finish`.
  case finish
  /// `load … host_link`: the host's memory → unified buffer across the host link.
  case loadHost = "load_host"
  /// `store … host_link`: unified buffer → the host's memory across the host link.
  case storeHost = "store_host"
  // issue 14: resize
  /// `vresize`.
  case vectorResize = "vector_resize"
  // issue 14: PRELU / L2_NORMALIZATION
  /// `vl2norm`.
  case vectorL2Norm = "vector_l2norm"
  // issue 14: lstm
  /// `vlstm`.
  case vectorLSTM = "vector_lstm"
  // issue 14: vops
  /// `vbinary fn=select` (three operands).
  case vectorSelect = "vector_select"

  /// The snake_case name used in tables and reports.
  public var description: String { rawValue }
}

/// Classes of DRAM traffic, from the DMA instruction's on-chip memory and direction (the ISA
/// carries no class tag): loads into the weight buffer are weights (and `activate` parameter
/// tables), loads into the unified buffer input activations, stores from the unified buffer
/// output activations, accumulator transfers either way partial sums; host tasks' reads and
/// writes are their own class.
enum DRAMClass: Sendable {
  case weights, inputActivations, outputActivations, partialSums, hostRead, hostWrite
}

/// What one instruction does, in numbers: the inputs of its timing rule and its contribution
/// to the counters. Computed in O(kernel size) from the instruction alone.
struct InstructionWork: Sendable, Equatable {
  var instructionClass: InstructionClass = .nop
  // DMA
  var dmaBytes: Int64 = 0
  var dmaMemory: OnChipMemory = .unifiedBuffer
  var dramClass: DRAMClass = .inputActivations
  /// Arena bytes read (arena loads) and written (arena stores).
  var arenaRead: Int64 = 0
  var arenaWrite: Int64 = 0
  // Array
  /// P: rows streamed (output pixels).
  var pixels: Int64 = 0
  /// K: reduction rows of the weight tile used.
  var reduction: Int64 = 0
  /// N: columns.
  var columns: Int64 = 0
  var macs: Int64 = 0
  var accumulatorAdds: Int64 = 0
  // Vector unit
  /// Output elements (activate, vector).
  var elements: Int64 = 0
  /// Element operations of the vector unit (pool: one per in-image tap).
  var vectorOps: Int64 = 0
  // Host
  var hostReadBytes: Int64 = 0
  var hostWriteBytes: Int64 = 0
  var hostOps: Int64 = 0
  // On-chip traffic in bytes.
  var ubRead: Int64 = 0
  var ubWrite: Int64 = 0
  var wbRead: Int64 = 0
  var wbWrite: Int64 = 0
  var accRead: Int64 = 0
  var accWrite: Int64 = 0
  /// Weights `load_weights` expands from packed (int4/int2) storage: K·N, or 0 for int8 tiles.
  var unpackedWeights: Int64 = 0

  /// The work of `instruction`, or a message saying why its fields make no sense.
  ///
  /// `elementBytes` is the program's datapath element width; `limits` its array shape;
  /// `hostTasks` its host-task table.
  static func of(
    _ instruction: Instruction, elementBytes eb: Int64, limits: MemoryLimits, hostTasks: [HostTask]
  ) -> Result<InstructionWork, WorkProblem> {
    var w = InstructionWork()
    var math = CheckedMath()
    let rows = Int64(limits.arrayRows)
    let cols = Int64(limits.arrayColumns)
    switch instruction.operation {
    case .load(let d), .store(let d):
      guard d.rows >= 1, d.rowBytes >= 1 else {
        return .failure(WorkProblem("rows (\(d.rows)) and row_bytes (\(d.rowBytes)) must be ≥ 1"))
      }
      if d.resident, case .load = instruction.operation {
        // Parameters resident across inferences were loaded when the model was (docs/isa.md
        // `resident`): a steady-state inference issues the load and moves nothing, like a nop.
        w.instructionClass = .nop
        return .success(w)
      }
      let bytes = math.mul(Int64(d.rows), Int64(d.rowBytes))
      w.dmaBytes = bytes
      w.dmaMemory = d.memory
      let arena = d.backing == .arena
      if case .load = instruction.operation {
        w.instructionClass = arena ? .loadArena : d.hostLink ? .loadHost : .load
        if arena { w.arenaRead = bytes }
        w.dramClass =
          switch d.memory {
          case .weightBuffer: .weights
          case .unifiedBuffer: .inputActivations
          case .accumulator: .partialSums
          }
        switch d.memory {
        case .unifiedBuffer: w.ubWrite = bytes
        case .weightBuffer: w.wbWrite = bytes
        case .accumulator: w.accWrite = bytes
        }
      } else {
        w.instructionClass = arena ? .storeArena : d.hostLink ? .storeHost : .store
        if arena { w.arenaWrite = bytes }
        w.dramClass =
          switch d.memory {
          case .weightBuffer: .weights
          case .unifiedBuffer: .outputActivations
          case .accumulator: .partialSums
          }
        switch d.memory {
        case .unifiedBuffer: w.ubRead = bytes
        case .weightBuffer: w.wbRead = bytes
        case .accumulator: w.accRead = bytes
        }
      }
    case .loadWeights(let l):
      guard l.rows >= 1, l.rows <= limits.arrayRows, l.columns >= 1, l.columns <= limits.arrayColumns else {
        return .failure(
          WorkProblem("a \(l.rows)×\(l.columns) tile does not fit the \(rows)×\(cols) array (each side must be ≥ 1)"))
      }
      guard !l.packing.isPacked || eb == 1 else {
        return .failure(WorkProblem("\(l.packing) weights need the int8 datapath"))
      }
      w.instructionClass = .loadWeights
      w.reduction = Int64(l.rows)
      w.columns = Int64(l.columns)
      if l.packing.isPacked {
        // Each row is ⌈N·bits / 8⌉ bytes in the weight buffer, plus a ternary-grouped tile's level
        // table; the loader expands K·N values.
        w.wbRead = math.add(
          math.mul(w.reduction, Int64(l.packing.rowBytes(columns: l.columns))), Int64(l.levelTableBytes))
        w.unpackedWeights = math.mul(w.reduction, w.columns)
      } else {
        w.wbRead = math.mul(math.mul(w.reduction, w.columns), eb)
      }
    case .matmul(let m):
      let win = m.window
      let f = m.input
      guard win.outHeight >= 1, win.outWidth >= 1, win.kernelHeight >= 1, win.kernelWidth >= 1,
        win.strideHeight >= 1, win.strideWidth >= 1, win.dilationHeight >= 1, win.dilationWidth >= 1,
        f.height >= 1, f.width >= 1, f.channelCount >= 1, m.columns >= 1, m.groups >= 1
      else {
        return .failure(WorkProblem("window, feature-map sizes, channels, columns and groups must all be ≥ 1"))
      }
      let k = math.mul(math.mul(Int64(win.kernelHeight), Int64(win.kernelWidth)), Int64(f.channelCount))
      guard k <= rows else { return .failure(WorkProblem("K = \(k) exceeds the array's \(rows) rows")) }
      guard m.columns <= limits.arrayColumns else {
        return .failure(WorkProblem("N = \(m.columns) exceeds the array's \(cols) columns"))
      }
      w.instructionClass =
        switch m.dataflow {
        case .weightStationary: .matmulWS
        case .outputStationary: .matmulOS
        case .inputStationary: .matmulIS
        }
      w.pixels = math.mul(Int64(win.outHeight), Int64(win.outWidth))
      w.reduction = k
      w.columns = Int64(m.columns)
      w.macs = math.mul(math.mul(w.pixels, k), w.columns) / Int64(m.groups)
      let taps = inImageTaps(win, height: f.height, width: f.width, math: &math)
      w.ubRead = math.mul(math.mul(taps, Int64(f.channelCount)), eb)
      let accBytes = math.mul(math.mul(w.pixels, w.columns), 4)
      w.accWrite = accBytes
      if m.accumulate {
        w.accRead = accBytes
        w.accumulatorAdds = math.mul(w.pixels, w.columns)
      }
    case .activate(let a):
      guard a.height >= 1, a.width >= 1, a.columns >= 1, a.columns <= limits.arrayColumns else {
        return .failure(WorkProblem("height, width and columns must be ≥ 1 and columns ≤ \(cols)"))
      }
      w.instructionClass = .activate
      w.pixels = math.mul(Int64(a.height), Int64(a.width))
      w.columns = Int64(a.columns)
      w.elements = math.mul(w.pixels, w.columns)
      w.vectorOps = w.elements
      w.accRead = math.mul(w.elements, 4)
      w.wbRead = math.mul(w.columns, Int64(ActivationParameters.entryBytes))
      w.ubWrite = math.mul(math.mul(w.elements, eb), Int64(a.mode.outputElementBytes))
      // issue 14: lstm: the add mode reads the int16 it adds to.
      if a.mode == .fixedPointInt16Add { w.ubRead = w.ubWrite }
    case .vector(let v):
      switch v {
      // issue 14: vector binary/reduce
      case .binary(let o, let f):
        // `vbinary` is timed as `vadd`: one lane operation per output element (the squared
        // difference's three rescales are as many as ADD's), two operand reads, one write.
        guard o.outer >= 1, o.inner >= 1 else { return .failure(WorkProblem("outer and inner must be ≥ 1")) }
        w.instructionClass = .vectorBinary
        w.elements = math.mul(Int64(o.outer), Int64(o.inner))
        w.vectorOps = w.elements
        w.ubRead = math.mul(math.mul(w.elements, 2), eb)
        w.ubWrite = math.mul(w.elements, eb)
        // issue 14: vops — SELECT reads its condition too: its own rule, `vector_select`.
        if case .select = f {
          w.instructionClass = .vectorSelect
          w.ubRead = math.mul(math.mul(w.elements, 3), eb)
        }
      case .reduce(let o, let f, _):
        // Timed as `vmean` (`vector_mean`): one compare per input element into its column's
        // running maximum, one result move per column; each element read once, one row written.
        // issue 14: argmax — the index is selected by the same compare (a second register
        // updated under its result), so the count is unchanged; the row written holds 4- or
        // 8-byte indices.
        guard o.outer >= 1, o.inner >= 1 else { return .failure(WorkProblem("outer and inner must be ≥ 1")) }
        w.instructionClass = .vectorMean
        w.elements = math.mul(Int64(o.outer), Int64(o.inner))
        // issue 14: prod — fn=prod costs 2 lane operations per element (a 64-bit multiply and
        // one rounding shift of the product), so V = 2E + N.
        w.vectorOps = math.add(f == .product ? math.mul(w.elements, 2) : w.elements, Int64(o.inner))
        w.ubRead = math.mul(w.elements, eb)
        w.ubWrite = math.mul(Int64(o.inner), f.indexBytes.map(Int64.init) ?? eb)
      case .add(let o, _), .sub(let o, _), .mul(let o, _):
        guard o.outer >= 1, o.inner >= 1 else { return .failure(WorkProblem("outer and inner must be ≥ 1")) }
        w.instructionClass = .vectorBinary
        w.elements = math.mul(Int64(o.outer), Int64(o.inner))
        w.vectorOps = w.elements
        w.ubRead = math.mul(math.mul(w.elements, 2), eb)
        w.ubWrite = math.mul(w.elements, eb)
      case .requantize(let o, _), .copy(let o):
        guard o.outer >= 1, o.inner >= 1 else { return .failure(WorkProblem("outer and inner must be ≥ 1")) }
        w.instructionClass = .vectorUnary
        w.elements = math.mul(Int64(o.outer), Int64(o.inner))
        w.vectorOps = w.elements
        w.ubRead = math.mul(w.elements, eb)
        w.ubWrite = math.mul(w.elements, eb)
      case .softmax(let o, _):
        // Three passes over each row (max; exp and sum; exp again, normalise and write), the
        // input re-read from the unified buffer in each: 3E operations, 3E reads, E writes.
        guard o.outer >= 1, o.inner >= 1 else { return .failure(WorkProblem("outer and inner must be ≥ 1")) }
        w.instructionClass = .vectorSoftmax
        w.elements = math.mul(Int64(o.outer), Int64(o.inner))
        w.vectorOps = math.mul(w.elements, 3)
        w.ubRead = math.mul(math.mul(w.elements, 3), eb)
        w.ubWrite = math.mul(w.elements, eb)
      // issue 14: PRELU / L2_NORMALIZATION
      case .l2Normalize(let o, _):
        // Two passes over each row (square and sum; scale and write), the input re-read from
        // the unified buffer in the second: 2E operations, 2E reads, E writes.
        guard o.outer >= 1, o.inner >= 1 else { return .failure(WorkProblem("outer and inner must be ≥ 1")) }
        w.instructionClass = .vectorL2Norm
        w.elements = math.mul(Int64(o.outer), Int64(o.inner))
        w.vectorOps = math.mul(w.elements, 2)
        w.ubRead = math.mul(math.mul(w.elements, 2), eb)
        w.ubWrite = math.mul(w.elements, eb)
      // issue 14: lstm
      case .lstmCell(let l):
        // Per cell: 8 lane operations (σ of three gates, tanh of the cell gate and of the new
        // cell state, each one lane operation of an int16 function unit; the two products of the
        // cell update; the hidden requantization), reads of the four int16 gates and the int16
        // cell state (10 B), writes of the cell state and the int8 hidden value (3 B).
        guard l.outer >= 1, l.inner >= 1 else { return .failure(WorkProblem("outer and inner must be ≥ 1")) }
        w.instructionClass = .vectorLSTM
        w.elements = math.mul(Int64(l.outer), Int64(l.inner))
        w.vectorOps = math.mul(w.elements, 8)
        w.ubRead = math.mul(w.elements, 10)
        w.ubWrite = math.mul(w.elements, 3)
      case .mean(let o, _):
        // One pass: an add per input element into its channel's sum, then one requantization
        // per channel; each input element read once, one output row written.
        guard o.outer >= 1, o.inner >= 1 else { return .failure(WorkProblem("outer and inner must be ≥ 1")) }
        w.instructionClass = .vectorMean
        w.elements = math.mul(Int64(o.outer), Int64(o.inner))
        w.vectorOps = math.add(w.elements, Int64(o.inner))
        w.ubRead = math.mul(w.elements, eb)
        w.ubWrite = math.mul(Int64(o.inner), eb)
      case .lookup(let o, _):
        // The 256-byte table is read once from the weight buffer into the lanes' copies, then
        // one lookup per element, each element read and written once.
        guard o.outer >= 1, o.inner >= 1 else { return .failure(WorkProblem("outer and inner must be ≥ 1")) }
        w.instructionClass = .vectorLookup
        w.elements = math.mul(Int64(o.outer), Int64(o.inner))
        w.vectorOps = w.elements
        w.wbRead = Int64(VectorOperation.lookupTableBytes)
        w.ubRead = math.mul(w.elements, eb)
        w.ubWrite = math.mul(w.elements, eb)
      case .maxPool(let p), .avgPool(let p):
        let win = p.window
        guard win.outHeight >= 1, win.outWidth >= 1, win.kernelHeight >= 1, win.kernelWidth >= 1,
          win.strideHeight >= 1, win.strideWidth >= 1, win.dilationHeight >= 1, win.dilationWidth >= 1,
          p.input.height >= 1, p.input.width >= 1, p.input.channelCount >= 1
        else {
          return .failure(WorkProblem("window, feature-map sizes and channels must all be ≥ 1"))
        }
        w.instructionClass = .vectorPool
        w.pixels = math.mul(Int64(win.outHeight), Int64(win.outWidth))
        let channels = Int64(p.input.channelCount)
        w.elements = math.mul(w.pixels, channels)
        let taps = math.mul(inImageTaps(win, height: p.input.height, width: p.input.width, math: &math), channels)
        w.vectorOps = taps
        w.ubRead = math.mul(taps, eb)
        w.ubWrite = math.mul(w.elements, eb)
      // issue 14: resize
      case .resize(let z):
        // Four taps per output element, each read from the UB and multiplied in, one write.
        guard z.outputRows >= 1, z.outputWidth >= 1, z.input.channelCount >= 1 else {
          return .failure(WorkProblem("output rows, width and channels must be ≥ 1"))
        }
        w.instructionClass = .vectorResize
        w.pixels = math.mul(Int64(z.outputRows), Int64(z.outputWidth))
        w.elements = math.mul(w.pixels, Int64(z.input.channelCount))
        w.vectorOps = math.mul(w.elements, 4)
        w.ubRead = math.mul(w.vectorOps, eb)
        w.ubWrite = math.mul(w.elements, eb)
      }
    case .host(let index):
      guard hostTasks.indices.contains(index.value) else {
        return .failure(WorkProblem("host task \(index.value) out of range (the program has \(hostTasks.count))"))
      }
      let task = hostTasks[index.value]
      w.instructionClass = .host
      for r in task.reads {
        guard r.byteCount >= 0 else { return .failure(WorkProblem("host task reads a negative byte count")) }
        w.hostReadBytes = math.add(w.hostReadBytes, Int64(r.byteCount))
      }
      for r in task.writes {
        guard r.byteCount >= 0 else { return .failure(WorkProblem("host task writes a negative byte count")) }
        w.hostWriteBytes = math.add(w.hostWriteBytes, Int64(r.byteCount))
      }
      guard task.operations >= 0 else { return .failure(WorkProblem("host task has a negative operation count")) }
      w.hostOps = Int64(task.operations)
    case .nop:
      w.instructionClass = .nop
    case .finish:
      w.instructionClass = .finish
    }
    if math.overflowed {
      return .failure(WorkProblem("sizes overflow 64-bit arithmetic"))
    }
    return .success(w)
  }
}

/// Why an instruction's fields make no sense for timing.
struct WorkProblem: Error, Equatable {
  var message: String
  init(_ message: String) { self.message = message }
}

/// Overflow-checked Int64 arithmetic that remembers whether anything overflowed (the result is
/// then meaningless and the caller reports the instruction).
struct CheckedMath {
  private(set) var overflowed = false

  mutating func mul(_ a: Int64, _ b: Int64) -> Int64 {
    let (r, o) = a.multipliedReportingOverflow(by: b)
    if o { overflowed = true }
    return o ? 0 : r
  }

  mutating func add(_ a: Int64, _ b: Int64) -> Int64 {
    let (r, o) = a.addingReportingOverflow(b)
    if o { overflowed = true }
    return o ? 0 : r
  }
}

/// Taps of a sliding window that fall inside the image, summed over all output pixels:
/// `Σ_oh (kh inside) × Σ_ow (kw inside)` (the two axes are independent). This is how many
/// input pixels the im2col address generator or the pooling unit reads.
func inImageTaps(_ w: Window, height: Int, width: Int, math: inout CheckedMath) -> Int64 {
  let rows = axisTaps(
    out: w.outHeight, stride: w.strideHeight, pad: w.padTop, kernel: w.kernelHeight, dilation: w.dilationHeight,
    size: height)
  let cols = axisTaps(
    out: w.outWidth, stride: w.strideWidth, pad: w.padLeft, kernel: w.kernelWidth, dilation: w.dilationWidth,
    size: width)
  return math.mul(rows, cols)
}

/// The number of (output index o, tap t) pairs with `0 ≤ o·stride − pad + t·dilation < size`,
/// for `o < out`, `t < kernel`: for each tap, the outputs whose input lies inside form one
/// contiguous range. O(kernel).
func axisTaps(out: Int, stride: Int, pad: Int, kernel: Int, dilation: Int, size: Int) -> Int64 {
  let out = Int64(out), s = Int64(stride), pad = Int64(pad), d = Int64(dilation), size = Int64(size)
  var total: Int64 = 0
  for t in 0..<Int64(kernel) {
    // o·s ≥ pad − t·d  and  o·s ≤ size − 1 + pad − t·d
    let (offset, o1) = t.multipliedReportingOverflow(by: d)
    guard !o1 else { break }
    // Wrapping arithmetic: absurd paddings give a meaningless count, never a trap.
    let low = floorDiv(pad &- offset &+ s &- 1, s)  // ⌈(pad − t·d) / s⌉
    let high = floorDiv(size &- 1 &+ pad &- offset, s)
    let first = max(low, 0)
    let last = min(high, out - 1)
    if last >= first { total &+= last - first + 1 }
  }
  return total
}

/// `⌊a / b⌋` for `b > 0`.
@inline(__always)
func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
  let q = a / b
  return (a % b != 0 && a < 0) ? q - 1 : q
}
