import Support

/// What a program-independent check of one instruction needs to know.
struct CheckContext {
  /// The program's limits; `limits.unifiedBuffer` is the whole unified buffer, arena included.
  var limits: MemoryLimits
  var datapath: TileProgram.Datapath
  /// Host tasks in the program (or in the machine state).
  var hostTaskCount: Int
  /// Bytes of the activation arena at the top of the unified buffer (`TileProgram.arenaSize`).
  var arenaBytes: Int = 0

  /// The limits the instructions' on-chip fields are checked against: the unified buffer is
  /// its working region below the arena.
  var workingLimits: MemoryLimits {
    var l = limits
    l.unifiedBuffer = ByteCount(max(0, l.unifiedBuffer.count - Int64(max(0, arenaBytes))))
    return l
  }
}

/// Overflow-checked arithmetic for address computations on untrusted fields.
enum Checked {
  static func mul(_ a: Int, _ b: Int) -> Int? {
    let (r, o) = a.multipliedReportingOverflow(by: b)
    return o ? nil : r
  }
  static func add(_ a: Int, _ b: Int) -> Int? {
    let (r, o) = a.addingReportingOverflow(b)
    return o ? nil : r
  }
  /// `start ..< start + (count − 1)·stride + length`, or nil on overflow or when that end lies
  /// before `start` (a negative stride or length).
  static func span(start: Int, count: Int, stride: Int, length: Int) -> Range<Int>? {
    guard let steps = mul(count - 1, stride), let last = add(start, steps), let end = add(last, length), end >= start
    else {
      return nil
    }
    return start..<end
  }
}

/// Collects problem messages for one instruction.
struct ProblemList {
  var messages: [String] = []
  /// The arena's bytes, named in unified-buffer overflow messages (their capacity is then the
  /// working region below the arena).
  var arenaBytes = 0

  mutating func add(_ message: String) { messages.append(message) }

  /// `name must be ≥ 1, got v`; returns whether it held.
  @discardableResult
  mutating func positive(_ value: Int, _ name: String) -> Bool {
    if value >= 1 { return true }
    add("\(name) must be ≥ 1, got \(value)")
    return false
  }

  /// `name must be ≥ 0, got v`; returns whether it held.
  @discardableResult
  mutating func nonNegative(_ value: Int, _ name: String) -> Bool {
    if value >= 0 { return true }
    add("\(name) must be ≥ 0, got \(value)")
    return false
  }

  /// Checks that `range` (nil: overflowed) lies in `0..<capacity` of `space`.
  mutating func inside(_ range: Range<Int>?, _ space: MemorySpace, capacity: Int, what: String) {
    guard let range else {
      add("\(what) address arithmetic overflows")
      return
    }
    if range.lowerBound < 0 || range.upperBound > capacity {
      if space == .unifiedBuffer && arenaBytes > 0 {
        add(
          "\(what) \(hex(range.lowerBound))..<\(hex(range.upperBound)) exceeds the unified buffer's \(hex(capacity)) working bytes below the \(hex(arenaBytes))-byte arena"
        )
      } else {
        add("\(what) \(hex(range.lowerBound))..<\(hex(range.upperBound)) exceeds the \(space)'s \(hex(capacity)) bytes")
      }
    }
  }

  /// Checks a shift exponent is one `MultiplyByQuantizedMultiplier` accepts.
  mutating func shift(_ value: Int, _ name: String) {
    if !(-31...30).contains(value) { add("\(name) = \(value) out of -31...30") }
  }
}

extension Operation {
  /// Problems visible from the instruction alone (field ranges, capacities, array shape),
  /// as one-line messages. Empty for an instruction that can execute.
  func staticProblems(_ context: CheckContext) -> [String] {
    var p = ProblemList()
    p.arenaBytes = context.arenaBytes
    let limits = context.workingLimits
    let eb = context.datapath.elementBytes
    switch self {
    case .load(let dma), .store(let dma):
      checkDMA(dma, limits: limits, into: &p)
    case .loadWeights(let w):
      let ok = p.positive(w.rows, "rows") && p.positive(w.columns, "columns")
        && p.nonNegative(w.rowStrideBytes, "row stride") && p.nonNegative(w.wbAddress.byteOffset, "weight-buffer address")
      if w.rows > limits.arrayRows { p.add("K = \(w.rows) exceeds the array's \(limits.arrayRows) rows") }
      if w.columns > limits.arrayColumns {
        p.add("N = \(w.columns) exceeds the array's \(limits.arrayColumns) columns")
      }
      if w.packing.isPacked && context.datapath != .int8 {
        p.add("\(w.packing) weights need the int8 datapath; this program is \(context.datapath)")
      }
      if ok {
        let rowBytes =
          w.packing.isPacked
          ? Checked.mul(w.columns, w.packing.bits).flatMap { Checked.add($0, 7) }.map { $0 / 8 }
          : Checked.mul(w.columns, eb)
        p.inside(
          rowBytes.flatMap {
            Checked.span(start: w.wbAddress.byteOffset, count: w.rows, stride: w.rowStrideBytes, length: $0)
          },
          .weightBuffer, capacity: limits.capacityBytes(of: .weightBuffer), what: "weight tile")
      }
      switch (w.packing.hasLevels, w.levels) {
      case (true, nil): p.add("\(w.packing) weights need a level table (levels=, group=)")
      case (false, .some): p.add("a level table belongs to ternary-grouped weights; this tile is \(w.packing)")
      case (true, .some(let levels)):
        if p.positive(levels.group, "group") && p.nonNegative(levels.phase, "phase")
          && p.nonNegative(levels.address.byteOffset, "level-table address")
        {
          if levels.phase >= levels.group {
            p.add("phase \(levels.phase) must be below group \(levels.group)")
          } else if ok {
            p.inside(
              levels.tableBytes(rows: w.rows, columns: w.columns).flatMap {
                Checked.span(start: levels.address.byteOffset, count: 1, stride: 0, length: $0)
              },
              .weightBuffer, capacity: limits.capacityBytes(of: .weightBuffer), what: "level table")
          }
        }
      case (false, nil): break
      }
    case .matmul(let m):
      // The input may lie in the working region or wholly in the activation arena above it
      // (a layer reading its input where the previous layer left it, docs/isa.md §1).
      let working = limits.capacityBytes(of: .unifiedBuffer)
      let inArena = context.arenaBytes > 0 && m.input.address.byteOffset >= working
      let capacity = inArena ? context.limits.capacityBytes(of: .unifiedBuffer) : working
      let inputOK = checkFeatureMap(m.input, elementBytes: eb, capacity: capacity, into: &p)
      let windowOK = checkWindow(m.window, into: &p)
      let nOK = p.positive(m.columns, "N") && p.positive(m.groups, "groups")
      p.nonNegative(m.accRow.index, "accumulator row")
      if inputOK && windowOK {
        let k = Checked.mul(m.window.taps, m.input.channelCount) ?? Int.max
        if k > limits.arrayRows {
          p.add(
            "K = \(k) (\(m.window.kernelHeight)×\(m.window.kernelWidth) kernel × \(m.input.channelCount) channels) exceeds the array's \(limits.arrayRows) rows"
          )
        }
      }
      if nOK {
        if m.columns > limits.arrayColumns {
          p.add("N = \(m.columns) exceeds the array's \(limits.arrayColumns) columns")
        }
        if inputOK && (m.input.channelCount % m.groups != 0 || m.columns % m.groups != 0) {
          p.add("groups = \(m.groups) must divide both the channel count \(m.input.channelCount) and N = \(m.columns)")
        }
      }
      if windowOK { checkAccumulatorRows(m.accRow, m.window.outputPixels, limits: limits, into: &p) }
    case .activate(let a):
      let shapeOK = p.positive(a.height, "height") && p.positive(a.width, "width") && p.positive(a.columns, "columns")
      p.nonNegative(a.accRow.index, "accumulator row")
      p.nonNegative(a.paramAddress.byteOffset, "parameter address")
      if a.columns > limits.arrayColumns {
        p.add("columns = \(a.columns) exceeds the array's \(limits.arrayColumns) columns")
      }
      if shapeOK {
        checkAccumulatorRows(a.accRow, Checked.mul(a.height, a.width) ?? Int.max, limits: limits, into: &p)
        p.inside(
          Checked.mul(a.columns, ActivationParameters.entryBytes).flatMap {
            Checked.span(start: a.paramAddress.byteOffset, count: 1, stride: 0, length: $0)
          }, .weightBuffer, capacity: limits.capacityBytes(of: .weightBuffer), what: "parameter table")
        checkDestination(
          a.destination, height: a.height, width: a.width, channels: a.columns.multipliedSaturating(by: a.mode.outputElementBytes), elementBytes: eb,
          capacity: limits.capacityBytes(of: .unifiedBuffer), into: &p)
      }
    case .vector(let v):
      checkVector(v, elementBytes: eb, capacity: limits.capacityBytes(of: .unifiedBuffer), into: &p)
      if case .lookup(_, let table) = v {
        p.inside(
          Checked.span(start: table.byteOffset, count: 1, stride: 0, length: VectorOperation.lookupTableBytes),
          .weightBuffer, capacity: limits.capacityBytes(of: .weightBuffer), what: "vlut table")
      }
    case .host(let index):
      if index.value < 0 || index.value >= context.hostTaskCount {
        p.add("host task \(index.value) out of range (the program has \(context.hostTaskCount))")
      }
    case .nop, .finish:
      break
    }
    return p.messages
  }
}

private func checkDMA(_ d: DMA2D, limits: MemoryLimits, into p: inout ProblemList) {
  let ok = p.positive(d.rows, "rows") && p.positive(d.rowBytes, "row bytes")
    && p.nonNegative(d.dramStrideBytes, "\(d.backing) stride") && p.nonNegative(d.sramStrideBytes, "SRAM stride")
    && p.nonNegative(d.dramAddress.byteOffset, "\(d.backing) address") && p.nonNegative(d.sramAddress.byteOffset, "SRAM address")
  if d.memory == .accumulator
    && (d.sramAddress.byteOffset % 4 != 0 || d.sramStrideBytes % 4 != 0 || d.rowBytes % 4 != 0)
  {
    p.add(
      "accumulator transfers need 4-byte alignment: SRAM address \(d.sramAddress), stride \(d.sramStrideBytes), row bytes \(d.rowBytes)"
    )
  }
  guard ok else { return }
  p.inside(
    Checked.span(start: d.sramAddress.byteOffset, count: d.rows, stride: d.sramStrideBytes, length: d.rowBytes),
    d.memory.space, capacity: limits.capacityBytes(of: d.memory), what: "\(d.memory) range")
  // The backing side is checked against the program's DRAM or arena size by the verifier and
  // the executor.
}

/// Validates a feature map's fields and that its whole tile lies inside the unified buffer.
func checkFeatureMap(_ f: FeatureMap, elementBytes eb: Int, capacity: Int, into p: inout ProblemList) -> Bool {
  let ok = p.positive(f.height, "height") && p.positive(f.width, "width") && p.positive(f.channelCount, "channel count")
    && p.nonNegative(f.channelOffset, "channel offset") && p.nonNegative(f.address.byteOffset, "input address")
  guard ok else { return false }
  guard let needed = Checked.add(f.channelOffset, f.channelCount).flatMap({ Checked.mul($0, eb) }) else {
    p.add("channel offset \(f.channelOffset) + channel count \(f.channelCount) overflows")
    return false
  }
  if f.pixelStrideBytes < needed {
    p.add(
      "pixel stride \(f.pixelStrideBytes) is less than (channel offset \(f.channelOffset) + channels \(f.channelCount)) × \(eb) byte\(eb == 1 ? "" : "s")"
    )
    return false
  }
  p.inside(featureMapSpan(f, elementBytes: eb), .unifiedBuffer, capacity: capacity, what: "input tile")
  return true
}

/// The bytes from the first to the last channel the tile can read.
func featureMapSpan(_ f: FeatureMap, elementBytes eb: Int) -> Range<Int>? {
  guard let pixels = Checked.mul(f.height, f.width), let first = Checked.add(f.address.byteOffset, f.channelOffset * eb)
  else { return nil }
  return Checked.span(start: first, count: pixels, stride: f.pixelStrideBytes, length: f.channelCount * eb)
}

private func checkWindow(_ w: Window, into p: inout ProblemList) -> Bool {
  var ok = p.positive(w.outHeight, "output height")
  ok = p.positive(w.outWidth, "output width") && ok
  ok = p.positive(w.kernelHeight, "kernel height") && ok
  ok = p.positive(w.kernelWidth, "kernel width") && ok
  ok = p.positive(w.strideHeight, "stride height") && ok
  ok = p.positive(w.strideWidth, "stride width") && ok
  ok = p.positive(w.dilationHeight, "dilation height") && ok
  ok = p.positive(w.dilationWidth, "dilation width") && ok
  guard ok else { return false }
  // Every tap coordinate must be computable without overflow.
  let limit = 1 << 40
  for (v, name) in [
    (w.outHeight, "output height"), (w.outWidth, "output width"), (w.kernelHeight, "kernel height"),
    (w.kernelWidth, "kernel width"), (w.strideHeight, "stride height"), (w.strideWidth, "stride width"),
    (w.dilationHeight, "dilation height"), (w.dilationWidth, "dilation width"),
  ] where v > 1 << 20 {
    p.add("\(name) = \(v) exceeds \(1 << 20)")
    ok = false
  }
  for (v, name) in [(w.padTop, "pad top"), (w.padLeft, "pad left")] where abs(v) > limit {
    p.add("\(name) = \(v) out of ±\(limit)")
    ok = false
  }
  return ok
}

private func checkAccumulatorRows(_ row: AccumulatorRow, _ count: Int, limits: MemoryLimits, into p: inout ProblemList) {
  guard row.index >= 0 else { return }
  guard let end = Checked.add(row.index, count) else {
    p.add("accumulator rows overflow")
    return
  }
  if end > limits.accumulatorRows {
    p.add("accumulator rows \(row.index)..<\(end) exceed its \(limits.accumulatorRows) rows")
  }
}

private func checkDestination(
  _ d: PixelDestination, height: Int, width: Int, channels: Int, elementBytes eb: Int, capacity: Int,
  into p: inout ProblemList
) {
  guard p.nonNegative(d.address.byteOffset, "destination address") && p.nonNegative(d.pixelStrideBytes, "destination pixel stride")
    && p.nonNegative(d.rowStrideBytes, "destination row stride")
  else { return }
  let span = Checked.span(start: d.address.byteOffset, count: height, stride: d.rowStrideBytes, length: 1).flatMap {
    rows in
    Checked.mul(channels, eb).flatMap {
      Checked.span(start: rows.upperBound - 1, count: width, stride: d.pixelStrideBytes, length: $0)
    }
  }.map { d.address.byteOffset..<$0.upperBound }
  p.inside(span, .unifiedBuffer, capacity: capacity, what: "destination")
}

private func checkView(
  _ v: VectorView, outer: Int, inner: Int, elementBytes eb: Int, capacity: Int, name: String, into p: inout ProblemList
) {
  guard p.nonNegative(v.address.byteOffset, "\(name) address") && p.nonNegative(v.outerStrideBytes, "\(name) outer stride")
    && p.nonNegative(v.innerStrideBytes, "\(name) inner stride")
  else { return }
  let span = Checked.span(start: v.address.byteOffset, count: outer, stride: v.outerStrideBytes, length: 1).flatMap {
    rows in Checked.span(start: rows.upperBound - 1, count: inner, stride: v.innerStrideBytes, length: eb)
  }.map { v.address.byteOffset..<$0.upperBound }
  p.inside(span, .unifiedBuffer, capacity: capacity, what: "\(name) view")
}

private func checkVector(_ v: VectorOperation, elementBytes eb: Int, capacity: Int, into p: inout ProblemList) {
  switch v {
  case .add(let o, let q), .sub(let o, let q):
    if checkExtent(o.outer, o.inner, elementBytes: eb, capacity: capacity, into: &p) {
      checkView(o.a, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "a", into: &p)
      checkView(o.b, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "b", into: &p)
      checkView(o.output, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "output", into: &p)
    }
    if !(0...23).contains(q.leftShift) { p.add("left shift = \(q.leftShift) out of 0...23") }
    p.shift(q.aShift, "a shift")
    p.shift(q.bShift, "b shift")
    p.shift(q.outputShift, "output shift")
  // issue 14: vector binary/reduce
  case .binary(let o, let f):
    if checkExtent(o.outer, o.inner, elementBytes: eb, capacity: capacity, into: &p) {
      checkView(o.a, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "a", into: &p)
      checkView(o.b, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "b", into: &p)
      // issue 14: vops
      if case .select(let c) = f {
        checkView(c, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "condition", into: &p)
      }
      checkView(o.output, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "output", into: &p)
    }
    if case .squaredDifference(let q) = f {
      if !(0...15).contains(q.leftShift) { p.add("left shift = \(q.leftShift) out of 0...15") }
      for (shift, name) in [(q.aShift, "a shift"), (q.bShift, "b shift"), (q.outputShift, "output shift")] where shift > 0 {
        p.add("\(name) = \(shift) is positive (squared difference rescales by multipliers below one)")
      }
      p.shift(q.aShift, "a shift")
      p.shift(q.bShift, "b shift")
      p.shift(q.outputShift, "output shift")
    }
    // issue 14: PRELU / L2_NORMALIZATION
    if case .prelu(let q) = f {
      p.shift(q.positiveShift, "positive shift")
      p.shift(q.negativeShift, "negative shift")
    }
    // issue 14: vops
    if case .less(let q) = f {
      if !(0...15).contains(q.leftShift) { p.add("left shift = \(q.leftShift) out of 0...15") }
      for (shift, name) in [(q.aShift, "a shift"), (q.bShift, "b shift")] where shift > 0 {
        p.add("\(name) = \(shift) is positive (a comparison rescales by multipliers below one)")
      }
      p.shift(q.aShift, "a shift")
      p.shift(q.bShift, "b shift")
    }
    if case .divide(let q) = f, !FixedPoint.divideShifts.contains(q.shift) {
      p.add(
        "shift = \(q.shift) out of \(FixedPoint.divideShifts) (a division's rescaling exponent must stay in 0...63 for every int8 pair)"
      )
    }
  case .reduce(let o, let f, let q):
    // issue 14: prod — fn=prod's parameters: the wide multiply's shift range, a non-negative
    // multiplier; the other functions take none.
    if f == .product {
      if let q {
        if !FixedPoint.wideShifts.contains(q.shift) {
          p.add("shift = \(q.shift) out of \(FixedPoint.wideShifts) (the 64-bit MultiplyByQuantizedMultiplier's range)")
        }
        if q.multiplier < 0 { p.add("mult = \(q.multiplier) must be ≥ 0") }
        if q.unsignedBytes { p.add("vreduce fn=prod has no unsigned form") }
      } else {
        p.add("vreduce fn=prod needs requantization parameters")
      }
    } else if q != nil {
      p.add("vreduce fn=\(f.rawValue) takes no requantization parameters")
    }
    if checkExtent(o.outer, o.inner, elementBytes: eb, capacity: capacity, into: &p) {
      checkView(o.source, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "source", into: &p)
      // issue 14: argmax — an index output is 4 or 8 bytes per element.
      checkView(
        o.output, outer: 1, inner: o.inner, elementBytes: f.indexBytes ?? eb, capacity: capacity, name: "output",
        into: &p)
    }
  case .mul(let o, let q):
    if checkExtent(o.outer, o.inner, elementBytes: eb, capacity: capacity, into: &p) {
      checkView(o.a, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "a", into: &p)
      checkView(o.b, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "b", into: &p)
      checkView(o.output, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "output", into: &p)
    }
    p.shift(q.outputShift, "output shift")
  case .requantize(let o, let q):
    if checkExtent(o.outer, o.inner, elementBytes: eb, capacity: capacity, into: &p) {
      checkView(o.source, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "source", into: &p)
      checkView(o.output, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "output", into: &p)
    }
    p.shift(q.shift, "shift")
    // issue 14: sum
    if q.unsignedBytes { p.add("unsigned is a vmean flag; vrequant reads signed bytes") }
  // issue 14: PRELU / L2_NORMALIZATION
  case .l2Normalize(let o, _):
    if checkExtent(o.outer, o.inner, elementBytes: eb, capacity: capacity, into: &p) {
      checkView(o.source, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "source", into: &p)
      checkView(o.output, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "output", into: &p)
    }
  // issue 14: lstm
  case .lstmCell(let l):
    // int16 gates and cell state, int8 hidden: views checked with their own element sizes.
    let sb = LSTMCell.stateElementBytes
    if checkExtent(l.outer, l.inner, elementBytes: sb, capacity: capacity, into: &p) {
      if p.nonNegative(l.gateStrideBytes, "gate stride") {
        for (k, view) in zip(l.parameters.coupledInputForget ? 1..<4 : 0..<4, l.gateViews) {
          checkView(view, outer: l.outer, inner: l.inner, elementBytes: sb, capacity: capacity, name: "gate \(k)", into: &p)
        }
      }
      checkView(l.cell, outer: l.outer, inner: l.inner, elementBytes: sb, capacity: capacity, name: "cell", into: &p)
      checkView(l.hidden, outer: l.outer, inner: l.inner, elementBytes: 1, capacity: capacity, name: "hidden", into: &p)
    }
    if let problem = l.parameters.problem { p.add(problem) }
  case .softmax(let o, let q):
    if checkExtent(o.outer, o.inner, elementBytes: eb, capacity: capacity, into: &p) {
      checkView(o.source, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "source", into: &p)
      checkView(o.output, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "output", into: &p)
    }
    if !(0...31).contains(q.inputShift) { p.add("input shift = \(q.inputShift) out of 0...31") }
    if q.diffMin > 0 { p.add("diff_min = \(q.diffMin) is positive") }
  case .mean(let o, let q):
    if checkExtent(o.outer, o.inner, elementBytes: eb, capacity: capacity, into: &p) {
      checkView(o.source, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "source", into: &p)
      checkView(o.output, outer: 1, inner: o.inner, elementBytes: eb, capacity: capacity, name: "output", into: &p)
    }
    p.shift(q.shift, "shift")
    // issue 14: sum
    if q.unsignedBytes && q.clamp != -128...127 {
      p.add("unsigned vmean clamps to 0...255; clamp = \(q.clamp.lowerBound):\(q.clamp.upperBound) must be -128:127")
    }
  case .lookup(let o, _):
    if checkExtent(o.outer, o.inner, elementBytes: eb, capacity: capacity, into: &p) {
      checkView(o.source, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "source", into: &p)
      checkView(o.output, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "output", into: &p)
    }
    // The table's weight-buffer range is checked by the caller, which knows that capacity.
  case .copy(let o):
    if checkExtent(o.outer, o.inner, elementBytes: eb, capacity: capacity, into: &p) {
      checkView(o.source, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "source", into: &p)
      checkView(o.output, outer: o.outer, inner: o.inner, elementBytes: eb, capacity: capacity, name: "output", into: &p)
    }
  case .maxPool(let pool), .avgPool(let pool):
    let inputOK = checkFeatureMap(pool.input, elementBytes: eb, capacity: capacity, into: &p)
    let windowOK = checkWindow(pool.window, into: &p)
    if inputOK && windowOK {
      checkDestination(
        pool.destination, height: pool.window.outHeight, width: pool.window.outWidth,
        channels: pool.input.channelCount, elementBytes: eb, capacity: capacity, into: &p)
      if case .avgPool = v, let message = emptyWindowProblem(pool) { p.add(message) }
    }
  // issue 14: resize
  case .resize(let z):
    if eb != 1 { p.add("vresize interpolates int8 elements; the datapath has \(eb)-byte elements") }
    let inputOK = checkFeatureMap(z.input, elementBytes: eb, capacity: capacity, into: &p)
    let problems = z.geometryProblems()
    for message in problems { p.add(message) }
    if inputOK && problems.isEmpty {
      checkDestination(
        z.destination, height: z.outputRows, width: z.outputWidth, channels: z.input.channelCount, elementBytes: eb,
        capacity: capacity, into: &p)
    }
  }
}

/// `outer` and `inner` are ≥ 1, and `outer × inner` elements fit the unified buffer: one
/// instruction writes (or, for a reduction, reads) that many distinct elements, so a larger count
/// can only come from overlapping views, which would let a hostile program spin for billions of
/// element operations inside a small buffer.
private func checkExtent(
  _ outer: Int, _ inner: Int, elementBytes eb: Int, capacity: Int, into p: inout ProblemList
) -> Bool {
  guard p.positive(outer, "outer") && p.positive(inner, "inner") else { return false }
  let (elements, overflow) = outer.multipliedReportingOverflow(by: inner)
  let limit = capacity / max(eb, 1)
  guard !overflow, elements <= limit else {
    p.add("outer × inner = \(outer) × \(inner) elements exceeds the \(limit) elements the unified buffer holds")
    return false
  }
  return true
}

/// The first output row or column whose window has no in-image tap, as a message.
private func emptyWindowProblem(_ pool: Pool) -> String? {
  let w = pool.window
  if let oh = (0..<w.outHeight).first(where: {
    axisTaps(out: $0, stride: w.strideHeight, pad: w.padTop, kernel: w.kernelHeight, dilation: w.dilationHeight, size: pool.input.height).isEmpty
  }) {
    return "output row \(oh) has no in-image tap (TFLite's AVERAGE_POOL_2D fails on an empty window)"
  }
  if let ow = (0..<w.outWidth).first(where: {
    axisTaps(out: $0, stride: w.strideWidth, pad: w.padLeft, kernel: w.kernelWidth, dilation: w.dilationWidth, size: pool.input.width).isEmpty
  }) {
    return "output column \(ow) has no in-image tap (TFLite's AVERAGE_POOL_2D fails on an empty window)"
  }
  return nil
}

/// The kernel taps along one axis that land inside `0..<size` for output coordinate `out`,
/// with the input coordinate each reads.
func axisTaps(out: Int, stride: Int, pad: Int, kernel: Int, dilation: Int, size: Int) -> [(tap: Int, input: Int)] {
  var taps: [(tap: Int, input: Int)] = []
  let origin = out * stride - pad
  for t in 0..<kernel {
    let i = origin + t * dilation
    if i >= 0 && i < size { taps.append((t, i)) }
  }
  return taps
}
