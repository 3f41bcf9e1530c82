import Architecture
import GraphIR
import Support

/// One activation buffer the arena planner places: a tensor's storage (by storage root, so a
/// RESHAPE or SQUEEZE alias shares it) with its size and its live range in layer order.
struct ArenaBuffer: Hashable {
  /// The storage root's tensor index.
  var id: Int
  /// Bytes it occupies.
  var bytes: Int
  /// The first layer that writes it (its producer).
  var first: Int
  /// The last layer that reads (or writes) it; ≥ `first`.
  var last: Int
  /// Layers that read it.
  var readers: Int = 1

  /// Whether the two buffers are live in a common layer (inclusive ranges: a layer's inputs
  /// and outputs are live together, so they never share bytes).
  func overlaps(_ other: ArenaBuffer) -> Bool { first <= other.last && other.first <= last }

  /// Layers from the producer to the last reader: how long the buffer holds its bytes.
  var span: Int { last - first }

  /// The spill score, bytes × span ("size × next-use distance" for a whole-lifetime spill):
  /// the arena space-time the buffer holds. The planner spills the buffer with the highest
  /// score among those competing for the space: the long-lived skip connections and large
  /// tensors whose readers are far from their producer, not the short-lived layer-to-layer
  /// tensors that keep the array fed.
  var spillScore: Int { bytes * max(span, 1) }
}

/// Why a buffer went to DRAM though the policy keeps activations on chip.
struct ArenaSpill: Hashable {
  var buffer: ArenaBuffer
  /// The one-line reason, with the numbers.
  var reason: String
}

/// The result of planning: an arena offset per placed buffer, and the spills.
struct ArenaPlan {
  /// Arena byte offset of each placed buffer, by storage root.
  var offsets: [Int: Int] = [:]
  /// Buffers that did not fit, in the order they were spilled.
  var spills: [ArenaSpill] = []
  /// One past the highest byte any placed buffer uses (aligned): the arena size the program
  /// declares.
  var highWater = 0
}

/// Places activation buffers in an arena of fixed capacity by their live ranges over the whole
/// program, as TensorFlow Lite's `ArenaPlanner` does for CPU memory with its greedy-by-size
/// strategy (`simple_memory_arena.cc`): buffers in decreasing size, each at the lowest-waste
/// offset — the smallest gap between the buffers already placed that overlap it in time, else
/// just above them. Buffers whose live ranges do not overlap share bytes.
///
/// Unlike TFLite's arena, this one cannot grow: when a buffer does not fit below `capacity`,
/// the planner spills a buffer to DRAM — among the ones live with it and itself, the highest
/// `ArenaBuffer.spillScore` (bytes × layers it stays live), preferring a placed buffer whose
/// removal alone makes room — and retries until the buffer fits or is itself spilled. Stated
/// cost, not an optimum: spilling the buffer that holds the most arena space-time frees the
/// most room per DRAM byte moved for long-lived tensors.
enum ArenaPlanner {
  /// Plans `buffers` into `capacity` bytes, each offset a multiple of `alignment`; `name`
  /// names a buffer in the spill reasons.
  static func plan(
    _ buffers: [ArenaBuffer], capacity: Int, alignment: Int, name: (Int) -> String = { "#\($0)" }
  ) -> ArenaPlan {
    let alignment = max(1, alignment)
    let order = buffers.sorted { a, b in
      if a.bytes != b.bytes { return a.bytes > b.bytes }
      if a.first != b.first { return a.first < b.first }
      return a.id < b.id
    }
    var placed: [(buffer: ArenaBuffer, offset: Int)] = []
    var result = ArenaPlan()

    /// The lowest-waste offset for `b` among `others` (placed buffers; one index skipped).
    func bestOffset(_ b: ArenaBuffer, skipping skip: Int? = nil) -> Int {
      var live: [(offset: Int, end: Int)] = []
      for (k, p) in placed.enumerated() where k != skip && p.buffer.overlaps(b) {
        live.append((p.offset, p.offset + p.buffer.bytes))
      }
      live.sort { $0.offset < $1.offset }
      var cursor = 0
      var best: (offset: Int, gap: Int)?
      for l in live {
        let gap = l.offset - cursor
        if gap >= b.bytes && gap < (best?.gap ?? Int.max) { best = (cursor, gap) }
        cursor = max(cursor, align(l.end, alignment))
      }
      return best?.offset ?? cursor
    }

    for b in order {
      if b.bytes > capacity {
        result.spills.append(
          ArenaSpill(
            buffer: b,
            reason: "\(formatBytes(b.bytes)) is larger than the \(formatBytes(capacity)) arena"))
        continue
      }
      while true {
        let offset = bestOffset(b)
        if offset + b.bytes <= capacity {
          placed.append((b, offset))
          break
        }
        let rivals = placed.indices.filter { placed[$0].buffer.overlaps(b) }
        let enabling = rivals.filter { bestOffset(b, skipping: $0) + b.bytes <= capacity }
        let pool = enabling.isEmpty ? rivals : enabling
        let victim = pool.max { x, y in
          let (a, c) = (placed[x].buffer, placed[y].buffer)
          return (a.spillScore, a.bytes, a.id) < (c.spillScore, c.bytes, c.id)
        }
        let liveBytes = rivals.reduce(0) { $0 + placed[$1].buffer.bytes }
        let context =
          "does not fit the \(formatBytes(capacity)) arena beside \(formatBytes(liveBytes)) live in layers #\(b.first)–#\(b.last)"
        guard let v = victim, placed[v].buffer.spillScore > b.spillScore else {
          result.spills.append(
            ArenaSpill(
              buffer: b,
              reason:
                "\(context); bytes × live layers \(formatBytes(b.bytes)) × \(max(b.span, 1)) is the highest among them"))
          break
        }
        let spilled = placed.remove(at: v).buffer
        result.spills.append(
          ArenaSpill(
            buffer: spilled,
            reason:
              "made room for '\(name(b.id))' (\(formatBytes(b.bytes)), layers #\(b.first)–#\(b.last)) in the \(formatBytes(capacity)) arena: bytes × live layers \(formatBytes(spilled.bytes)) × \(max(spilled.span, 1)) is the highest of the tensors live with it"
          ))
      }
    }
    for p in placed {
      result.offsets[p.buffer.id] = p.offset
      result.highWater = max(result.highWater, align(p.offset + p.buffer.bytes, alignment))
    }
    return result
  }
}

/// Why an activation lives where it does.
enum ActivationHome: Hashable {
  /// In the arena (placed by `ArenaPlanner`).
  case arena
  /// In DRAM: a model input or output, a host task's operand, the policy, or a spill; with the
  /// reason.
  case dram(DRAMActivation.Cause, String)
}

/// The activation tensors of a program, by storage root, with their live ranges and which of
/// them must stay in DRAM whatever the policy.
struct ActivationLiveness {
  /// Buffers the arena may hold (not pinned to DRAM), in root order.
  var candidates: [ArenaBuffer] = []
  /// Roots that must be in DRAM, with the cause and reason.
  var pinned: [Int: (cause: DRAMActivation.Cause, reason: String)] = [:]
  /// Every activation root the program reads or writes (candidates and pinned), with its live
  /// range: for the report.
  var buffers: [Int: ArenaBuffer] = [:]

  /// The tensors layer `layer` reads and writes (constants included; aliases as themselves).
  static func accesses(_ work: Work) -> (reads: [TensorID], writes: [TensorID]) {
    switch work {
    case .matrix(let w):
      var reads = [w.input]
      if case .activation(let t, _, _, _) = w.weights { reads.append(t) }
      return (reads, [w.output])
    case .binary(let b): return ([b.a, b.b] + (b.condition.map { [$0] } ?? []), [b.output])
    case .pool(let p): return ([p.input], [p.output])
    case .unary(let u): return ([u.input], [u.output])
    case .softmax(let u): return ([u.input], [u.output])
    case .mean(let u): return ([u.input], [u.output])
    // issue 14: resize
    case .resize(let w): return ([w.input], [w.output])
    // issue 14: lstm
    case .lstm(let w): return ([w.input], [w.output])
    case .copy(let c): return (c.copies.map(\.source), c.allOutputs)
    case .host(let h): return (h.inputs.compactMap { $0 }, h.outputs)
    case .alias, .fused: return ([], [])
    }
  }

  /// The liveness of `s`'s layers (after legalize and fuse). With the `dram` policy every
  /// activation is pinned.
  init(_ s: LoweringState) {
    let graph = s.graph
    let inputs = Set(graph.inputs.map { s.root($0).index })
    let outputs = Set(graph.outputs.map { s.root($0).index })
    var first: [Int: Int] = [:]
    var last: [Int: Int] = [:]
    var writers: [Int: Int] = [:]
    var readers: [Int: Int] = [:]
    for (i, layer) in s.layers.enumerated() {
      let (reads, writes) = Self.accesses(layer.work)
      let isHost: Bool
      if case .host = layer.work { isHost = true } else { isHost = false }
      for (id, isWrite) in reads.map({ ($0, false) }) + writes.map({ ($0, true) }) {
        let r = s.root(id).index
        guard !graph.tensors[r].isConstant else { continue }
        first[r] = min(first[r] ?? i, i)
        last[r] = max(last[r] ?? i, i)
        if isWrite {
          writers[r, default: 0] += 1
        } else {
          readers[r, default: 0] += 1
        }
        if isHost && pinned[r] == nil {
          pinned[r] = (.host, "\(s.location(i)) runs on the host, which works on DRAM")
        }
      }
    }
    for r in first.keys.sorted() {
      guard let f = first[r], let l = last[r] else { continue }
      let buffer = ArenaBuffer(
        id: r, bytes: max(1, s.storageBytes(graph.tensors[r])), first: f, last: l, readers: readers[r] ?? 0)
      buffers[r] = buffer
      if inputs.contains(r) {
        pinned[r] = (.input, "model input: the host writes it to DRAM")
      } else if outputs.contains(r) {
        pinned[r] = (.output, "model output: the host reads it from DRAM")
      } else if pinned[r] != nil {
        continue
      } else if writers[r] == nil {
        pinned[r] = (.other, "no layer of the program writes it")
      } else if s.arch.memory.activations == .dram {
        pinned[r] = (.policy, "memory.activations = dram: every layer output round-trips through DRAM")
      } else {
        candidates.append(buffer)
      }
    }
  }

  /// The arena offset alignment for `arch`: its unified-buffer port width, at most 64 bytes
  /// (TFLite aligns tensors to 64 bytes; a narrower port gains nothing from more).
  static func alignment(_ arch: ArchSpec) -> Int { max(1, min(64, arch.ub.portBytesPerCycle)) }
}
