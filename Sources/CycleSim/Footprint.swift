import Support
import TileISA

/// A half-open byte interval `lower ..< upper` of one memory; empty when `lower >= upper`.
struct Span: Equatable, Sendable {
  var lower: Int
  var upper: Int

  static let empty = Span(lower: 0, upper: 0)
  /// Every byte (used when an address computation would overflow).
  static let everything = Span(lower: Int.min, upper: Int.max)

  var isEmpty: Bool { lower >= upper }

  @inline(__always)
  func overlaps(_ other: Span) -> Bool {
    !isEmpty && !other.isEmpty && lower < other.upper && other.lower < upper
  }

  /// `start ..< start + (count − 1)·stride + length` for non-negative strides, or the whole
  /// memory if that overflows (a conservative bound never causes a wrong result, only a stall).
  static func strided(start: Int, count: Int, stride: Int, length: Int) -> Span {
    guard count >= 1, length >= 1 else { return .empty }
    let (steps, o1) = (count - 1).multipliedReportingOverflow(by: stride)
    let (last, o2) = start.addingReportingOverflow(steps)
    let (end, o3) = last.addingReportingOverflow(length)
    if o1 || o2 || o3 { return .everything }
    return Span(lower: min(start, last), upper: max(end, start + 1))
  }

  /// A 2-D grid: `count1` steps of `stride1`, each `count2` steps of `stride2`, each `length`
  /// bytes; bounded by its extreme corners.
  static func grid(start: Int, count1: Int, stride1: Int, count2: Int, stride2: Int, length: Int) -> Span {
    let outer = strided(start: start, count: count1, stride: stride1, length: 1)
    guard !outer.isEmpty, outer != .everything else { return outer }
    let first = strided(start: outer.lower, count: count2, stride: stride2, length: length)
    let last = strided(start: outer.upper - 1, count: count2, stride: stride2, length: length)
    if first == .everything || last == .everything { return .everything }
    return Span(lower: min(first.lower, last.lower), upper: max(first.upper, last.upper))
  }
}

/// The on-chip state a compute-queue instruction reads and writes, as one bounding interval per
/// operand and memory, for the hazard interlock between units of the compute queue.
///
/// Bounding intervals are conservative: two strided footprints that interleave without
/// touching count as overlapping, which can only delay an instruction, never reorder a real
/// dependency. Weight slots are a bit mask; a machine without weight double buffering treats
/// every `load_weights` as writing, and every `matmul` as reading, both slots.
struct Footprint: Equatable, Sendable {
  var ubRead1 = Span.empty
  var ubRead2 = Span.empty
  var ubWrite = Span.empty
  var accRead = Span.empty
  var accWrite = Span.empty
  /// Bit s set: reads weight slot s.
  var slotsRead: UInt8 = 0
  /// Bit s set: writes weight slot s.
  var slotsWritten: UInt8 = 0

  /// Touches nothing.
  init() {}

  /// Whether running `self` while `other` is in flight could break a dependency: a write of
  /// either meets a read or write of the other.
  func conflicts(with other: Footprint) -> Bool {
    if slotsWritten & (other.slotsRead | other.slotsWritten) != 0 || slotsRead & other.slotsWritten != 0 {
      return true
    }
    if ubWrite.overlaps(other.ubRead1) || ubWrite.overlaps(other.ubRead2) || ubWrite.overlaps(other.ubWrite) {
      return true
    }
    if other.ubWrite.overlaps(ubRead1) || other.ubWrite.overlaps(ubRead2) { return true }
    if accWrite.overlaps(other.accRead) || accWrite.overlaps(other.accWrite) || other.accWrite.overlaps(accRead) {
      return true
    }
    return false
  }

  /// The footprint of a compute-queue instruction (empty for the other queues, `host` and
  /// `finish`, which the engine treats as barriers).
  init(_ instruction: Instruction, elementBytes eb: Int, arrayColumns: Int, doubleBuffered: Bool) {
    let rowBytes = arrayColumns &* 4
    func accRows(_ first: AccumulatorRow, _ count: Int) -> Span {
      Span.strided(start: first.index, count: 1, stride: 0, length: count).scaled(by: rowBytes)
    }
    func featureMap(_ f: FeatureMap) -> Span {
      let (pixels, o) = f.height.multipliedReportingOverflow(by: f.width)
      if o { return .everything }
      let (offset, o2) = f.channelOffset.multipliedReportingOverflow(by: eb)
      let (length, o3) = f.channelCount.multipliedReportingOverflow(by: eb)
      let (start, o4) = f.address.byteOffset.addingReportingOverflow(offset)
      if o2 || o3 || o4 { return .everything }
      return Span.strided(start: start, count: pixels, stride: f.pixelStrideBytes, length: length)
    }
    func destination(_ d: PixelDestination, height: Int, width: Int, channels: Int) -> Span {
      let (length, o) = channels.multipliedReportingOverflow(by: eb)
      if o { return .everything }
      return Span.grid(
        start: d.address.byteOffset, count1: height, stride1: d.rowStrideBytes, count2: width,
        stride2: d.pixelStrideBytes, length: length)
    }
    func view(_ v: VectorView, outer: Int, inner: Int, elementBytes: Int? = nil) -> Span {
      Span.grid(
        start: v.address.byteOffset, count1: outer, stride1: v.outerStrideBytes, count2: inner,
        stride2: v.innerStrideBytes, length: elementBytes ?? eb)
    }
    let bothSlots: UInt8 = 0b11
    switch instruction.operation {
    case .loadWeights(let w):
      slotsWritten = doubleBuffered ? 1 << UInt8(w.slot.rawValue) : bothSlots
    case .matmul(let m):
      slotsRead = doubleBuffered ? 1 << UInt8(m.weightSlot.rawValue) : bothSlots
      ubRead1 = featureMap(m.input)
      let pixels = m.window.outHeight.multipliedReportingOverflow(by: m.window.outWidth)
      accWrite = pixels.overflow ? .everything : accRows(m.accRow, pixels.partialValue)
      if m.accumulate { accRead = accWrite }
    case .activate(let a):
      let pixels = a.height.multipliedReportingOverflow(by: a.width)
      accRead = pixels.overflow ? .everything : accRows(a.accRow, pixels.partialValue)
      ubWrite = destination(
        a.destination, height: a.height, width: a.width, channels: a.columns.multipliedSaturating(by: a.mode.outputElementBytes))
      // issue 14: lstm: the add mode reads the int16 it adds to.
      if a.mode == .fixedPointInt16Add { ubRead1 = ubWrite }
    case .vector(let v):
      switch v {
      // issue 14: vector binary/reduce
      case .binary(let o, _):
        ubRead1 = view(o.a, outer: o.outer, inner: o.inner)
        ubRead2 = view(o.b, outer: o.outer, inner: o.inner)
        ubWrite = view(o.output, outer: o.outer, inner: o.inner)
      case .reduce(let o, let f, _):
        ubRead1 = view(o.source, outer: o.outer, inner: o.inner)
        // issue 14: argmax — an index output is 4 or 8 bytes per element.
        ubWrite = view(o.output, outer: 1, inner: o.inner, elementBytes: f.indexBytes)
      case .add(let o, _), .sub(let o, _), .mul(let o, _):
        ubRead1 = view(o.a, outer: o.outer, inner: o.inner)
        ubRead2 = view(o.b, outer: o.outer, inner: o.inner)
        ubWrite = view(o.output, outer: o.outer, inner: o.inner)
      case .requantize(let o, _), .softmax(let o, _), .copy(let o), .l2Normalize(let o, _):
        ubRead1 = view(o.source, outer: o.outer, inner: o.inner)
        ubWrite = view(o.output, outer: o.outer, inner: o.inner)
      // issue 14: lstm: the gates (bounding span of the gate views), the int16 cell state read
      // and written, the hidden output; one write interval bounds both written operands.
      case .lstmCell(let l):
        let sb = LSTMCell.stateElementBytes
        let gates = l.gateViews.map {
          Span.grid(
            start: $0.address.byteOffset, count1: l.outer, stride1: $0.outerStrideBytes, count2: l.inner,
            stride2: $0.innerStrideBytes, length: sb)
        }
        ubRead1 = gates.dropFirst().reduce(gates[0]) { a, b in
          a == .everything || b == .everything ? .everything : Span(lower: min(a.lower, b.lower), upper: max(a.upper, b.upper))
        }
        let cell = Span.grid(
          start: l.cell.address.byteOffset, count1: l.outer, stride1: l.cell.outerStrideBytes, count2: l.inner,
          stride2: l.cell.innerStrideBytes, length: sb)
        let hidden = Span.grid(
          start: l.hidden.address.byteOffset, count1: l.outer, stride1: l.hidden.outerStrideBytes, count2: l.inner,
          stride2: l.hidden.innerStrideBytes, length: 1)
        ubRead2 = cell
        ubWrite =
          cell == .everything || hidden == .everything
          ? .everything : Span(lower: min(cell.lower, hidden.lower), upper: max(cell.upper, hidden.upper))
      case .mean(let o, _):
        ubRead1 = view(o.source, outer: o.outer, inner: o.inner)
        ubWrite = view(o.output, outer: 1, inner: o.inner)
      case .lookup(let o, _):
        // The table is in the weight buffer, which only the load queue writes (tokens order it,
        // as for activate's parameters).
        ubRead1 = view(o.source, outer: o.outer, inner: o.inner)
        ubWrite = view(o.output, outer: o.outer, inner: o.inner)
      case .maxPool(let p), .avgPool(let p):
        ubRead1 = featureMap(p.input)
        ubWrite = destination(
          p.destination, height: p.window.outHeight, width: p.window.outWidth, channels: p.input.channelCount)
      // issue 14: resize
      case .resize(let z):
        ubRead1 = featureMap(z.input)
        ubWrite = destination(z.destination, height: z.outputRows, width: z.outputWidth, channels: z.input.channelCount)
      }
    case .load, .store, .host, .nop, .finish:
      break
    }
  }
}

extension Span {
  /// The span of rows `lower ..< upper` in bytes, rows being `rowBytes` long.
  func scaled(by rowBytes: Int) -> Span {
    guard !isEmpty, self != .everything else { return self }
    let (l, o1) = lower.multipliedReportingOverflow(by: rowBytes)
    let (u, o2) = upper.multipliedReportingOverflow(by: rowBytes)
    return o1 || o2 ? .everything : Span(lower: l, upper: u)
  }
}
