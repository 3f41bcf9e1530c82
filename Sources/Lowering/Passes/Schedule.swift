import Architecture
import GraphIR
import Support
import TileISA

/// Pass 5, schedule: turns every layer's tiling into its loop nest of instructions, in graph
/// order, and lets `ProgramBuilder` set the dependency tokens from the buffers each instruction
/// touches (so alternating buffers become real DMA/compute overlap).
///
/// A dense matrix layer runs, per spatial tile:
///
/// ```
/// for each group of n-tiles whose accumulators fit at once:
///   for each channel slice of the input:            // once per tile when all channels fit
///     load the slice with its halo                   // unified buffer, alternating
///     for each n-tile in the group, for each K chunk of the slice:
///       [load the weight tile]                       // streamed layers only, alternating
///       load_weights → slot (alternating); matmul (accumulate after the first chunk)
///   for each n-tile: activate → output tile (bias, requantization, clamp)
///   store the output tile
/// ```
///
/// Depthwise layers run one channel chunk at a time (its own input slice, K chunks over the
/// taps, one activate and one store); pools, elementwise ops and copies load a block, compute
/// it and store it. Host tasks run on the compute queue against DRAM. Every load and store names
/// the backing memory of its tensor: the activation arena for activations the allocate pass
/// kept on chip, DRAM for the rest.
struct Schedule: LoweringPass {
  let name = PassName.schedule

  func run(_ s: inout LoweringState) throws(LoweringError) {
    guard let plan = s.plan else { preconditionFailure("schedule runs after allocate") }
    var e = Emitter(state: s, plan: plan)
    for (i, layer) in s.layers.enumerated() {
      e.layer = i
      e.tile = nil
      switch layer.work {
      case .matrix(let w): e.matrix(w)
      case .binary(let b): e.binary(b)
      case .pool(let p): e.pool(p)
      case .unary(let u): e.unary(u)
      case .softmax(let u): e.softmax(u)
      case .mean(let u): e.mean(u)
      // issue 14: resize
      case .resize(let w): e.resize(w)
      // issue 14: lstm
      case .lstm(let w): e.lstm(w)
      case .copy(let c): e.copy(c)
      case .host(let h): e.host(h, layer)
      case .alias, .fused: break
      }
      e.stats[i].sram = plan.usage[i] ?? SRAMUsage()
    }
    e.layer = nil
    e.tile = nil
    e.builder.emit(.finish, layer: nil)
    for instruction in e.builder.instructions {
      if let l = instruction.layer { e.stats[l.value].instructions += 1 }
    }
    s.builder = e.builder
    s.stats = e.stats
    s.hostTasks = e.hostTasks
  }
}

/// Where a tensor's bytes are, for hazard tracking: its backing memory and byte range there.
struct TensorRegion {
  var backing: BackingMemory
  var range: Range<Int>
}

/// Emits the instructions of each layer kind.
struct Emitter {
  let state: LoweringState
  let plan: MemoryPlan
  var builder = ProgramBuilder()
  var stats: [LayerStats]
  var hostTasks: [(task: HostTask, descriptor: HostTaskDescriptor)] = []
  var layer: Int?
  /// The tile coordinate of the instructions being emitted (`TileCoordinate`; reports only).
  var tile: TileCoordinate?
  var slot = WeightSlot.first

  /// Per tensor index: the memory holding its storage (DRAM or the arena) and its address
  /// there (nil when it has none), and the region hazards are tracked on (nil for constants and
  /// model inputs, which nothing writes). Flat tables, so the per-instruction paths never touch
  /// the graph or the plan.
  let homes: [(backing: BackingMemory, address: Int)?]
  let tracked: [TensorRegion?]
  let eb: Int
  let rows: Int
  let columns: Int
  /// The unified-buffer address of arena byte 0 (the arena is the buffer's top `arenaSize` bytes).
  let arenaBase: Int
  /// The DRAM ranges of the network's inputs and outputs when they cross the host link
  /// (`memory.io_over_host_link`); empty otherwise. A unified-buffer transfer that starts in
  /// one is emitted with `host_link`.
  let hostLinkRanges: [Range<Int>]

  init(state: LoweringState, plan: MemoryPlan) {
    self.state = state
    self.plan = plan
    self.stats = Array(repeating: LayerStats(), count: state.layers.count)
    var homes = [(backing: BackingMemory, address: Int)?](repeating: nil, count: state.graph.tensors.count)
    var tracked = [TensorRegion?](repeating: nil, count: state.graph.tensors.count)
    let inputs = Set(state.graph.inputs.map(\.index))
    for t in state.graph.tensors.indices {
      let r = state.root(TensorID(t)).index
      let bytes = max(1, state.storageBytes(state.graph.tensors[r]))
      if let o = plan.arenaOffset[r] {
        homes[t] = (.arena, o)
        tracked[t] = TensorRegion(backing: .arena, range: o..<o + bytes)
        continue
      }
      guard let a = plan.tensorAddress[r] else { continue }
      homes[t] = (.dram, a)
      if !plan.constantTensors.contains(r) && !inputs.contains(r) {
        tracked[t] = TensorRegion(backing: .dram, range: a..<a + bytes)
      }
    }
    var hostLinkRanges: [Range<Int>] = []
    if state.arch.memory.ioOverHostLink {
      for id in state.graph.inputs + state.graph.outputs {
        let r = state.root(id).index
        guard plan.arenaOffset[r] == nil, let a = plan.tensorAddress[r] else { continue }
        hostLinkRanges.append(a..<a + max(1, state.storageBytes(state.graph.tensors[r])))
      }
    }
    self.hostLinkRanges = hostLinkRanges
    self.homes = homes
    self.tracked = tracked
    self.eb = state.elementBytes
    self.arenaBase = Int(clamping: state.arch.ub.capacity.count) - plan.arenaSize
    self.rows = state.arch.array.rows
    self.columns = state.arch.array.cols
  }

  // MARK: Helpers

  /// The address of a tensor's storage in its backing memory (DRAM or the arena).
  func address(_ id: TensorID) -> Int {
    guard let home = homes[id.index] else { preconditionFailure("tensor \(id) has no place in DRAM or the arena") }
    return home.address
  }

  /// The range hazards are tracked on for a tensor, in its backing memory (nil for constants
  /// and model inputs, which nothing writes; those are in DRAM).
  func region(_ id: TensorID) -> TensorRegion? { tracked[id.index] }

  /// A load into `memory`; `source` is the tensor region read (nil: an untracked DRAM
  /// constant or model input), whose backing memory the transfer names.
  mutating func load(
    _ memory: OnChipMemory, sram: Int, sramStride: Int? = nil, dram: Int, dramStride: Int? = nil, rows: Int,
    rowBytes: Int, source: TensorRegion?, target: Range<Int>, resident: Bool = false
  ) {
    let backing = source?.backing ?? .dram
    var d = DMA2D(
      memory: memory, sramAddress: SRAMAddress(sram), sramStrideBytes: rows == 1 ? rowBytes : sramStride,
      dramAddress: DRAMAddress(dram), dramStrideBytes: rows == 1 ? rowBytes : dramStride, rows: rows, rowBytes: rowBytes,
      backing: backing)
    d.resident = resident
    d.hostLink = !resident && memory == .unifiedBuffer && crossesHostLink(backing, dram)
    var accesses = [BufferAccess.write(memory.space, target)]
    if let source { accesses.append(.read(source.backing.space, source.range)) }
    builder.emit(.load(d), layer: layer, tile: tile, accesses: accesses)
    // A resident load moves nothing in a steady-state inference.
    if let l = layer, !resident {
      if d.hostLink {
        stats[l].hostLinkRead += rows * rowBytes
      } else if backing == .dram {
        stats[l].dramRead += rows * rowBytes
      } else {
        stats[l].arenaRead += rows * rowBytes
      }
    }
  }

  /// A store from the unified buffer into `target`'s backing memory.
  mutating func store(
    sram: Int, sramStride: Int? = nil, dram: Int, dramStride: Int? = nil, rows: Int, rowBytes: Int,
    source: Range<Int>, target: TensorRegion?
  ) {
    let backing = target?.backing ?? .dram
    var d = DMA2D(
      memory: .unifiedBuffer, sramAddress: SRAMAddress(sram), sramStrideBytes: rows == 1 ? rowBytes : sramStride,
      dramAddress: DRAMAddress(dram), dramStrideBytes: rows == 1 ? rowBytes : dramStride, rows: rows, rowBytes: rowBytes,
      backing: backing)
    d.hostLink = crossesHostLink(backing, dram)
    var accesses = [BufferAccess.read(.unifiedBuffer, source)]
    if let target { accesses.append(.write(target.backing.space, target.range)) }
    builder.emit(.store(d), layer: layer, tile: tile, accesses: accesses)
    if let l = layer {
      if d.hostLink {
        stats[l].hostLinkWritten += rows * rowBytes
      } else if backing == .dram {
        stats[l].dramWritten += rows * rowBytes
      } else {
        stats[l].arenaWritten += rows * rowBytes
      }
    }
  }

  /// Whether a DRAM transfer starting at `dram` reaches a network input or output that crosses
  /// the host link (`hostLinkRanges`).
  func crossesHostLink(_ backing: BackingMemory, _ dram: Int) -> Bool {
    backing == .dram && hostLinkRanges.contains { $0.contains(dram) }
  }

  mutating func compute(_ operation: Operation, _ accesses: [BufferAccess]) {
    builder.emit(operation, layer: layer, tile: tile, accesses: accesses)
  }

  /// A window over a tile of `rows`×`cols` input pixels whose first output is (oh0, ow0):
  /// the tile's first input row/column and the window's padding relative to it.
  struct TileGeometry {
    var inputRow: Int, inputCol: Int
    var rows: Int, cols: Int
    var padTop: Int, padLeft: Int
  }

  func tileGeometry(
    oh0: Int, ow0: Int, th: Int, tw: Int, strideH: Int, strideW: Int, kernelH: Int, kernelW: Int, dilationH: Int,
    dilationW: Int, padTop: Int, padLeft: Int, inH: Int, inW: Int
  ) -> TileGeometry {
    func axis(_ o0: Int, _ t: Int, _ s: Int, _ k: Int, _ d: Int, _ pad: Int, _ size: Int) -> (Int, Int, Int) {
      let origin = o0 * s - pad
      let span = (t - 1) * s + (k - 1) * d + 1
      let first = min(max(origin, 0), size - 1)
      let end = max(first + 1, min(size, origin + span))
      return (first, end - first, first - origin)
    }
    let (r0, rows, pt) = axis(oh0, th, strideH, kernelH, dilationH, padTop, inH)
    let (c0, cols, pl) = axis(ow0, tw, strideW, kernelW, dilationW, padLeft, inW)
    return TileGeometry(inputRow: r0, inputCol: c0, rows: rows, cols: cols, padTop: pt, padLeft: pl)
  }

  /// Where a `matmul` can read input pixels `g` of `tensor` (a `channels`-channel NHWC image of
  /// `width` columns at element offset `base`) in place: the unified-buffer address of its first
  /// row in the activation arena and the arena bytes read, or nil when the slice must be copied.
  /// In place needs the tensor in the arena and a tile of whole output rows (`wholeRows`: its
  /// input rows are whole image rows from column 0, so the address generator, which steps
  /// `width · pixel stride` bytes per input row, finds them where they are; a narrower tile's
  /// rows are not); a transposed (BATCH_MATMUL adj_x) input is always copied.
  func arenaInput(
    tensor: TensorID, base: Int, width: Int, channels: Int, g: TileGeometry, wholeRows: Bool, transposed: Bool
  ) -> (address: Int, access: BufferAccess)? {
    guard state.arch.memory.arenaInPlace, !transposed, wholeRows, g.inputCol == 0, let home = homes[tensor.index],
      home.backing == .arena
    else { return nil }
    let first = home.address + (base + g.inputRow * width * channels) * eb
    let bytes = g.rows * width * channels * eb
    return (arenaBase + first, .read(.arena, first..<first + bytes))
  }

  /// Counts a matmul input read in place (`bytes` of the arena the copy would have moved) or,
  /// for the mapping report, why it was copied.
  mutating func noteInput(inPlace: Bool, bytes: Int, tensor: TensorID, transposed: Bool, fullWidth: Bool) {
    guard let l = layer, homes[tensor.index]?.backing == .arena else { return }
    if inPlace {
      stats[l].arenaReadInPlace += bytes
    } else if stats[l].arenaCopyReason == nil {
      stats[l].arenaCopyReason =
        !state.arch.memory.arenaInPlace
        ? "memory.arena_in_place = false"
        : transposed
          ? "transposed input (adj_x): the address generator reads pixels, not columns"
          : fullWidth ? "input copied" : "tile narrower than the output: its input rows are not whole arena rows"
    }
  }

  /// Loads input pixels `g` (channels `c0 ..< c0 + count` of a `channels`-channel NHWC image at
  /// element offset `base`) densely into the unified buffer at `buffer`.
  mutating func loadSlice(
    tensor: TensorID, base: Int, width: Int, channels: Int, g: TileGeometry, c0: Int, count: Int, buffer: Int,
    bufferBytes: Int, transposed: Bool = false
  ) {
    let source = region(tensor)
    let start = address(tensor)
    let target = buffer..<buffer + bufferBytes
    if transposed {
      // Element (p, c) at c·width + p (BATCH_MATMUL adj_x): one DMA per channel.
      for c in 0..<count {
        load(
          .unifiedBuffer, sram: buffer + c * eb, sramStride: count * eb,
          dram: start + (base + (c0 + c) * width + g.inputCol) * eb, dramStride: eb, rows: g.cols, rowBytes: eb,
          source: source, target: target)
      }
      return
    }
    let first = start + (base + (g.inputRow * width + g.inputCol) * channels + c0) * eb
    if count == channels {
      if g.cols == width {
        load(
          .unifiedBuffer, sram: buffer, dram: first, rows: 1, rowBytes: g.rows * width * channels * eb,
          source: source, target: target)
      } else {
        load(
          .unifiedBuffer, sram: buffer, sramStride: g.cols * channels * eb, dram: first,
          dramStride: width * channels * eb, rows: g.rows, rowBytes: g.cols * channels * eb, source: source,
          target: target)
      }
    } else {
      for r in 0..<g.rows {
        load(
          .unifiedBuffer, sram: buffer + r * g.cols * count * eb, sramStride: count * eb,
          dram: first + r * width * channels * eb, dramStride: channels * eb, rows: g.cols, rowBytes: count * eb,
          source: source, target: target)
      }
    }
  }

  /// Stores a tile of `th`×`tw` pixels × `count` channels (dense at `buffer`) into an NHWC
  /// tensor of `width` × `channels` at element offset `base`, pixel (oh0, ow0), channel `c0`.
  mutating func storeTile(
    tensor: TensorID, base: Int, width: Int, channels: Int, oh0: Int, ow0: Int, th: Int, tw: Int, c0: Int, count: Int,
    buffer: Int, bufferBytes: Int
  ) {
    let target = region(tensor)
    let source = buffer..<buffer + bufferBytes
    let first = address(tensor) + (base + (oh0 * width + ow0) * channels + c0) * eb
    if count == channels {
      if tw == width {
        store(sram: buffer, dram: first, rows: 1, rowBytes: th * tw * channels * eb, source: source, target: target)
      } else {
        store(
          sram: buffer, sramStride: tw * channels * eb, dram: first, dramStride: width * channels * eb, rows: th,
          rowBytes: tw * channels * eb, source: source, target: target)
      }
    } else {
      for r in 0..<th {
        store(
          sram: buffer + r * tw * count * eb, sramStride: count * eb, dram: first + r * width * channels * eb,
          dramStride: channels * eb, rows: tw, rowBytes: count * eb, source: source, target: target)
      }
    }
  }

  // MARK: Matrix layers

  mutating func matrix(_ w: MatrixWork) {
    guard let i = layer, let t = w.tiling, let e = w.epilogue, let layout = plan.weightLayouts[i],
      let residence = plan.residence[i], let blobAddress = plan.weightAddress[i]
    else { preconditionFailure("matrix layer without tiling, epilogue or weight plan") }
    let buffers = MatrixBuffers(w, t, eb)
    let db = buffers.count
    let weightDB = (plan.weightDoubleBuffered[i] ?? false) ? 2 : 1
    stats[i].weightBytes = layout.blob.count
    stats[i].usefulMACs = w.macs
    // Parameters resident for the whole layer: cached ones are loaded at the layer's first use
    // and stay; a layer-resident blob (or BATCH_MATMUL's tables and correction tile) is loaded
    // into the streaming region at the layer's start.
    var cachedBase: Int?
    switch residence {
    case .cached(let offset):
      cachedBase = offset
      stats[i].weightsCached = layout.blob.count
    case .layer:
      cachedBase = 0
      stats[i].weightsStreamed += layout.blob.count
    case .streamed:
      if case .activation = w.weights {
        cachedBase = weightDB * layout.maxBlockBytes
        stats[i].weightsStreamed += layout.blob.count
      }
    }
    if let base = cachedBase, !layout.blob.isEmpty {
      // A cached blob on an architecture whose parameters stay across inferences is loaded once
      // per model (`resident`): a steady-state inference does not pay for it.
      var resident = false
      if case .cached = residence { resident = state.arch.memory.parametersResident }
      load(
        .weightBuffer, sram: base, dram: blobAddress, rows: 1, rowBytes: layout.blob.count, source: nil,
        target: base..<base + layout.blob.count, resident: resident)
    }
    let blobRange = (cachedBase ?? 0)..<(cachedBase ?? 0) + layout.blob.count
    var weightToggle = 0
    var tableToggle = 0
    var inToggle = 0
    var outToggle = 0
    let kMax = layout.chunks.flatMap { $0 }.map(\.rows).max() ?? 1
    stats[i].largestTile = TileShape(outputHeight: t.tileH, outputWidth: t.tileW, reduction: kMax, columns: t.nTile)

    /// Makes the weight tile of (n-tile j, chunk) available; returns its weight-buffer address,
    /// row stride and the range to track.
    func weights(_ j: Int, _ c: Int, _ chunk: KChunk, batch: Int) -> (address: Int, stride: Int, range: Range<Int>) {
      let tile = layout.nTiles[j]
      let strideBytes = tile.width * eb
      switch w.weights {
      case .constant:
        let block = layout.blocks[j][c]
        let packedStride = w.weightRowBytes(tile.width, eb)
        if let base = cachedBase { return (base + block.offset, packedStride, blobRange) }
        let buffer = weightToggle * layout.maxBlockBytes
        weightToggle = (weightToggle + 1) % weightDB
        let range = buffer..<buffer + layout.maxBlockBytes
        load(
          .weightBuffer, sram: buffer, dram: blobAddress + block.offset, rows: 1, rowBytes: block.bytes, source: nil,
          target: range)
        stats[i].weightsStreamed += block.bytes
        return (buffer, packedStride, range)
      case .activation(let tensor, let offsets, let adjoint, _):
        let buffer = weightToggle * layout.maxBlockBytes
        weightToggle = (weightToggle + 1) % weightDB
        let range = buffer..<buffer + layout.maxBlockBytes
        let base = address(tensor) + offsets[batch] * eb
        let k = w.inC
        let n = w.outC
        if adjoint {
          for nn in 0..<tile.width {
            load(
              .weightBuffer, sram: buffer + nn * eb, sramStride: strideBytes,
              dram: base + ((tile.first + nn) * k + chunk.channel0) * eb, dramStride: eb, rows: chunk.channels,
              rowBytes: eb, source: region(tensor), target: range)
          }
        } else {
          load(
            .weightBuffer, sram: buffer, sramStride: strideBytes, dram: base + (chunk.channel0 * n + tile.first) * eb,
            dramStride: n * eb, rows: chunk.channels, rowBytes: strideBytes, source: region(tensor), target: range)
        }
        stats[i].weightsStreamed += chunk.channels * strideBytes
        return (buffer, strideBytes, range)
      }
    }

    /// Makes n-tile j's activation table available; returns its address and tracked range.
    func table(_ j: Int) -> (address: Int, range: Range<Int>) {
      if let base = cachedBase { return (base + layout.parameterOffsets[j], blobRange) }
      let size = layout.nTiles[j].width * ActivationParameters.entryBytes
      let buffer = weightDB * layout.maxBlockBytes + tableToggle * layout.maxParameterBytes
      tableToggle = (tableToggle + 1) % weightDB
      let range = buffer..<buffer + layout.maxParameterBytes
      load(
        .weightBuffer, sram: buffer, dram: blobAddress + layout.parameterOffsets[j], rows: 1, rowBytes: size,
        source: nil, target: range)
      stats[i].weightsStreamed += size
      return (buffer, range)
    }

    func multiply(
      input: FeatureMap, inputAccess: BufferAccess, window: Window, weight: (address: Int, stride: Int, range: Range<Int>),
      k: Int, n: Int, groups: Int, accRow: Int, accumulate: Bool, packing: WeightPacking, chunk: KChunk? = nil
    ) {
      let s = slot
      slot = slot == .first ? .second : .first
      // A ternary-grouped tile's level table follows its k rows.
      var levels = packing.hasLevels ? chunk.flatMap { w.levelGeometry($0) } : nil
      levels?.address = SRAMAddress(weight.address + k * weight.stride)
      compute(
        .loadWeights(
          LoadWeights(
            slot: s, wbAddress: SRAMAddress(weight.address), rows: k, columns: n, rowStrideBytes: weight.stride,
            packing: packing, levels: levels)),
        [.read(.weightBuffer, weight.range)])
      compute(
        .matmul(
          Matmul(
            input: input, window: window, inputZeroPoint: w.inputZeroPoint, weightSlot: s, columns: n, groups: groups,
            accRow: AccumulatorRow(accRow), accumulate: accumulate, dataflow: t.dataflow)),
        [inputAccess])
      stats[i].tiles += 1
      stats[i].peSlots += window.outputPixels * rows * columns
    }

    var spatialTile = 0
    for b in 0..<w.batchCount {
      for oh0 in stride(from: 0, to: w.outH, by: t.tileH) {
        for ow0 in stride(from: 0, to: w.outW, by: t.tileW) {
          let m = spatialTile
          spatialTile += 1
          let th = min(t.tileH, w.outH - oh0)
          let tw = min(t.tileW, w.outW - ow0)
          let p = th * tw
          let g = tileGeometry(
            oh0: oh0, ow0: ow0, th: th, tw: tw, strideH: w.strideH, strideW: w.strideW, kernelH: w.kernelH,
            kernelW: w.kernelW, dilationH: w.dilationH, dilationW: w.dilationW, padTop: w.padTop, padLeft: w.padLeft,
            inH: w.inH, inW: w.inW)
          func window(_ taps: TapGroup) -> Window {
            Window(
              outHeight: th, outWidth: tw, kernelHeight: taps.rows, kernelWidth: taps.cols, strideHeight: w.strideH,
              strideWidth: w.strideW, dilationHeight: w.dilationH, dilationWidth: w.dilationW,
              padTop: g.padTop - taps.row0 * w.dilationH, padLeft: g.padLeft - taps.col0 * w.dilationW)
          }
          if w.isDepthwise {
            for j in layout.nTiles.indices {
              let c0 = layout.nTiles[j].first / w.depthMultiplier
              let cc = layout.nTiles[j].width / w.depthMultiplier
              tile = TileCoordinate(m: m, n: j)
              let input: FeatureMap
              let inAccess: BufferAccess
              let direct = arenaInput(
                tensor: w.input, base: w.inputOffsets[b], width: w.inW, channels: w.inC, g: g, wholeRows: tw == w.outW,
                transposed: false)
              noteInput(
                inPlace: direct != nil, bytes: g.rows * g.cols * cc * eb, tensor: w.input, transposed: false,
                fullWidth: tw == w.outW)
              if let direct {
                input = FeatureMap(
                  address: SRAMAddress(direct.address), height: g.rows, width: w.inW, pixelStrideBytes: w.inC * eb,
                  channelOffset: c0, channelCount: cc)
                inAccess = direct.access
              } else {
                let inBuffer = buffers.input(inToggle)
                inToggle = (inToggle + 1) % db
                loadSlice(
                  tensor: w.input, base: w.inputOffsets[b], width: w.inW, channels: w.inC, g: g, c0: c0, count: cc,
                  buffer: inBuffer, bufferBytes: buffers.inputBytes)
                input = FeatureMap(
                  address: SRAMAddress(inBuffer), height: g.rows, width: g.cols, pixelStrideBytes: cc * eb,
                  channelCount: cc)
                inAccess = .read(.unifiedBuffer, inBuffer..<inBuffer + buffers.inputBytes)
              }
              for (c, chunk) in layout.chunks[j].enumerated() {
                tile = TileCoordinate(m: m, n: j, k: c)
                let weight = weights(j, c, chunk, batch: b)
                multiply(
                  input: input, inputAccess: inAccess, window: window(chunk.taps), weight: weight, k: chunk.rows,
                  n: layout.nTiles[j].width, groups: cc, accRow: 0, accumulate: c > 0, packing: w.weightPacking,
                  chunk: chunk)
              }
              let n = layout.nTiles[j].width
              let outBuffer = buffers.output(outToggle)
              outToggle = (outToggle + 1) % db
              tile = TileCoordinate(m: m, n: j)
              let params = table(j)
              compute(
                .activate(
                  Activate(
                    accRow: 0, height: th, width: tw, columns: n, paramAddress: SRAMAddress(params.address),
                    mode: e.mode, outputZeroPoint: e.outputZeroPoint, clamp: e.clamp,
                    destination: PixelDestination(
                      address: SRAMAddress(outBuffer), pixelStrideBytes: n * eb, rowStrideBytes: tw * n * eb))),
                [
                  .read(.weightBuffer, params.range),
                  .write(.unifiedBuffer, outBuffer..<outBuffer + buffers.outputBytes),
                ])
              storeMatrixTile(
                w, batch: b, oh0: oh0, ow0: ow0, th: th, tw: tw, c0: layout.nTiles[j].first, count: n, nTile: n,
                buffer: outBuffer, bufferBytes: buffers.outputBytes)
            }
            continue
          }
          let channelGroups = ceilDiv(w.inC, t.channelGroup)
          var loaded: (address: Int, range: Range<Int>)?
          // The whole slice read where the arena holds it (every channel group shares it).
          let direct = arenaInput(
            tensor: w.input, base: w.inputOffsets[b], width: w.inW, channels: w.inC, g: g, wholeRows: tw == w.outW,
            transposed: w.inputTransposed)
          noteInput(
            inPlace: direct != nil, bytes: g.rows * g.cols * w.inC * eb, tensor: w.input,
            transposed: w.inputTransposed, fullWidth: tw == w.outW)
          for g0 in stride(from: 0, to: layout.nTiles.count, by: t.nGroupTiles) {
            let group = g0..<min(g0 + t.nGroupTiles, layout.nTiles.count)
            var started = Set<Int>()
            for cg in 0..<channelGroups {
              let first = cg * t.channelGroup
              let count = min(t.channelGroup, w.inC - first)
              tile = TileCoordinate(m: m)
              if direct == nil && (channelGroups > 1 || loaded == nil) {
                let inBuffer = buffers.input(inToggle)
                inToggle = (inToggle + 1) % db
                loadSlice(
                  tensor: w.input, base: w.inputOffsets[b], width: w.inW, channels: w.inC, g: g, c0: first,
                  count: count, buffer: inBuffer, bufferBytes: buffers.inputBytes, transposed: w.inputTransposed)
                loaded = (inBuffer, inBuffer..<inBuffer + buffers.inputBytes)
              }
              let slice: (address: Int, access: BufferAccess, width: Int, pixelStride: Int, channel0: Int)
              if let direct {
                slice = (direct.address, direct.access, w.inW, w.inC * eb, 0)
              } else if let l = loaded {
                slice = (l.address, .read(.unifiedBuffer, l.range), g.cols, count * eb, first)
              } else {
                continue
              }
              for j in group {
                for (c, chunk) in layout.chunks[j].enumerated() where chunk.group == cg {
                  tile = TileCoordinate(m: m, n: j, k: c)
                  let input = FeatureMap(
                    address: SRAMAddress(slice.address), height: g.rows, width: slice.width,
                    pixelStrideBytes: slice.pixelStride, channelOffset: chunk.channel0 - slice.channel0,
                    channelCount: chunk.channels)
                  let weight = weights(j, c, chunk, batch: b)
                  let n = layout.nTiles[j].width
                  let accRow = (j - g0) * p
                  multiply(
                    input: input, inputAccess: slice.access, window: window(chunk.taps), weight: weight, k: chunk.rows,
                    n: n, groups: 1, accRow: accRow, accumulate: started.contains(j), packing: w.weightPacking,
                    chunk: chunk)
                  started.insert(j)
                  if let correction = layout.correction, let base = cachedBase {
                    multiply(
                      input: input, inputAccess: slice.access, window: window(chunk.taps),
                      weight: (base + correction.offset, correction.rowStride, blobRange), k: chunk.rows, n: n,
                      groups: 1, accRow: accRow, accumulate: true, packing: .int8)
                  }
                }
              }
            }
            let groupFirst = layout.nTiles[g0].first
            let groupChannels = group.reduce(0) { $0 + layout.nTiles[$1].width }
            let outBuffer = buffers.output(outToggle)
            outToggle = (outToggle + 1) % db
            for j in group {
              let n = layout.nTiles[j].width
              tile = TileCoordinate(m: m, n: j)
              let params = table(j)
              compute(
                .activate(
                  Activate(
                    accRow: AccumulatorRow((j - g0) * p), height: th, width: tw, columns: n,
                    paramAddress: SRAMAddress(params.address), mode: e.mode, outputZeroPoint: e.outputZeroPoint,
                    clamp: e.clamp,
                    destination: matrixDestination(
                      w, nTile: t.nTile, first: layout.nTiles[j].first, groupFirst: groupFirst,
                      groupChannels: groupChannels, tw: tw, buffer: outBuffer))),
                [
                  .read(.weightBuffer, params.range),
                  .write(.unifiedBuffer, outBuffer..<outBuffer + buffers.outputBytes),
                ])
            }
            tile = TileCoordinate(m: m)
            storeMatrixTile(
              w, batch: b, oh0: oh0, ow0: ow0, th: th, tw: tw, c0: groupFirst, count: groupChannels, nTile: t.nTile,
              buffer: outBuffer, bufferBytes: buffers.outputBytes)
          }
        }
      }
    }
  }

  // MARK: Vector-unit layers

  mutating func binary(_ b: BinaryWork) {
    guard let i = layer, let t = b.tiling else { preconditionFailure("binary layer without tiling") }
    let buffers = BinaryBuffers(b, t, eb)
    let rank = b.dims.count
    let inner = b.dims[rank - 1]
    let outer = rank >= 2 ? b.dims[rank - 2] : 1
    let leading = rank >= 2 ? Array(b.dims[0..<(rank - 2)]) : []
    var outStrides = [Int](repeating: 1, count: rank)
    for d in stride(from: rank - 2, through: 0, by: -1) { outStrides[d] = outStrides[d + 1] * b.dims[d + 1] }
    let aOuter = rank >= 2 ? b.aStrides[rank - 2] : 0
    let bOuter = rank >= 2 ? b.bStrides[rank - 2] : 0
    let aInner = b.aStrides[rank - 1]
    let bInner = b.bStrides[rank - 1]
    // issue 14: vops — SELECT's condition, a third operand (strides all 0 when absent).
    let cStrides = b.condition == nil ? [Int](repeating: 0, count: rank) : b.conditionStrides
    let cOuter = rank >= 2 ? cStrides[rank - 2] : 0
    let cInner = cStrides[rank - 1]
    var toggle = 0
    stats[i].largestTile = TileShape(outputHeight: t.outerTile, outputWidth: t.innerTile, reduction: 1, columns: 1)
    let total = leading.reduce(1, *)
    for flat in 0..<total {
      var rest = flat
      var aLead = 0
      var bLead = 0
      var cLead = 0
      var outLead = 0
      for d in stride(from: leading.count - 1, through: 0, by: -1) {
        let index = rest % leading[d]
        rest /= leading[d]
        aLead += index * b.aStrides[d]
        bLead += index * b.bStrides[d]
        cLead += index * cStrides[d]
        outLead += index * outStrides[d]
      }
      for o0 in stride(from: 0, to: outer, by: t.outerTile) {
        for i0 in stride(from: 0, to: inner, by: t.innerTile) {
          let to = min(t.outerTile, outer - o0)
          let ti = min(t.innerTile, inner - i0)
          func operand(_ tensor: TensorID, _ lead: Int, _ os: Int, _ inS: Int, _ buffer: Int, _ bytes: Int)
            -> (view: VectorView, range: Range<Int>, load: (rows: Int, rowBytes: Int, dram: Int, stride: Int))
          {
            let rowsLoaded = os == 0 ? 1 : to
            let cols = inS == 0 ? 1 : ti
            let dram = address(tensor) + (lead + o0 * os + i0 * inS) * eb
            let view = VectorView(
              address: SRAMAddress(buffer), outerStrideBytes: os == 0 ? 0 : cols * eb,
              innerStrideBytes: inS == 0 ? 0 : eb)
            return (view, buffer..<buffer + bytes, (rowsLoaded, cols * eb, dram, os * eb))
          }
          tile = TileCoordinate(m: stats[i].tiles)
          let a = operand(b.a, aLead, aOuter, aInner, buffers.a(toggle), buffers.aBytes)
          let bb = operand(b.b, bLead, bOuter, bInner, buffers.b(toggle), buffers.bBytes)
          let outBuffer = buffers.out(toggle)
          let outRange = outBuffer..<outBuffer + buffers.outBytes
          var operandLoads = [(a, b.a), (bb, b.b)]
          var conditionView: VectorView?
          if let c = b.condition {
            let cc = operand(c, cLead, cOuter, cInner, buffers.condition(toggle), buffers.conditionBytes)
            operandLoads.append((cc, c))
            conditionView = cc.view
          }
          for (x, tensor) in operandLoads {
            load(
              .unifiedBuffer, sram: x.view.address.byteOffset, sramStride: x.load.rowBytes, dram: x.load.dram,
              dramStride: x.load.stride, rows: x.load.rows, rowBytes: x.load.rowBytes, source: region(tensor),
              target: x.range)
          }
          let operands = BinaryOperands(
            a: a.view, b: bb.view,
            output: VectorView(address: SRAMAddress(outBuffer), outerStrideBytes: ti * eb, innerStrideBytes: eb),
            outer: to, inner: ti)
          let operation: VectorOperation
          switch (b.op, b.parameters) {
          case (.add, .add(let p)): operation = .add(operands, p)
          case (.sub, .add(let p)): operation = .sub(operands, p)
          case (.mul, .mul(let p)): operation = .mul(operands, p)
          // issue 14: vector binary/reduce
          case (.select, .function): operation = .binary(operands, .select(condition: conditionView ?? a.view))
          case (_, .function(let f)): operation = .binary(operands, f)
          default: preconditionFailure("\(b.op) with mismatched parameters")
          }
          compute(
            .vector(operation),
            operandLoads.map { .read(.unifiedBuffer, $0.0.range) } + [.write(.unifiedBuffer, outRange)])
          store(
            sram: outBuffer, sramStride: ti * eb, dram: address(b.output) + (outLead + o0 * inner + i0) * eb,
            dramStride: inner * eb, rows: to, rowBytes: ti * eb, source: outRange, target: region(b.output))
          stats[i].tiles += 1
          toggle = (toggle + 1) % buffers.count
        }
      }
    }
  }

  mutating func pool(_ p: PoolWork) {
    guard let i = layer, let t = p.tiling else { preconditionFailure("pool layer without tiling") }
    let buffers = PoolBuffers(p, t, eb)
    var toggle = 0
    stats[i].largestTile = TileShape(
      outputHeight: t.tileH, outputWidth: t.tileW, reduction: t.channels, columns: t.channels)
    var spatialTile = 0
    for b in 0..<p.batches {
      let inBase = b * p.inH * p.inW * p.channels
      let outBase = b * p.outH * p.outW * p.channels
      for oh0 in stride(from: 0, to: p.outH, by: t.tileH) {
        for ow0 in stride(from: 0, to: p.outW, by: t.tileW) {
          let m = spatialTile
          spatialTile += 1
          let th = min(t.tileH, p.outH - oh0)
          let tw = min(t.tileW, p.outW - ow0)
          let g = tileGeometry(
            oh0: oh0, ow0: ow0, th: th, tw: tw, strideH: p.strideH, strideW: p.strideW, kernelH: p.kernelH,
            kernelW: p.kernelW, dilationH: 1, dilationW: 1, padTop: p.padTop, padLeft: p.padLeft, inH: p.inH, inW: p.inW
          )
          for c0 in stride(from: 0, to: p.channels, by: t.channels) {
            let count = min(t.channels, p.channels - c0)
            tile = TileCoordinate(m: m, n: c0 / t.channels)
            let inBuffer = buffers.input(toggle)
            let outBuffer = buffers.output(toggle)
            toggle = (toggle + 1) % buffers.count
            loadSlice(
              tensor: p.input, base: inBase, width: p.inW, channels: p.channels, g: g, c0: c0, count: count,
              buffer: inBuffer, bufferBytes: buffers.inputBytes)
            let pool = Pool(
              input: FeatureMap(
                address: SRAMAddress(inBuffer), height: g.rows, width: g.cols, pixelStrideBytes: count * eb,
                channelCount: count),
              window: Window(
                outHeight: th, outWidth: tw, kernelHeight: p.kernelH, kernelWidth: p.kernelW, strideHeight: p.strideH,
                strideWidth: p.strideW, padTop: g.padTop, padLeft: g.padLeft),
              destination: PixelDestination(
                address: SRAMAddress(outBuffer), pixelStrideBytes: count * eb, rowStrideBytes: tw * count * eb),
              clamp: p.clamp)
            compute(
              .vector(p.isMax ? .maxPool(pool) : .avgPool(pool)),
              [
                .read(.unifiedBuffer, inBuffer..<inBuffer + buffers.inputBytes),
                .write(.unifiedBuffer, outBuffer..<outBuffer + buffers.outputBytes),
              ])
            storeTile(
              tensor: p.output, base: outBase, width: p.outW, channels: p.channels, oh0: oh0, ow0: ow0, th: th, tw: tw,
              c0: c0, count: count, buffer: outBuffer, bufferBytes: buffers.outputBytes)
            stats[i].tiles += 1
          }
        }
      }
    }
  }

  /// `vrequant` (or `vlut`) per block: load, compute, store. A `vlut` layer first loads its
  /// 256-byte table from the DRAM image into the start of the weight buffer's streaming region
  /// (a weight load: streamed parameter bytes).
  mutating func unary(_ u: UnaryWork) {
    guard let i = layer, let t = u.tiling else { preconditionFailure("unary layer without tiling") }
    let count = t.doubleBuffered ? 2 : 1
    let chunk = t.innerTile * eb
    var toggle = 0
    stats[i].largestTile = TileShape(outputHeight: 1, outputWidth: t.innerTile, reduction: 1, columns: 1)
    if let table = u.table {
      guard let tableAddress = plan.lookupTable[i] else { preconditionFailure("vlut layer without a table in DRAM") }
      load(
        .weightBuffer, sram: 0, dram: tableAddress, rows: 1, rowBytes: table.count, source: nil, target: 0..<table.count)
      stats[i].weightBytes = table.count
      stats[i].weightsStreamed += table.count
    }
    for i0 in stride(from: 0, to: u.count, by: t.innerTile) {
      let n = min(t.innerTile, u.count - i0)
      tile = TileCoordinate(m: stats[i].tiles)
      let inBuffer = 2 * toggle * chunk
      let outBuffer = inBuffer + chunk
      toggle = (toggle + 1) % count
      load(
        .unifiedBuffer, sram: inBuffer, dram: address(u.input) + i0 * eb, rows: 1, rowBytes: n * eb,
        source: region(u.input), target: inBuffer..<inBuffer + chunk)
      let operands = UnaryOperands(
        source: VectorView(address: SRAMAddress(inBuffer), outerStrideBytes: n * eb, innerStrideBytes: eb),
        output: VectorView(address: SRAMAddress(outBuffer), outerStrideBytes: n * eb, innerStrideBytes: eb), outer: 1,
        inner: n)
      var reads: [BufferAccess] = [.read(.unifiedBuffer, inBuffer..<inBuffer + chunk)]
      let operation: VectorOperation
      if let table = u.table {
        operation = .lookup(operands, table: SRAMAddress(0))
        reads.append(.read(.weightBuffer, 0..<table.count))
      } else {
        operation = .requantize(operands, u.parameters)
      }
      compute(.vector(operation), reads + [.write(.unifiedBuffer, outBuffer..<outBuffer + chunk)])
      store(
        sram: outBuffer, dram: address(u.output) + i0 * eb, rows: 1, rowBytes: n * eb,
        source: outBuffer..<outBuffer + chunk, target: region(u.output))
      stats[i].tiles += 1
    }
  }

  /// `vsoftmax` over tiles of whole rows: load a block of rows, normalise each, store it.
  mutating func softmax(_ u: SoftmaxWork) {
    guard let i = layer, let t = u.tiling else { preconditionFailure("softmax layer without tiling") }
    let count = t.doubleBuffered ? 2 : 1
    let rowBytes = u.depth * eb
    let chunk = t.outerTile * rowBytes
    var toggle = 0
    stats[i].largestTile = TileShape(outputHeight: t.outerTile, outputWidth: u.depth, reduction: 1, columns: 1)
    for r0 in stride(from: 0, to: u.rows, by: t.outerTile) {
      let n = min(t.outerTile, u.rows - r0)
      tile = TileCoordinate(m: stats[i].tiles)
      let inBuffer = 2 * toggle * chunk
      let outBuffer = inBuffer + chunk
      toggle = (toggle + 1) % count
      load(
        .unifiedBuffer, sram: inBuffer, dram: address(u.input) + r0 * rowBytes, rows: 1, rowBytes: n * rowBytes,
        source: region(u.input), target: inBuffer..<inBuffer + chunk)
      let operands = UnaryOperands(
        source: VectorView(address: SRAMAddress(inBuffer), outerStrideBytes: rowBytes, innerStrideBytes: eb),
        output: VectorView(address: SRAMAddress(outBuffer), outerStrideBytes: rowBytes, innerStrideBytes: eb), outer: n,
        inner: u.depth)
      compute(
        // issue 14: PRELU / L2_NORMALIZATION
        .vector(u.l2NormZeroPoint.map { .l2Normalize(operands, inputZeroPoint: $0) } ?? .softmax(operands, u.parameters)),
        [.read(.unifiedBuffer, inBuffer..<inBuffer + chunk), .write(.unifiedBuffer, outBuffer..<outBuffer + chunk)])
      store(
        sram: outBuffer, dram: address(u.output) + r0 * rowBytes, rows: 1, rowBytes: n * rowBytes,
        source: outBuffer..<outBuffer + chunk, target: region(u.output))
      stats[i].tiles += 1
    }
  }

  /// `vmean` per image and block of channels: load every pixel of the block (a strided 2-D
  /// load unless the block is all channels), reduce it to one row, store the row.
  mutating func mean(_ u: MeanWork) {
    guard let i = layer, let t = u.tiling else { preconditionFailure("mean layer without tiling") }
    // issue 14: vector binary/reduce
    if u.rowLanes { return meanRows(u, t, layer: i) }
    let count = t.doubleBuffered ? 2 : 1
    let inChunk = u.pixels * t.innerTile * eb
    let ob = u.outputBytes(eb)  // issue 14: argmax — 4- or 8-byte indices
    let outChunk = t.innerTile * ob
    var toggle = 0
    stats[i].largestTile = TileShape(outputHeight: 1, outputWidth: 1, reduction: u.pixels, columns: t.innerTile)
    for b in 0..<u.batches {
      for c0 in stride(from: 0, to: u.channels, by: t.innerTile) {
        let n = min(t.innerTile, u.channels - c0)
        tile = TileCoordinate(m: stats[i].tiles)
        let inBuffer = toggle * (inChunk + outChunk)
        let outBuffer = inBuffer + inChunk
        toggle = (toggle + 1) % count
        let image = address(u.input) + b * u.pixels * u.channels * eb
        if n == u.channels {
          load(
            .unifiedBuffer, sram: inBuffer, dram: image, rows: 1, rowBytes: u.pixels * n * eb, source: region(u.input),
            target: inBuffer..<inBuffer + inChunk)
        } else {
          load(
            .unifiedBuffer, sram: inBuffer, sramStride: n * eb, dram: image + c0 * eb, dramStride: u.channels * eb,
            rows: u.pixels, rowBytes: n * eb, source: region(u.input), target: inBuffer..<inBuffer + inChunk)
        }
        let operands = UnaryOperands(
          source: VectorView(address: SRAMAddress(inBuffer), outerStrideBytes: n * eb, innerStrideBytes: eb),
          output: VectorView(address: SRAMAddress(outBuffer), outerStrideBytes: n * ob, innerStrideBytes: ob),
          outer: u.pixels, inner: n)
        compute(
          .vector(u.operation(operands)),
          [.read(.unifiedBuffer, inBuffer..<inBuffer + inChunk), .write(.unifiedBuffer, outBuffer..<outBuffer + outChunk)])
        store(
          sram: outBuffer, dram: address(u.output) + (b * u.channels + c0) * ob, rows: 1, rowBytes: n * ob,
          source: outBuffer..<outBuffer + outChunk, target: region(u.output))
        stats[i].tiles += 1
      }
    }
  }

  // issue 14: vector binary/reduce
  /// `vmean` per block of whole rows (MEAN over the last axes): one contiguous load of the
  /// block, one `vmean` whose lanes each reduce a row (source inner stride = a row), one store
  /// of the block's means.
  mutating func meanRows(_ u: MeanWork, _ t: ElementwiseTiling, layer i: Int) {
    let count = t.doubleBuffered ? 2 : 1
    let inChunk = u.pixels * t.innerTile * eb
    let ob = u.outputBytes(eb)  // issue 14: argmax — 4- or 8-byte indices
    let outChunk = t.innerTile * ob
    var toggle = 0
    stats[i].largestTile = TileShape(outputHeight: 1, outputWidth: t.innerTile, reduction: u.pixels, columns: 1)
    for r0 in stride(from: 0, to: u.batches, by: t.innerTile) {
      let n = min(t.innerTile, u.batches - r0)
      tile = TileCoordinate(m: stats[i].tiles)
      let inBuffer = toggle * (inChunk + outChunk)
      let outBuffer = inBuffer + inChunk
      toggle = (toggle + 1) % count
      load(
        .unifiedBuffer, sram: inBuffer, dram: address(u.input) + r0 * u.pixels * eb, rows: 1,
        rowBytes: n * u.pixels * eb, source: region(u.input), target: inBuffer..<inBuffer + inChunk)
      let operands = UnaryOperands(
        source: VectorView(address: SRAMAddress(inBuffer), outerStrideBytes: eb, innerStrideBytes: u.pixels * eb),
        output: VectorView(address: SRAMAddress(outBuffer), outerStrideBytes: n * ob, innerStrideBytes: ob),
        outer: u.pixels, inner: n)
      compute(
        .vector(u.operation(operands)),
        [.read(.unifiedBuffer, inBuffer..<inBuffer + inChunk), .write(.unifiedBuffer, outBuffer..<outBuffer + outChunk)])
      store(
        sram: outBuffer, dram: address(u.output) + r0 * ob, rows: 1, rowBytes: n * ob,
        source: outBuffer..<outBuffer + outChunk, target: region(u.output))
      stats[i].tiles += 1
    }
  }

  mutating func copy(_ c: CopyWork) {
    guard let i = layer else { preconditionFailure("copy outside a layer") }
    let count = c.doubleBuffered ? 2 : 1
    let chunk = c.chunkBytes
    let output = address(c.output)
    let outputBytes = state.storageBytes(state.graph[c.output])
    var toggle = 0
    stats[i].largestTile = TileShape(outputHeight: 1, outputWidth: chunk / eb, reduction: 1, columns: 1)
    if let fill = plan.fill[i] {
      let buffer = 0
      load(
        .unifiedBuffer, sram: buffer, dram: fill.address, rows: 1, rowBytes: fill.bytes, source: nil,
        target: buffer..<buffer + chunk)
      let full = outputBytes / fill.bytes
      let rest = outputBytes % fill.bytes
      if full > 0 {
        store(
          sram: buffer, sramStride: 0, dram: output, dramStride: fill.bytes, rows: full, rowBytes: fill.bytes,
          source: buffer..<buffer + chunk, target: region(c.output))
      }
      if rest > 0 {
        store(
          sram: buffer, dram: output + full * fill.bytes, rows: 1, rowBytes: rest, source: buffer..<buffer + chunk,
          target: region(c.output))
      }
      toggle = 1 % count
    }
    for copy in c.copies {
      let source = address(copy.source)
      let destination = copy.destination ?? c.output
      let output = address(destination)
      let runBytes = copy.run * eb
      if runBytes <= chunk {
        let rowsPerChunk = chunk / runBytes
        for r0 in stride(from: 0, to: copy.rows, by: rowsPerChunk) {
          let n = min(rowsPerChunk, copy.rows - r0)
          tile = TileCoordinate(m: stats[i].tiles)
          let buffer = toggle * chunk
          toggle = (toggle + 1) % count
          let range = buffer..<buffer + chunk
          load(
            .unifiedBuffer, sram: buffer, sramStride: runBytes,
            dram: source + (copy.sourceOffset + r0 * copy.sourceStride) * eb, dramStride: copy.sourceStride * eb,
            rows: n, rowBytes: runBytes, source: region(copy.source), target: range)
          store(
            sram: buffer, sramStride: runBytes,
            dram: output + (copy.destinationOffset + r0 * copy.destinationStride) * eb,
            dramStride: copy.destinationStride * eb, rows: n, rowBytes: runBytes, source: range,
            target: region(destination))
          stats[i].tiles += 1
        }
      } else {
        let piece = chunk / eb
        for r in 0..<copy.rows {
          for e0 in stride(from: 0, to: copy.run, by: piece) {
            let n = min(piece, copy.run - e0)
            tile = TileCoordinate(m: stats[i].tiles)
            let buffer = toggle * chunk
            toggle = (toggle + 1) % count
            let range = buffer..<buffer + chunk
            load(
              .unifiedBuffer, sram: buffer, dram: source + (copy.sourceOffset + r * copy.sourceStride + e0) * eb,
              rows: 1,
              rowBytes: n * eb, source: region(copy.source), target: range)
            store(
              sram: buffer, dram: output + (copy.destinationOffset + r * copy.destinationStride + e0) * eb, rows: 1,
              rowBytes: n * eb, source: range, target: region(destination))
            stats[i].tiles += 1
          }
        }
      }
    }
  }

  // MARK: Host tasks

  func placement(_ id: TensorID) -> TensorPlacement {
    precondition(homes[id.index]?.backing == .dram, "host operand \(id) is not in DRAM (the arena planner pins them)")
    let t = state.graph[id]
    return TensorPlacement(
      tensor: id, name: t.name, shape: t.shape, elementType: t.elementType, address: DRAMAddress(address(id)),
      byteCount: state.storageBytes(t))
  }

  mutating func host(_ h: HostWork, _ l: Layer) {
    guard let i = layer else { preconditionFailure("host task outside a layer") }
    let inputs = h.inputs.map { $0.map(placement) }
    let outputs = h.outputs.map(placement)
    let index = HostTaskIndex(hostTasks.count)
    let task = HostTask(
      name: state.location(i), reads: inputs.compactMap { $0?.range }, writes: outputs.map(\.range),
      operations: state.hostOperations(ofOperator: i))
    let descriptor = HostTaskDescriptor(
      task: index, graph: 0, operatorIndex: i, opName: l.opName, inputs: inputs, outputs: outputs, reason: l.reason)
    hostTasks.append((task, descriptor))
    var accesses: [BufferAccess] = []
    for id in h.inputs.compactMap({ $0 }) { if let r = region(id) { accesses.append(.read(.dram, r.range)) } }
    for id in h.outputs { if let r = region(id) { accesses.append(.write(.dram, r.range)) } }
    compute(.host(index), accesses)
    stats[i].dramRead += inputs.compactMap { $0?.byteCount }.reduce(0, +)
    stats[i].dramWritten += outputs.map(\.byteCount).reduce(0, +)
    stats[i].tiles = 1
  }
}
