import Architecture
import GraphIR
import Support
import TileISA

/// One K chunk of a matrix layer: a tap rectangle × a channel range.
struct KChunk: Hashable {
  /// First input channel (absolute).
  var channel0: Int
  /// Channels in the chunk.
  var channels: Int
  /// The kernel taps.
  var taps: TapGroup
  /// The unified-buffer channel slice holding these channels (dense layers).
  var group: Int
  /// K: weight rows.
  var rows: Int { taps.taps * channels }
}

/// One weight tile of a layer: rows K × columns N', at `offset` in the layer's parameter blob.
struct WeightBlock {
  var chunk: KChunk
  var columns: Int
  var offset: Int
  var bytes: Int
}

/// How a matrix layer's parameters are laid out: activation tables, then weight tiles (or, for
/// BATCH_MATMUL, the zero-point correction tile), in one blob copied to DRAM and, when cached,
/// to the weight buffer.
struct WeightLayout {
  /// Output-channel tiles: first channel and width.
  var nTiles: [(first: Int, width: Int)]
  /// Byte offset of each n-tile's activation table in the blob.
  var parameterOffsets: [Int]
  /// The weight tiles of each n-tile, in matmul order (empty for BATCH_MATMUL: its tiles come
  /// from DRAM).
  var blocks: [[WeightBlock]]
  /// The K chunks of each n-tile, in matmul order.
  var chunks: [[KChunk]]
  /// BATCH_MATMUL: offset and row stride of the constant `−zero point` tile, when needed.
  var correction: (offset: Int, rowStride: Int)?
  /// The blob.
  var blob: [UInt8]
  /// The largest weight tile (streamed layers size their buffers by it).
  var maxBlockBytes: Int
  /// The largest n-tile's activation table.
  var maxParameterBytes: Int
}

/// Where a layer's parameters live on chip.
enum WeightResidence {
  /// The whole blob stays in the weight buffer at this offset for the inference.
  case cached(wbOffset: Int)
  /// The whole blob is loaded once at the layer's start, at the start of the streaming region.
  case layer
  /// Tiles and tables are loaded into rotating buffers before each use.
  case streamed(doubleBuffered: Bool)
}

/// The result of the allocate pass.
struct MemoryPlan {
  /// DRAM address of each stored tensor (by root tensor index).
  var tensorAddress: [Int: Int] = [:]
  /// Per matrix layer: its parameter layout, the blob's DRAM address and its residence.
  var weightLayouts: [Int: WeightLayout] = [:]
  var weightAddress: [Int: Int] = [:]
  var residence: [Int: WeightResidence] = [:]
  /// Per matrix layer: whether its streaming buffers (weight tiles, tables) are doubled.
  var weightDoubleBuffered: [Int: Bool] = [:]
  /// Per copy layer with a fill: the DRAM address and length of its fill bytes.
  var fill: [Int: (address: Int, bytes: Int)] = [:]
  /// Per `vlut` layer: the DRAM address of its 256-byte table.
  var lookupTable: [Int: Int] = [:]
  // issue 14: lstm
  /// Per on-chip LSTM layer: DRAM addresses of its weight blob, hidden state and cell state.
  var lstm: [Int: (blob: Int, hidden: Int, cell: Int)] = [:]
  /// Per on-chip LSTM layer whose weight blob is cached in the weight buffer (after the matrix
  /// layers' cached blobs): its weight-buffer offset. Absent: the blob is loaded into the
  /// streaming region at the layer's start.
  var lstmCachedOffset: [Int: Int] = [:]
  /// Per layer: unified-buffer bytes and accumulator rows its tiles use.
  var usage: [Int: SRAMUsage] = [:]
  /// Bytes at the start of the weight buffer reserved for streaming buffers.
  var streamRegionBytes = 0
  /// End of the cached weights in the weight buffer.
  var weightBufferEnd = 0
  /// The DRAM image and size.
  var dramImage = DRAMImage()
  var dramSize = 0
  /// Tensors the image holds (constants), by root index.
  var constantTensors: Set<Int> = []
  /// Arena offset of each activation kept on chip, by root index.
  var arenaOffset: [Int: Int] = [:]
  /// The arena the program declares: one past the highest byte an activation uses.
  var arenaSize = 0
  /// The arena's capacity: the unified buffer less the largest working need of any layer.
  var arenaCapacity = 0
  /// Where each activation root lives and why, and its live range (for the report).
  var homes: [Int: ActivationHome] = [:]
  var activations: [Int: ArenaBuffer] = [:]
  /// The spills, in the order the planner made them.
  var spills: [ArenaSpill] = []
}

/// Pass 4, allocate: lays out each matrix layer's parameters, decides which stay cached in the
/// weight buffer (in graph order while they fit beside the largest streaming double buffer),
/// sizes each layer's unified-buffer tiles and accumulator rows, plans the activation arena
/// (with `memory.activations = on-chip`: the unified buffer above the largest working need,
/// filled by `ArenaPlanner` over the whole program's live ranges), and places every other
/// tensor, parameter blob and fill pattern in DRAM (inputs first, then the constant image,
/// then activations that are not in the arena; 64-byte aligned).
struct AllocateMemory: LoweringPass {
  let name = PassName.allocate

  func run(_ s: inout LoweringState) throws(LoweringError) {
    var plan = MemoryPlan()
    let eb = s.elementBytes
    // 1. Parameter layouts.
    for (i, layer) in s.layers.enumerated() {
      guard case .matrix(let w) = layer.work, let t = w.tiling, let e = w.epilogue else { continue }
      plan.weightLayouts[i] = weightLayout(w, t, e, eb, writeConstants: s.options.writeConstants)
    }
    // 2. Cached or streamed.
    try placeWeights(&plan, s)
    // 3. Unified buffer and accumulator per layer.
    for (i, layer) in s.layers.enumerated() {
      plan.usage[i] = usage(layer.work, eb)
    }
    // 4. Activations: the arena above the working buffers, spills.
    planActivations(&plan, s)
    // 5. DRAM.
    placeDRAM(&plan, s)
    s.plan = plan
  }

  // MARK: Parameters

  /// Without `writeConstants` the weight tiles are zeros of the right size (timing-only programs).
  func weightLayout(_ w: MatrixWork, _ t: MatrixTiling, _ e: Epilogue, _ eb: Int, writeConstants: Bool = true) -> WeightLayout {
    let (nTiles, chunks) = w.kChunks(t)
    var blob: [UInt8] = []
    var parameterOffsets: [Int] = []
    var maxParameterBytes = 0
    if case .activation = w.weights {
      // BATCH_MATMUL: every channel has the same entry (bias 0, one multiplier), so one table of
      // the widest n-tile serves them all.
      let width = nTiles.map(\.width).max() ?? 0
      blob = ActivationParameters.table(Array(e.parameters.prefix(width)))
      parameterOffsets = nTiles.map { _ in 0 }
      maxParameterBytes = blob.count
    } else {
      for tile in nTiles {
        parameterOffsets.append(blob.count)
        let table = ActivationParameters.table(Array(e.parameters[tile.first..<tile.first + tile.width]))
        maxParameterBytes = max(maxParameterBytes, table.count)
        blob += table
      }
    }
    var blocks: [[WeightBlock]] = []
    var maxBlockBytes = 0
    var correction: (offset: Int, rowStride: Int)?
    switch w.weights {
    case .constant(let bytes):
      for (j, tile) in nTiles.enumerated() {
        var row: [WeightBlock] = []
        for chunk in chunks[j] {
          let block =
            writeConstants
            ? tileBytes(w, chunk, tile, bytes, eb)
            : [UInt8](repeating: 0, count: exactTileBytes(w, chunk, tile, eb))
          row.append(WeightBlock(chunk: chunk, columns: tile.width, offset: blob.count, bytes: block.count))
          maxBlockBytes = max(maxBlockBytes, block.count)
          blob += block
        }
        blocks.append(row)
      }
    case .activation(_, _, _, let zeroPoint):
      blocks = nTiles.map { _ in [] }
      let kMax = chunks.flatMap { $0 }.map(\.rows).max() ?? 1
      maxBlockBytes = kMax * t.nTile * eb
      if zeroPoint != 0 {
        let offset = blob.count
        let value = Int8(-Int(zeroPoint))
        let element: [UInt8] = eb == 1 ? [UInt8(bitPattern: value)] : floatElement(Float(value))
        for _ in 0..<(kMax * t.nTile) { blob += element }
        correction = (offset, t.nTile * eb)
      }
    }
    return WeightLayout(
      nTiles: nTiles, parameterOffsets: parameterOffsets, blocks: blocks, chunks: chunks, correction: correction,
      blob: blob, maxBlockBytes: maxBlockBytes, maxParameterBytes: maxParameterBytes)
  }

  /// Bytes of one weight tile: its rows, plus a `ternary-grouped` tile's level table.
  func exactTileBytes(_ w: MatrixWork, _ chunk: KChunk, _ tile: (first: Int, width: Int), _ eb: Int) -> Int {
    chunk.rows * w.weightRowBytes(tile.width, eb) + w.levelTableBytes(chunk, columns: tile.width)
  }

  /// One K × N' weight tile, row-major: row k = (tap row a · tap cols + tap col b) · channels + c.
  ///
  /// Packed layers (`weightPacking` int4 or int2) store each row in ⌈N'·bits / 8⌉ bytes, value n
  /// at bit n·bits, least significant bits first (`docs/isa.md` §3.2): what `load_weights …
  /// packing=` unpacks. `ternary-grouped` tiles store each weight's sign as an int2 code and
  /// append the level table (``MatrixWork/levelTable(_:_:_:)``; the tiling pass has checked
  /// that every tile has one).
  func tileBytes(
    _ w: MatrixWork, _ chunk: KChunk, _ tile: (first: Int, width: Int), _ source: ConstantWeights, _ eb: Int
  )
    -> [UInt8]
  {
    let rowBytes = w.weightRowBytes(tile.width, eb)
    var out = [UInt8](repeating: 0, count: chunk.rows * rowBytes)
    let bits = w.weightPacking.bits
    if w.weightPacking.hasLevels, case .int8(let values) = source {
      let table = w.levelTable(chunk, tile, values)
      precondition(table != nil, "ternary-grouped tile without a consistent level table (the tiling pass checks this)")
      values.withUnsafeBufferPointer { v in
        w.forEachTileEntry(chunk, tile) { element, position in
          let bit = (position % tile.width) * 2
          out[(position / tile.width) * rowBytes + bit / 8] |= (UInt8(bitPattern: v[element].signum()) & 0b11) << (bit % 8)
        }
      }
      return out + (table ?? [])
    }
    out.withUnsafeMutableBufferPointer { buffer in
      guard let out = buffer.baseAddress else { return }
      switch source {
      case .int8(let values) where w.weightPacking.isPacked:
        let mask = UInt8(truncatingIfNeeded: (1 << bits) - 1)
        values.withUnsafeBufferPointer { v in
          w.forEachTileEntry(chunk, tile) { element, position in
            let bit = (position % tile.width) * bits
            out[(position / tile.width) * rowBytes + bit / 8] |= (UInt8(bitPattern: v[element]) & mask) << (bit % 8)
          }
        }
      case .int8(let values):
        values.withUnsafeBufferPointer { v in
          w.forEachTileEntry(chunk, tile) { element, position in
            if eb == 1 {
              out[position] = UInt8(bitPattern: v[element])
            } else {
              storeFloat(Float(v[element]), out + position * 4)
            }
          }
        }
      case .float32(let values):
        values.withUnsafeBufferPointer { v in
          w.forEachTileEntry(chunk, tile) { element, position in
            if eb == 4 { storeFloat(v[element], out + position * 4) }
          }
        }
      }
    }
    return out
  }

  func placeWeights(_ plan: inout MemoryPlan, _ s: LoweringState) throws(LoweringError) {
    let capacity = Int(s.arch.weights.capacity.count)
    let layers = plan.weightLayouts.keys.sorted()
    func isActivation(_ i: Int) -> Bool {
      if case .matrix(let w) = s.layers[i].work, case .activation = w.weights { return true }
      return false
    }
    func blob(_ i: Int) -> Int { plan.weightLayouts[i]?.blob.count ?? 0 }
    /// Streaming-region bytes layer i needs when not cached: per-tile buffers (and, for
    /// BATCH_MATMUL, its tables and correction tile loaded once for the layer).
    func tileNeed(_ i: Int, _ db: Bool) -> Int {
      guard let l = plan.weightLayouts[i] else { return 0 }
      if isActivation(i) { return (db ? 2 : 1) * l.maxBlockBytes + l.blob.count }
      return (db ? 2 : 1) * (l.maxBlockBytes + l.maxParameterBytes)
    }
    func minimalNeed(_ i: Int) -> Int { isActivation(i) ? tileNeed(i, false) : min(tileNeed(i, false), blob(i)) }
    for i in layers where minimalNeed(i) > capacity {
      throw LoweringError(
        .doesNotFit, s.location(i),
        "smallest weight tile needs \(formatBytes(minimalNeed(i))) of weight buffer; \(s.arch.name) has \(formatBytes(capacity))"
      )
    }
    // `vlut` layers load their 256-byte table at the start of the streaming region.
    var lookupReserve =
      s.layers.contains {
        if case .unary(let u) = $0.work { return u.table != nil }
        return false
      } ? VectorOperation.lookupTableBytes : 0
    // issue 14: lstm: an on-chip LSTM loads its weight blob at the start of the streaming region.
    let lstmReserve = s.layers.map { layer -> Int in
      if case .lstm(let w) = layer.work { return w.blob.count }
      return 0
    }.max() ?? 0
    lookupReserve = max(lookupReserve, lstmReserve)
    // 1. Cache whole layers, in graph order, while every other layer can still stream beside them.
    let constants = layers.filter { !isActivation($0) }
    var cached: [Int] = []
    var cachedBytes = 0
    if s.options.cacheWeights {
      let activationReserve = max(layers.filter(isActivation).map(minimalNeed).max() ?? 0, lookupReserve)
      if constants.reduce(0, { $0 + blob($1) }) + activationReserve <= capacity {
        cached = constants
        cachedBytes = constants.reduce(0) { $0 + blob($1) }
      } else {
        let reserve = max(layers.map(minimalNeed).max() ?? 0, lookupReserve)
        for i in constants where cachedBytes + blob(i) + reserve <= capacity {
          cached.append(i)
          cachedBytes += blob(i)
        }
      }
    }
    // 2. The rest stream: a whole layer at once when it fits, else tile by tile.
    let available = capacity - cachedBytes
    var streamRegion = lookupReserve
    for i in layers where !cached.contains(i) {
      if isActivation(i) {
        let db = s.options.doubleBuffering && tileNeed(i, true) <= available
        plan.weightDoubleBuffered[i] = db
        plan.residence[i] = .streamed(doubleBuffered: db)
        streamRegion = max(streamRegion, tileNeed(i, db))
      } else if blob(i) <= available {
        plan.residence[i] = .layer
        streamRegion = max(streamRegion, blob(i))
      } else {
        let db = s.options.doubleBuffering && tileNeed(i, true) <= available
        plan.weightDoubleBuffered[i] = db
        plan.residence[i] = .streamed(doubleBuffered: db)
        streamRegion = max(streamRegion, tileNeed(i, db))
      }
    }
    var offset = streamRegion
    for i in cached {
      plan.residence[i] = .cached(wbOffset: offset)
      offset += blob(i)
    }
    // issue 14: lstm: on-chip LSTM blobs are cached after them while they fit (the streaming
    // region keeps its reserve, so an LSTM that does not fit still streams).
    if s.options.cacheWeights {
      for (i, layer) in s.layers.enumerated() {
        guard case .lstm(let w) = layer.work, offset + w.blob.count <= capacity else { continue }
        plan.lstmCachedOffset[i] = offset
        offset += w.blob.count
      }
    }
    precondition(offset <= capacity, "weights overflow the weight buffer: \(offset) > \(capacity)")
    plan.streamRegionBytes = streamRegion
    plan.weightBufferEnd = offset
  }

  // MARK: Unified buffer

  func usage(_ work: Work, _ eb: Int) -> SRAMUsage {
    switch work {
    case .matrix(let w):
      guard let t = w.tiling else { return SRAMUsage() }
      let buffers = MatrixBuffers(w, t, eb)
      return SRAMUsage(
        unifiedBufferBytes: buffers.total, weightBufferBytes: 0, accumulatorRows: buffers.accumulatorRows)
    case .binary(let b):
      guard let t = b.tiling else { return SRAMUsage() }
      return SRAMUsage(unifiedBufferBytes: BinaryBuffers(b, t, eb).total)
    case .pool(let p):
      guard let t = p.tiling else { return SRAMUsage() }
      return SRAMUsage(unifiedBufferBytes: PoolBuffers(p, t, eb).total)
    case .unary(let u):
      guard let t = u.tiling else { return SRAMUsage() }
      let table = u.table == nil ? 0 : VectorOperation.lookupTableBytes
      return SRAMUsage(unifiedBufferBytes: (t.doubleBuffered ? 4 : 2) * t.innerTile * eb, weightBufferBytes: table)
    case .softmax(let u):
      guard let t = u.tiling else { return SRAMUsage() }
      return SRAMUsage(unifiedBufferBytes: (t.doubleBuffered ? 4 : 2) * t.outerTile * t.innerTile * eb)
    case .mean(let u):
      guard let t = u.tiling else { return SRAMUsage() }
      // issue 14: argmax — an index output is 4 or 8 bytes per element.
      return SRAMUsage(
        unifiedBufferBytes: (t.doubleBuffered ? 2 : 1) * (t.outerTile * eb + u.outputBytes(eb)) * t.innerTile)
    case .copy(let c):
      return SRAMUsage(unifiedBufferBytes: (c.doubleBuffered ? 2 : 1) * c.chunkBytes)
    // issue 14: resize
    case .resize(let w):
      guard let t = w.tiling else { return SRAMUsage() }
      return SRAMUsage(unifiedBufferBytes: t.totalBytes(w, eb))
    // issue 14: lstm
    case .lstm(let w):
      return SRAMUsage(unifiedBufferBytes: w.unifiedBufferBytes, weightBufferBytes: w.blob.count, accumulatorRows: w.plan.batches)
    case .host, .alias, .fused:
      return SRAMUsage()
    }
  }

  // MARK: Activations

  /// Places the activations the policy keeps on chip in the arena: the unified buffer above
  /// the largest working need of any layer (so every layer's buffers at byte 0 stay below it),
  /// rounded down to the arena alignment. What does not fit spills to DRAM (`ArenaPlanner`).
  func planActivations(_ plan: inout MemoryPlan, _ s: LoweringState) {
    let liveness = ActivationLiveness(s)
    let ub = Int(s.arch.ub.capacity.count)
    let need = plan.usage.values.map(\.unifiedBufferBytes).max() ?? 0
    let alignment = ActivationLiveness.alignment(s.arch)
    let capacity = max(0, (ub - need) / alignment * alignment)
    let arena = ArenaPlanner.plan(
      liveness.candidates, capacity: capacity, alignment: alignment, name: { s.graph.tensors[$0].name })
    plan.arenaOffset = arena.offsets
    plan.arenaSize = arena.highWater
    plan.arenaCapacity = liveness.candidates.isEmpty ? 0 : capacity
    plan.activations = liveness.buffers
    plan.spills = arena.spills
    for (r, pin) in liveness.pinned { plan.homes[r] = .dram(pin.cause, pin.reason) }
    for spill in arena.spills { plan.homes[spill.buffer.id] = .dram(.spill, spill.reason) }
    for r in arena.offsets.keys { plan.homes[r] = .arena }
  }

  // MARK: DRAM

  func placeDRAM(_ plan: inout MemoryPlan, _ s: LoweringState) {
    var cursor = 0
    // The image's parts; written at the end as one segment (the constants are placed one after
    // the other, so one copy instead of a merge per part).
    var image: [(address: Int, bytes: [UInt8])] = []
    let write = s.options.writeConstants
    func place(_ bytes: Int) -> Int {
      let address = cursor
      cursor = align(cursor + max(bytes, 1), 64)
      return address
    }
    func placeTensor(_ id: TensorID) {
      let r = s.root(id)
      guard plan.tensorAddress[r.index] == nil, plan.arenaOffset[r.index] == nil else { return }
      let t = s.graph[r]
      let address = place(s.storageBytes(t))
      plan.tensorAddress[r.index] = address
      if t.isConstant, let data = t.data {
        plan.constantTensors.insert(r.index)
        if write { image.append((address, constantBytes(data, t, s))) }
      }
    }
    for id in s.graph.inputs { placeTensor(id) }
    // Constants the program reads from DRAM.
    var referenced: [TensorID] = []
    for (i, layer) in s.layers.enumerated() {
      switch layer.work {
      case .matrix(let w):
        referenced.append(w.input)
        if case .activation(let t, _, _, _) = w.weights { referenced.append(t) }
        referenced.append(w.output)
        if let l = plan.weightLayouts[i] {
          let address = place(l.blob.count)
          plan.weightAddress[i] = address
          if write { image.append((address, l.blob)) }
        }
      case .binary(let b): referenced += [b.a, b.b, b.output] + (b.condition.map { [$0] } ?? [])
      case .pool(let p): referenced += [p.input, p.output]
      case .unary(let u):
        referenced += [u.input, u.output]
        if let table = u.table {
          let address = place(table.count)
          plan.lookupTable[i] = address
          if write { image.append((address, table.map { UInt8(bitPattern: $0) })) }
        }
      case .softmax(let u): referenced += [u.input, u.output]
      case .mean(let u): referenced += [u.input, u.output]
      // issue 14: resize
      case .resize(let w): referenced += [w.input, w.output]
      // issue 14: lstm: the weight blob, then the state (hidden int8, cell int16) with its reset
      // values, kept between invocations (`CompiledModel.persistentRanges`).
      case .lstm(let w):
        referenced += [w.input, w.output]
        let blobAddress = place(w.blob.count)
        if write { image.append((blobAddress, w.blob)) }
        let hidden = w.plan.initialHidden.map { UInt8(bitPattern: $0) }
        let cell = w.plan.initialCell.flatMap { v -> [UInt8] in
          let bits = UInt16(bitPattern: v)
          return [UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8)]
        }
        let hiddenAddress = place(hidden.count)
        let cellAddress = place(cell.count)
        if write { image += [(hiddenAddress, hidden), (cellAddress, cell)] }
        plan.lstm[i] = (blobAddress, hiddenAddress, cellAddress)
      case .copy(let c):
        referenced += c.copies.map(\.source) + c.allOutputs
        if let fill = c.fill {
          let bytes = min(c.chunkBytes, s.storageBytes(s.graph[c.output]))
          let element: [UInt8] = s.elementBytes == 1 ? [UInt8(bitPattern: fill)] : floatElement(Float(fill))
          var pattern: [UInt8] = []
          pattern.reserveCapacity(bytes)
          while pattern.count < bytes { pattern += element }
          let address = place(bytes)
          plan.fill[i] = (address, bytes)
          if write { image.append((address, pattern)) }
        }
      case .host(let h): referenced += h.inputs.compactMap { $0 } + h.outputs
      case .alias, .fused: break
      }
    }
    for id in referenced where s.graph[s.root(id)].isConstant { placeTensor(id) }
    for id in referenced { placeTensor(id) }
    for id in s.graph.outputs { placeTensor(id) }
    plan.dramSize = align(max(cursor, 64), 64)
    if let start = image.map(\.address).min(), let end = image.map({ $0.address + $0.bytes.count }).max() {
      var bytes = [UInt8](repeating: 0, count: end - start)
      bytes.withUnsafeMutableBufferPointer { out in
        for part in image {
          part.bytes.withUnsafeBufferPointer { src in
            guard let base = out.baseAddress, let from = src.baseAddress else { return }
            (base + (part.address - start)).update(from: from, count: src.count)
          }
        }
      }
      plan.dramImage.write(bytes, at: DRAMAddress(start))
    }
  }

  /// A constant's bytes as DRAM holds them (int8 widened to float32 bit patterns on a float32
  /// datapath).
  func constantBytes(_ data: TensorData, _ t: Tensor, _ s: LoweringState) -> [UInt8] {
    if s.storageElementBytes(t) == 4, case .int8(let v) = data.storage {
      return littleEndianFloatBytes(v.map { Float($0) })
    }
    if s.storageElementBytes(t) == 4, case .uint8(let v) = data.storage {
      return littleEndianFloatBytes(v.map { Float($0) })
    }
    return data.littleEndianBytes()
  }
}

/// `value` rounded up to a multiple of `alignment`.
func align(_ value: Int, _ alignment: Int) -> Int { (value + alignment - 1) / alignment * alignment }

/// Floats as little-endian bytes, 4 each.
func littleEndianFloatBytes(_ values: [Float]) -> [UInt8] {
  var out = [UInt8](repeating: 0, count: values.count * 4)
  out.withUnsafeMutableBufferPointer { bytes in
    for (i, v) in values.enumerated() {
      let b = v.bitPattern
      bytes[4 * i] = UInt8(truncatingIfNeeded: b)
      bytes[4 * i + 1] = UInt8(truncatingIfNeeded: b >> 8)
      bytes[4 * i + 2] = UInt8(truncatingIfNeeded: b >> 16)
      bytes[4 * i + 3] = UInt8(truncatingIfNeeded: b >> 24)
    }
  }
  return out
}

/// A Float's 4 little-endian bytes.
func floatElement(_ value: Float) -> [UInt8] {
  let b = value.bitPattern
  return [
    UInt8(truncatingIfNeeded: b), UInt8(truncatingIfNeeded: b >> 8), UInt8(truncatingIfNeeded: b >> 16),
    UInt8(truncatingIfNeeded: b >> 24),
  ]
}

// MARK: - Unified-buffer layouts

/// The unified-buffer buffers of a matrix layer: input slices and output tiles, one or two of
/// each.
struct MatrixBuffers {
  var inputBytes: Int
  var outputBytes: Int
  var count: Int
  var accumulatorRows: Int

  init(_ w: MatrixWork, _ t: MatrixTiling, _ eb: Int) {
    let inRows = inputExtent(outputs: t.tileH, stride: w.strideH, kernel: w.kernelH, dilation: w.dilationH, size: w.inH)
    let inCols = inputExtent(outputs: t.tileW, stride: w.strideW, kernel: w.kernelW, dilation: w.dilationW, size: w.inW)
    let p = t.tileH * t.tileW
    inputBytes = inRows * inCols * t.channelGroup * eb
    let groupChannels = w.isDepthwise ? t.nTile : min(w.outC, t.nGroupTiles * t.nTile)
    outputBytes = p * groupChannels * eb
    count = t.doubleBuffered ? 2 : 1
    accumulatorRows = p * (w.isDepthwise ? 1 : t.nGroupTiles)
  }

  var total: Int { count * (inputBytes + outputBytes) }
  func input(_ k: Int) -> Int { k * inputBytes }
  func output(_ k: Int) -> Int { count * inputBytes + k * outputBytes }
}

/// The unified-buffer buffers of an elementwise layer: a, b and output blocks.
struct BinaryBuffers {
  var aBytes: Int, bBytes: Int, outBytes: Int
  // issue 14: vops
  /// SELECT's condition tile (0 for two-operand layers), between `b` and the output.
  var conditionBytes = 0
  var count: Int

  init(_ b: BinaryWork, _ t: ElementwiseTiling, _ eb: Int) {
    let rank = b.dims.count
    func bytes(_ strides: [Int]) -> Int {
      let rows = rank >= 2 && strides[rank - 2] != 0 ? t.outerTile : 1
      let cols = strides[rank - 1] != 0 ? t.innerTile : 1
      return rows * cols * eb
    }
    aBytes = bytes(b.aStrides)
    bBytes = bytes(b.bStrides)
    if b.condition != nil { conditionBytes = bytes(b.conditionStrides) }
    outBytes = t.outerTile * t.innerTile * eb
    count = t.doubleBuffered ? 2 : 1
  }

  var set: Int { aBytes + bBytes + conditionBytes + outBytes }
  var total: Int { count * set }
  func a(_ k: Int) -> Int { k * set }
  func b(_ k: Int) -> Int { k * set + aBytes }
  func condition(_ k: Int) -> Int { k * set + aBytes + bBytes }
  func out(_ k: Int) -> Int { k * set + aBytes + bBytes + conditionBytes }
}

/// The unified-buffer buffers of a pooling layer.
struct PoolBuffers {
  var inputBytes: Int, outputBytes: Int
  var count: Int

  init(_ p: PoolWork, _ t: PoolTiling, _ eb: Int) {
    let inRows = inputExtent(outputs: t.tileH, stride: p.strideH, kernel: p.kernelH, dilation: 1, size: p.inH)
    let inCols = inputExtent(outputs: t.tileW, stride: p.strideW, kernel: p.kernelW, dilation: 1, size: p.inW)
    inputBytes = inRows * inCols * t.channels * eb
    outputBytes = t.tileH * t.tileW * t.channels * eb
    count = t.doubleBuffered ? 2 : 1
  }

  var total: Int { count * (inputBytes + outputBytes) }
  func input(_ k: Int) -> Int { k * inputBytes }
  func output(_ k: Int) -> Int { count * inputBytes + k * outputBytes }
}
