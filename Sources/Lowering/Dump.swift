import GraphIR
import Support
import TileISA

extension LoweringState {
  /// A readable text dump of the IR after `pass` (what `--dump-after PASS` prints).
  func dump(after pass: PassName) -> String {
    var lines = [
      "; after \(pass.rawValue): \(graph.name.isEmpty ? model.source : graph.name) on \(arch.name) (\(arch.datapath.rawValue))"
    ]
    switch pass {
    case .legalize:
      for layer in layers { lines.append(header(layer)) }
    case .fuse:
      for layer in layers {
        lines.append(header(layer))
        if case .matrix(let w) = layer.work, let e = w.epilogue { lines.append("    epilogue " + describe(e)) }
        if case .binary(let b) = layer.work { lines.append("    clamp \(b.parameters.clamp)") }
        if case .pool(let p) = layer.work { lines.append("    clamp \(p.clamp)") }
      }
    case .tiling:
      for layer in layers {
        lines.append(header(layer))
        if let t = tilingLine(layer.work) { lines.append("    " + t) }
      }
    case .allocate:
      if let plan { lines += allocationLines(plan) }
    case .schedule, .emit:
      if pass == .emit, let result {
        lines.append(result.report.rendered())
        lines.append(result.program.assembly())
      } else if let builder {
        for (i, instruction) in builder.instructions.enumerated() {
          lines.append(String(format: "%6d  ", i) + instruction.assembly())
        }
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  private func header(_ layer: Layer) -> String {
    "#\(layer.index) \(layer.opName) '\(layer.name)' → \(layer.placement.rawValue): \(layer.reason)"
  }

  private func describe(_ e: Epilogue) -> String {
    let channels = e.parameters.count
    var biases: [Int32] = []
    for p in e.parameters {
      switch p {
      case .fixedPoint(let b, _, _), .floatScale(let b, _): biases.append(b)
      }
    }
    let range = biases.min().flatMap { lo in biases.max().map { "\(lo)...\($0)" } } ?? "-"
    return
      "\(e.mode.rawValue), \(channels) channels, bias \(range), output zero point \(e.outputZeroPoint), clamp \(e.clamp)"
  }

  private func tilingLine(_ work: Work) -> String? {
    func cost(_ e: CostEstimate) -> String {
      "est. \(formatCount(e.cycles)) cycles (compute \(formatCount(e.computeCycles)), load \(formatCount(e.loadCycles)), store \(formatCount(e.storeCycles))), DRAM \(formatBytes(e.dramBytes)), \(formatCount(e.tiles)) tiles"
    }
    switch work {
    case .matrix(let w):
      guard let t = w.tiling else { return nil }
      let groups = t.tapGroups.map { "\($0.rows)×\($0.cols)@\($0.row0),\($0.col0)" }.joined(separator: " ")
      return
        "df \(t.dataflow.rawValue), tile \(t.tileH)×\(t.tileW) px, N \(t.nTile) (\(t.nGroupTiles) per accumulator group), channel slice \(t.channelGroup), K chunk \(t.chunkChannels) ch × taps [\(groups)], \(t.doubleBuffered ? "double" : "single")-buffered; "
        + cost(t.estimate)
    case .binary(let b):
      guard let t = b.tiling else { return nil }
      return
        "dims \(b.dims), a strides \(b.aStrides), b strides \(b.bStrides), block \(t.outerTile)×\(t.innerTile), \(t.doubleBuffered ? "double" : "single")-buffered; "
        + cost(t.estimate)
    case .pool(let p):
      guard let t = p.tiling else { return nil }
      return "tile \(t.tileH)×\(t.tileW) px × \(t.channels) ch, \(t.doubleBuffered ? "double" : "single")-buffered; "
        + cost(t.estimate)
    case .unary(let u):
      guard let t = u.tiling else { return nil }
      return "\(u.table == nil ? "" : "vlut table 256 B, ")block \(t.innerTile) elements, \(t.doubleBuffered ? "double" : "single")-buffered; "
        + cost(t.estimate)
    case .softmax(let u):
      guard let t = u.tiling else { return nil }
      return "\(u.rows) rows × \(u.depth), block \(t.outerTile) rows, \(t.doubleBuffered ? "double" : "single")-buffered; "
        + cost(t.estimate)
    case .mean(let u):
      guard let t = u.tiling else { return nil }
      return "\(u.batches) × \(u.pixels) pixels × \(u.channels) channels, block \(t.innerTile) \(u.rowLanes ? "rows" : "channels"), \(t.doubleBuffered ? "double" : "single")-buffered; "
        + cost(t.estimate)
    // issue 14: resize
    case .resize(let w):
      guard let t = w.tiling else { return nil }
      return "\(w.batches) × \(w.inH)×\(w.inW) → \(w.outH)×\(w.outW) × \(w.channels) ch (\(w.mode.rawValue)), block \(t.rowTile) output rows from ≤ \(t.inputRows) input rows, \(t.doubleBuffered ? "double" : "single")-buffered; "
        + cost(t.estimate)
    // issue 14: lstm
    case .lstm(let w):
      return "\(w.plan.steps) steps × \(w.plan.batches) batch × \(w.plan.inputs) inputs → \(w.plan.cells) cells, weight blob \(formatBytes(w.blob.count)), unified buffer \(formatBytes(w.unifiedBufferBytes)); "
        + (w.estimate.map(cost) ?? "")
    case .copy(let c):
      return "\(c.copies.count) 2-D copies, chunk \(formatBytes(c.chunkBytes))\(c.fill.map { ", fill \($0)" } ?? ""); "
        + (c.estimate.map(cost) ?? "")
    case .host(let h):
      return h.estimate.map(cost)
    case .alias, .fused:
      return nil
    }
  }

  private func allocationLines(_ plan: MemoryPlan) -> [String] {
    var lines: [String] = []
    lines.append(
      "weight buffer: \(formatBytes(Int(arch.weights.capacity.count))); streaming region 0x0..<\(hex(plan.streamRegionBytes)); cached up to \(hex(plan.weightBufferEnd))"
    )
    for i in plan.weightLayouts.keys.sorted() {
      guard let l = plan.weightLayouts[i] else { continue }
      let where_: String
      switch plan.residence[i] {
      case .cached(let o)?: where_ = "cached at wb \(hex(o))..<\(hex(o + l.blob.count))"
      case .layer?: where_ = "loaded once per layer at wb 0x0"
      case .streamed(let db)?:
        where_ = "streamed (\(db ? "double" : "single")-buffered tiles of ≤ \(formatBytes(l.maxBlockBytes)))"
      case nil: where_ = "?"
      }
      lines.append(
        "  #\(i) parameters \(formatBytes(l.blob.count)) at dram \(hex(plan.weightAddress[i] ?? 0)): \(where_)")
    }
    lines.append(
      "unified buffer: \(formatBytes(Int(arch.ub.capacity.count))); accumulator: \(arch.accumulatorEntries) rows")
    for layer in layers {
      guard let u = plan.usage[layer.index], u.unifiedBufferBytes > 0 else { continue }
      lines.append(
        "  #\(layer.index) \(layer.opName): ub \(formatBytes(u.unifiedBufferBytes)), acc \(u.accumulatorRows) rows")
    }
    let ub = Int(arch.ub.capacity.count)
    lines.append(
      "arena (memory.activations = \(arch.memory.activations.rawValue)): \(formatBytes(plan.arenaSize)) at ub \(hex(ub - plan.arenaSize))..<\(hex(ub)) (capacity \(formatBytes(plan.arenaCapacity)))"
    )
    for (index, o) in plan.arenaOffset.sorted(by: { ($0.value, $0.key) < ($1.value, $1.key) }) {
      let t = graph.tensors[index]
      let live = plan.activations[index].map { " layers #\($0.first)–#\($0.last)" } ?? ""
      lines.append("  arena \(hex(o))..<\(hex(o + storageBytes(t)))  '\(t.name)' \(t.shape)\(live)")
    }
    for spill in plan.spills {
      lines.append("  spilled '\(graph.tensors[spill.buffer.id].name)': \(spill.reason)")
    }
    lines.append("DRAM: \(formatBytes(plan.dramSize))")
    for (index, a) in plan.tensorAddress.sorted(by: { ($0.value, $0.key) < ($1.value, $1.key) }) {
      let t = graph.tensors[index]
      let kind =
        plan.constantTensors.contains(index) ? "constant" : graph.inputs.contains(TensorID(index)) ? "input" : "tensor"
      lines.append("  \(hex(a))..<\(hex(a + storageBytes(t)))  \(kind) '\(t.name)' \(t.shape) \(t.elementType)")
    }
    for (i, f) in plan.fill.sorted(by: { $0.key < $1.key }) {
      lines.append("  \(hex(f.address))..<\(hex(f.address + f.bytes))  fill pattern of #\(i)")
    }
    return lines
  }
}

/// `0x` and lowercase hex.
func hex(_ value: Int) -> String { "0x" + String(value, radix: 16) }
