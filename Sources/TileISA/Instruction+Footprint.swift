import Support
/// The bytes of one memory that an instruction reads or writes.
public struct MemoryAccess: Hashable, Sendable {
  /// Whether the bytes are read or written.
  public enum Kind: String, Hashable, Sendable {
    case read, write
  }

  /// The memory.
  public var space: MemorySpace
  /// Read or write.
  public var kind: Kind
  /// The byte ranges (the accumulator as its byte view: row r, column c at `(r·columns + c)·4`).
  /// Adjacent ranges are merged; the list is in access order, not necessarily sorted.
  public var ranges: [Range<Int>]

  /// Creates an access record.
  public init(space: MemorySpace, kind: Kind, ranges: [Range<Int>]) {
    self.space = space
    self.kind = kind
    self.ranges = ranges
  }

  /// Total bytes (counting repeated bytes once per occurrence).
  public var byteCount: Int { ranges.reduce(0) { $0 + $1.count } }
}

/// Builds a range list, merging a range into the previous one when they touch or overlap.
struct RangeList {
  var ranges: [Range<Int>] = []

  mutating func append(_ r: Range<Int>) {
    guard !r.isEmpty else { return }
    if let last = ranges.last, r.lowerBound >= last.lowerBound, r.lowerBound <= last.upperBound {
      ranges[ranges.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
    } else {
      ranges.append(r)
    }
  }
}

extension Instruction {
  /// The exact bytes the instruction reads and writes in `program`, reads first; nil when the
  /// instruction is invalid there (the verifier reports why).
  ///
  /// Weight-slot reads are not memory and do not appear. A `host` instruction reports its task's
  /// declared ranges. The cost is proportional to the number of ranges (one per pixel or row
  /// that is not contiguous with the previous one).
  public func memoryAccesses(in program: TileProgram) -> [MemoryAccess]? {
    let context = CheckContext(
      limits: program.limits, datapath: program.datapath, hostTaskCount: program.hostTasks.count,
      arenaBytes: Int(clamping: max(0, program.arenaSize.count)))
    guard operation.staticProblems(context).isEmpty else { return nil }
    switch operation {
    case .load(let d), .store(let d):
      let size = d.backing == .dram ? program.dramSize.count : program.arenaSize.count
      guard let span = Checked.span(start: d.dramAddress.byteOffset, count: d.rows, stride: d.dramStrideBytes, length: d.rowBytes),
        span.lowerBound >= 0, Int64(span.upperBound) <= size
      else { return nil }
    case .host(let index):
      let task = program.hostTasks[index.value]
      for r in task.reads + task.writes {
        guard r.start.byteOffset >= 0, r.byteCount >= 0, let end = Checked.add(r.start.byteOffset, r.byteCount),
          Int64(end) <= program.dramSize.count
        else { return nil }
      }
    default:
      break
    }
    return uncheckedMemoryAccesses(
      limits: program.limits, datapath: program.datapath, hostTasks: program.hostTasks,
      arenaBytes: Int(clamping: max(0, program.arenaSize.count)))
  }

  /// `memoryAccesses(in:)` without the validity checks: the caller has made them. A `matmul`
  /// whose input lies in the top `arenaBytes` of the unified buffer reads the arena (`.arena`,
  /// arena addresses from 0).
  func uncheckedMemoryAccesses(
    limits: MemoryLimits, datapath: TileProgram.Datapath, hostTasks: [HostTask], arenaBytes: Int = 0
  ) -> [MemoryAccess] {
    let eb = datapath.elementBytes
    switch operation {
    case .load(let d):
      return [
        MemoryAccess(
          space: d.backing.space, kind: .read, ranges: dmaRanges(start: d.dramAddress.byteOffset, stride: d.dramStrideBytes, d)),
        MemoryAccess(space: d.memory.space, kind: .write, ranges: dmaRanges(start: d.sramAddress.byteOffset, stride: d.sramStrideBytes, d)),
      ]
    case .store(let d):
      return [
        MemoryAccess(space: d.memory.space, kind: .read, ranges: dmaRanges(start: d.sramAddress.byteOffset, stride: d.sramStrideBytes, d)),
        MemoryAccess(
          space: d.backing.space, kind: .write, ranges: dmaRanges(start: d.dramAddress.byteOffset, stride: d.dramStrideBytes, d)),
      ]
    case .loadWeights(let w):
      var list = RangeList()
      let length = w.rowBytes(elementBytes: eb)
      for k in 0..<w.rows {
        let start = w.wbAddress.byteOffset + k * w.rowStrideBytes
        list.append(start..<start + length)
      }
      if let levels = w.levels, w.levelTableBytes > 0 {
        list.append(levels.address.byteOffset..<levels.address.byteOffset + w.levelTableBytes)
      }
      return [MemoryAccess(space: .weightBuffer, kind: .read, ranges: list.ranges)]
    case .matmul(let m):
      let rows = accumulatorRanges(m.accRow, count: m.window.outputPixels, columns: m.columns, limits: limits)
      let arenaBase = limits.capacityBytes(of: .unifiedBuffer) - arenaBytes
      var accesses: [MemoryAccess]
      if arenaBytes > 0 && m.input.address.byteOffset >= arenaBase {
        var f = m.input
        f.address = SRAMAddress(f.address.byteOffset - arenaBase)
        accesses = [MemoryAccess(space: .arena, kind: .read, ranges: featureMapReads(f, m.window, eb))]
      } else {
        accesses = [MemoryAccess(space: .unifiedBuffer, kind: .read, ranges: featureMapReads(m.input, m.window, eb))]
      }
      if m.accumulate { accesses.append(MemoryAccess(space: .accumulator, kind: .read, ranges: rows)) }
      accesses.append(MemoryAccess(space: .accumulator, kind: .write, ranges: rows))
      return accesses
    case .activate(let a):
      let params = a.paramAddress.byteOffset
      return [
        MemoryAccess(space: .accumulator, kind: .read, ranges: accumulatorRanges(a.accRow, count: a.pixels, columns: a.columns, limits: limits)),
        MemoryAccess(space: .weightBuffer, kind: .read, ranges: [params..<params + a.columns * ActivationParameters.entryBytes]),
        MemoryAccess(
          space: .unifiedBuffer, kind: .write,
          ranges: pixelRanges(
            a.destination, height: a.height, width: a.width, channels: a.columns.multipliedSaturating(by: a.mode.outputElementBytes), eb)),
      ] + (a.mode == .fixedPointInt16Add
        ? [
          MemoryAccess(
            space: .unifiedBuffer, kind: .read,
            ranges: pixelRanges(a.destination, height: a.height, width: a.width, channels: a.columns.multipliedSaturating(by: 2), eb))
        ] : [])
    case .vector(let v):
      switch v {
      // issue 14: vector binary/reduce
      case .binary(let o, let f):
        var accesses = [
          MemoryAccess(space: .unifiedBuffer, kind: .read, ranges: viewRanges(o.a, outer: o.outer, inner: o.inner, eb)),
          MemoryAccess(space: .unifiedBuffer, kind: .read, ranges: viewRanges(o.b, outer: o.outer, inner: o.inner, eb)),
          MemoryAccess(space: .unifiedBuffer, kind: .write, ranges: viewRanges(o.output, outer: o.outer, inner: o.inner, eb)),
        ]
        // issue 14: vops — SELECT's condition is a third read.
        if case .select(let c) = f {
          let ranges = viewRanges(c, outer: o.outer, inner: o.inner, eb)
          accesses.insert(MemoryAccess(space: .unifiedBuffer, kind: .read, ranges: ranges), at: 2)
        }
        return accesses
      case .reduce(let o, let f, _):
        // issue 14: argmax — an index output is 4 or 8 bytes per element.
        return [
          MemoryAccess(space: .unifiedBuffer, kind: .read, ranges: viewRanges(o.source, outer: o.outer, inner: o.inner, eb)),
          MemoryAccess(
            space: .unifiedBuffer, kind: .write, ranges: viewRanges(o.output, outer: 1, inner: o.inner, f.indexBytes ?? eb)),
        ]
      case .add(let o, _), .sub(let o, _), .mul(let o, _):
        return [
          MemoryAccess(space: .unifiedBuffer, kind: .read, ranges: viewRanges(o.a, outer: o.outer, inner: o.inner, eb)),
          MemoryAccess(space: .unifiedBuffer, kind: .read, ranges: viewRanges(o.b, outer: o.outer, inner: o.inner, eb)),
          MemoryAccess(space: .unifiedBuffer, kind: .write, ranges: viewRanges(o.output, outer: o.outer, inner: o.inner, eb)),
        ]
      case .requantize(let o, _), .softmax(let o, _), .copy(let o), .l2Normalize(let o, _):
        return [
          MemoryAccess(space: .unifiedBuffer, kind: .read, ranges: viewRanges(o.source, outer: o.outer, inner: o.inner, eb)),
          MemoryAccess(space: .unifiedBuffer, kind: .write, ranges: viewRanges(o.output, outer: o.outer, inner: o.inner, eb)),
        ]
      // issue 14: lstm
      case .lstmCell(let l):
        let sb = LSTMCell.stateElementBytes
        let cell = viewRanges(l.cell, outer: l.outer, inner: l.inner, sb)
        return l.gateViews.map {
          MemoryAccess(space: .unifiedBuffer, kind: .read, ranges: viewRanges($0, outer: l.outer, inner: l.inner, sb))
        } + [
          MemoryAccess(space: .unifiedBuffer, kind: .read, ranges: cell),
          MemoryAccess(space: .unifiedBuffer, kind: .write, ranges: cell),
          MemoryAccess(space: .unifiedBuffer, kind: .write, ranges: viewRanges(l.hidden, outer: l.outer, inner: l.inner, 1)),
        ]
      case .lookup(let o, let table):
        let t = table.byteOffset
        return [
          MemoryAccess(space: .unifiedBuffer, kind: .read, ranges: viewRanges(o.source, outer: o.outer, inner: o.inner, eb)),
          MemoryAccess(space: .weightBuffer, kind: .read, ranges: [t..<t + VectorOperation.lookupTableBytes]),
          MemoryAccess(space: .unifiedBuffer, kind: .write, ranges: viewRanges(o.output, outer: o.outer, inner: o.inner, eb)),
        ]
      case .mean(let o, _):
        return [
          MemoryAccess(space: .unifiedBuffer, kind: .read, ranges: viewRanges(o.source, outer: o.outer, inner: o.inner, eb)),
          MemoryAccess(space: .unifiedBuffer, kind: .write, ranges: viewRanges(o.output, outer: 1, inner: o.inner, eb)),
        ]
      // issue 14: resize
      case .resize(let z):
        return [
          MemoryAccess(
            space: .unifiedBuffer, kind: .read,
            ranges: featureMapReads(z.input, Window(outHeight: z.input.height, outWidth: z.input.width), eb)),
          MemoryAccess(
            space: .unifiedBuffer, kind: .write,
            ranges: pixelRanges(z.destination, height: z.outputRows, width: z.outputWidth, channels: z.input.channelCount, eb)),
        ]
      case .maxPool(let pool), .avgPool(let pool):
        return [
          MemoryAccess(space: .unifiedBuffer, kind: .read, ranges: featureMapReads(pool.input, pool.window, eb)),
          MemoryAccess(
            space: .unifiedBuffer, kind: .write,
            ranges: pixelRanges(
              pool.destination, height: pool.window.outHeight, width: pool.window.outWidth,
              channels: pool.input.channelCount, eb)),
        ]
      }
    case .host(let index):
      guard hostTasks.indices.contains(index.value) else { return [] }
      let task = hostTasks[index.value]
      // A range whose end overflows (the program checks report it) names no byte here.
      func span(_ r: DRAMRange) -> Range<Int>? {
        Checked.add(r.start.byteOffset, r.byteCount).flatMap { $0 >= r.start.byteOffset ? r.start.byteOffset..<$0 : nil }
      }
      return [
        MemoryAccess(space: .dram, kind: .read, ranges: task.reads.compactMap(span)),
        MemoryAccess(space: .dram, kind: .write, ranges: task.writes.compactMap(span)),
      ]
    case .nop, .finish:
      return []
    }
  }
}

private func dmaRanges(start: Int, stride: Int, _ d: DMA2D) -> [Range<Int>] {
  var list = RangeList()
  for r in 0..<d.rows {
    let s = start + r * stride
    list.append(s..<s + d.rowBytes)
  }
  return list.ranges
}

private func accumulatorRanges(_ row: AccumulatorRow, count: Int, columns: Int, limits: MemoryLimits) -> [Range<Int>] {
  var list = RangeList()
  let rowBytes = limits.arrayColumns * 4
  for p in 0..<count {
    let s = (row.index + p) * rowBytes
    list.append(s..<s + columns * 4)
  }
  return list.ranges
}

/// The input rows (or columns) any output pixel's window touches.
func touchedAxis(out: Int, stride: Int, pad: Int, kernel: Int, dilation: Int, size: Int) -> [Bool] {
  var touched = [Bool](repeating: false, count: size)
  for o in 0..<out {
    let origin = o * stride - pad
    for t in 0..<kernel {
      let i = origin + t * dilation
      if i >= 0 && i < size { touched[i] = true }
    }
  }
  return touched
}

private func featureMapReads(_ f: FeatureMap, _ w: Window, _ eb: Int) -> [Range<Int>] {
  let rows = touchedAxis(
    out: w.outHeight, stride: w.strideHeight, pad: w.padTop, kernel: w.kernelHeight, dilation: w.dilationHeight,
    size: f.height)
  let cols = touchedAxis(
    out: w.outWidth, stride: w.strideWidth, pad: w.padLeft, kernel: w.kernelWidth, dilation: w.dilationWidth,
    size: f.width)
  let touchedCols = cols.indices.filter { cols[$0] }
  var list = RangeList()
  let base = f.address.byteOffset + f.channelOffset * eb
  for ih in 0..<f.height where rows[ih] {
    for iw in touchedCols {
      let s = base + (ih * f.width + iw) * f.pixelStrideBytes
      list.append(s..<s + f.channelCount * eb)
    }
  }
  return list.ranges
}

private func pixelRanges(_ d: PixelDestination, height: Int, width: Int, channels: Int, _ eb: Int) -> [Range<Int>] {
  var list = RangeList()
  for r in 0..<height {
    for x in 0..<width {
      let s = d.address.byteOffset + r * d.rowStrideBytes + x * d.pixelStrideBytes
      list.append(s..<s + channels * eb)
    }
  }
  return list.ranges
}

private func viewRanges(_ v: VectorView, outer: Int, inner: Int, _ eb: Int) -> [Range<Int>] {
  var list = RangeList()
  for i in 0..<outer {
    let rowStart = v.address.byteOffset + i * v.outerStrideBytes
    if v.innerStrideBytes == eb {
      list.append(rowStart..<rowStart + inner * eb)
    } else if v.innerStrideBytes == 0 {
      list.append(rowStart..<rowStart + eb)
    } else {
      for j in 0..<inner {
        let s = rowStart + j * v.innerStrideBytes
        list.append(s..<s + eb)
      }
    }
  }
  return list.ranges
}
