import TileISA

/// The observer that turns the engine's events into the time-dependent counters: the array's
/// cycle classes, each layer's span, and from them each layer's cycles by the attribution rule
/// of `docs/cost-model.md` §Layers. The work counters (MACs, bytes, operations) do not depend
/// on timing; `Simulator` adds them up from each instruction before the run.
struct CounterCollector: SimulationObserver {
  private(set) var total = Counters()
  /// Work of instructions tagged with each layer (cycles are attributed at the end).
  private(set) var layers: [Counters]
  /// Work of untagged instructions (cycles are attributed at the end).
  private(set) var untagged: Counters
  /// First start and last end of each layer's instructions.
  private var spans: [(start: Int64, end: Int64)?]
  /// The array's classification, as consecutive intervals from cycle 0.
  private var timeline: [(start: Int64, end: Int64, cycleClass: CycleClass)] = []

  /// A collector that starts from the work counters of the whole program, of each layer and of
  /// the untagged instructions.
  init(work: Counters, layers: [Counters], untagged: Counters) {
    total = work
    self.layers = layers
    self.untagged = untagged
    spans = Array(repeating: nil, count: layers.count)
  }

  mutating func observe(_ event: SimulationEvent) {
    if let c = event.cycleClass {
      let (start, end) = (event.start.count, event.end.count)
      total[CounterKey.cycles(of: c)] += end - start
      if let last = timeline.last, last.cycleClass == c, last.end == start {
        timeline[timeline.count - 1].end = end
      } else {
        timeline.append((start, end, c))
      }
      return
    }
    guard let layer = event.layer?.value, spans.indices.contains(layer) else { return }
    let (start, end) = (event.start.count, event.end.count)
    if let span = spans[layer] {
      spans[layer] = (min(span.start, start), max(span.end, end))
    } else {
      spans[layer] = (start, end)
    }
  }

  /// Adds one instruction's work to `c`.
  static func add(_ w: InstructionWork, to c: inout Counters) {
    c[.instructions] += 1
    c[.macs] += w.macs
    if w.instructionClass == .matmulWS || w.instructionClass == .matmulOS || w.instructionClass == .matmulIS {
      c[.streamedRows] += w.pixels
    }
    if w.instructionClass == .load || w.instructionClass == .store {
      // (`load_host`/`store_host` cross the host link, not DRAM: counted in host_link_bytes.)
      switch w.dramClass {
      case .weights: c[.dramWeightBytes] += w.dmaBytes
      case .inputActivations: c[.dramInputActivationBytes] += w.dmaBytes
      case .outputActivations: c[.dramOutputActivationBytes] += w.dmaBytes
      case .partialSums: c[.dramPartialSumBytes] += w.dmaBytes
      case .hostRead, .hostWrite: break
      }
    }
    if w.instructionClass == .loadHost || w.instructionClass == .storeHost { c[.hostLinkBytes] += w.dmaBytes }
    c[.dramHostReadBytes] += w.hostReadBytes
    c[.dramHostWriteBytes] += w.hostWriteBytes
    c[.ubReadBytes] += w.ubRead
    c[.ubWriteBytes] += w.ubWrite
    c[.arenaReadBytes] += w.arenaRead
    c[.arenaWriteBytes] += w.arenaWrite
    c[.weightsReadBytes] += w.wbRead
    c[.weightsWriteBytes] += w.wbWrite
    c[.accReadBytes] += w.accRead
    c[.accWriteBytes] += w.accWrite
    c[.accumulatorAdds] += w.accumulatorAdds
    c[.vectorOps] += w.vectorOps
    c[.hostOps] += w.hostOps
    c[.unpackedWeights] += w.unpackedWeights
  }

  /// The final counters: the total, each layer's, and the unattributed remainder, with cycles
  /// attributed by the layer rule so that layers plus remainder sum to the total; and each
  /// layer's attributed cycle intervals (its pieces, in time order).
  mutating func finish(totalCycles: Int64)
    -> (total: Counters, layers: [Counters], unattributed: Counters, pieces: [[Range<Int64>]])
  {
    total[.cycles] = totalCycles
    // 1. Each layer owns the part of its span no lower-indexed layer's span covers.
    var owned: [(start: Int64, end: Int64, layer: Int)] = []
    var covered: [(start: Int64, end: Int64)] = []  // sorted, disjoint
    for (layer, span) in spans.enumerated() {
      guard let span, span.end > span.start else { continue }
      var cursor = span.start
      for c in covered where c.end > cursor && c.start < span.end {
        if c.start > cursor { owned.append((cursor, c.start, layer)) }
        cursor = max(cursor, c.end)
      }
      if cursor < span.end { owned.append((cursor, span.end, layer)) }
      // Insert the span into the covered union.
      var merged: [(start: Int64, end: Int64)] = []
      var pending = (start: span.start, end: span.end)
      var placed = false
      for c in covered {
        if c.end < pending.start {
          merged.append(c)
        } else if c.start > pending.end {
          if !placed {
            merged.append(pending)
            placed = true
          }
          merged.append(c)
        } else {
          pending = (min(pending.start, c.start), max(pending.end, c.end))
        }
      }
      if !placed { merged.append(pending) }
      covered = merged
    }
    owned.sort { $0.start < $1.start }
    // 2. Split the classification timeline between the owners; the rest is unattributed.
    var result = layers
    var rest = untagged
    var o = 0
    for piece in timeline {
      var cursor = piece.start
      while cursor < piece.end {
        while o < owned.count && owned[o].end <= cursor { o += 1 }
        let key = CounterKey.cycles(of: piece.cycleClass)
        if o < owned.count && owned[o].start <= cursor {
          let until = min(piece.end, owned[o].end)
          result[owned[o].layer][key] += until - cursor
          result[owned[o].layer][.cycles] += until - cursor
          cursor = until
        } else {
          let until = o < owned.count ? min(piece.end, owned[o].start) : piece.end
          rest[key] += until - cursor
          rest[.cycles] += until - cursor
          cursor = until
        }
      }
    }
    var pieces = [[Range<Int64>]](repeating: [], count: layers.count)
    for piece in owned where pieces.indices.contains(piece.layer) { pieces[piece.layer].append(piece.start..<piece.end) }
    return (total, result, rest, pieces)
  }
}
