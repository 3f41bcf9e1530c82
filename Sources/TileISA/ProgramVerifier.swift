import Support

/// A problem the verifier found in a program.
public struct ProgramProblem: Hashable, Sendable, CustomStringConvertible {
  /// What kind of problem.
  public enum Kind: String, Hashable, Sendable {
    /// A program-level table is inconsistent (limits, DRAM image, bindings, host tasks, `finish`).
    case program
    /// An instruction's fields are invalid or exceed a memory or the array.
    case instruction
    /// The dependency-token protocol is violated (invalid flag, deadlock, unbalanced tokens).
    case tokens
    /// Data is read before anything writes it (on chip, in DRAM, or in a weight slot).
    case readBeforeWrite
  }

  /// What kind of problem.
  public var kind: Kind
  /// The instruction's index, when the problem is about one instruction.
  public var instruction: Int?
  /// Where: `instruction #4 (matmul)`, `output 0 'y'`, `program`.
  public var location: String
  /// What is wrong, with the numbers.
  public var message: String

  /// Creates a problem.
  public init(kind: Kind, instruction: Int?, location: String, message: String) {
    self.kind = kind
    self.instruction = instruction
    self.location = location
    self.message = message
  }

  /// `location: message`.
  public var description: String { "\(location): \(message)" }
}

/// The four token channels between adjacent queues.
public enum TokenChannel: Int, Hashable, Sendable, CaseIterable, CustomStringConvertible {
  /// load pushes (`push_next`), compute pops (`pop_prev`): loaded data is ready.
  case loadToCompute
  /// compute pushes (`push_prev`), load pops (`pop_next`): a buffer may be refilled.
  case computeToLoad
  /// compute pushes (`push_next`), store pops (`pop_prev`): results are ready.
  case computeToStore
  /// store pushes (`push_prev`), compute pops (`pop_next`): a buffer has been drained.
  case storeToCompute

  /// `load→compute`, ...
  public var description: String {
    switch self {
    case .loadToCompute: "load→compute"
    case .computeToLoad: "compute→load"
    case .computeToStore: "compute→store"
    case .storeToCompute: "store→compute"
    }
  }

  /// The channel a flag pops or pushes on `queue`, or nil when the flag is not valid there (the
  /// load queue has no previous queue, the store queue no next one).
  public static func channel(for flag: DependencyFlags, on queue: Queue) -> TokenChannel? {
    switch (queue, flag) {
    case (.load, .pushNext): .loadToCompute
    case (.load, .popNext): .computeToLoad
    case (.compute, .popPrev): .loadToCompute
    case (.compute, .pushPrev): .computeToLoad
    case (.compute, .pushNext): .computeToStore
    case (.compute, .popNext): .storeToCompute
    case (.store, .popPrev): .computeToStore
    case (.store, .pushPrev): .storeToCompute
    default: nil
    }
  }
}

/// Checks a program before it runs and reports every problem at once.
///
/// 1. Program tables: limits, the arena inside the unified buffer, the DRAM image,
///    input/output bindings and host tasks inside DRAM,
///    tile-table entries for existing instructions with non-negative indices, exactly one
///    `finish`, at the end.
/// 2. Each instruction: fields in range, every address range inside its memory (the unified
///    buffer's working region below the arena; the arena for arena transfers), K ≤ array rows,
///    N ≤ array columns, accumulator rows in range, layer and host-task indices in range.
/// 3. Tokens: each flag valid for its queue; the three queues, each in order, can run to the end
///    in some interleaving without popping an empty channel; every channel is empty at the end.
/// 4. Data, in program order: no read of a byte nothing has written (the DRAM image and the
///    inputs count as written), no `matmul` beyond its slot's loaded tile, every output byte
///    written by the end.
public enum ProgramVerifier {
  /// Every problem in `program`, in the order of the checks above.
  public static func verify(_ program: TileProgram) -> [ProgramProblem] {
    verify(program, includingData: true)
  }

  /// The problems of checks 1–3, and of check 4 when `includingData`.
  ///
  /// `includingData: false` skips check 4, the most expensive (about four fifths of the
  /// verifier's time on ResNet-50); sweeps use it, since checks 1–3 are what the timing
  /// simulation relies on.
  public static func verify(_ program: TileProgram, includingData: Bool) -> [ProgramProblem] {
    var problems: [ProgramProblem] = []
    checkTables(program, &problems)
    let valid = checkInstructions(program, &problems)
    checkTokens(program, &problems)
    if includingData { checkData(program, valid: valid, &problems) }
    return problems
  }

  static func location(_ index: Int, _ instruction: Instruction) -> String {
    "instruction #\(index) (\(instruction.mnemonic))"
  }

  // MARK: 1. Tables

  private static func checkTables(_ program: TileProgram, _ problems: inout [ProgramProblem]) {
    func report(_ location: String, _ message: String) {
      problems.append(ProgramProblem(kind: .program, instruction: nil, location: location, message: message))
    }
    let limits = program.limits
    let dramSize = program.dramSize.count
    if limits.unifiedBuffer.count < 0 { report("limits", "unified buffer size \(limits.unifiedBuffer.count) is negative") }
    if limits.weightBuffer.count < 0 { report("limits", "weight buffer size \(limits.weightBuffer.count) is negative") }
    if limits.accumulatorRows < 1 { report("limits", "accumulator rows must be ≥ 1, got \(limits.accumulatorRows)") }
    if limits.arrayRows < 1 { report("limits", "array rows must be ≥ 1, got \(limits.arrayRows)") }
    if limits.arrayColumns < 1 { report("limits", "array columns must be ≥ 1, got \(limits.arrayColumns)") }
    if dramSize < 0 { report("program", "DRAM size \(dramSize) is negative") }
    let arena = program.arenaSize.count
    if arena < 0 {
      report("program", "arena size \(arena) is negative")
    } else if arena > limits.unifiedBuffer.count && limits.unifiedBuffer.count >= 0 {
      report(
        "program",
        "arena of \(hex(Int(clamping: arena))) bytes exceeds the unified buffer's \(hex(Int(clamping: limits.unifiedBuffer.count))) bytes")
    }
    if let last = program.dramImage.segments.last, Int64(last.end.byteOffset) > dramSize {
      report("DRAM image", "ends at \(last.end), beyond the DRAM size \(hex(Int(dramSize)))")
    }
    for (kind, bindings) in [("input", program.inputs), ("output", program.outputs)] {
      for (i, binding) in bindings.enumerated() {
        let location = "\(kind) \(i) '\(binding.name)'"
        guard let bytes = binding.checkedByteCount else {
          report(location, "shape \(binding.shape) has a negative dimension or too many elements")
          continue
        }
        checkDRAM(binding.address.byteOffset, bytes, dramSize: dramSize, location: location, what: "tensor", report)
      }
    }
    for (i, task) in program.hostTasks.enumerated() {
      let location = "host task \(i) '\(task.name)'"
      if task.operations < 0 { report(location, "operation count \(task.operations) is negative") }
      for (what, ranges) in [("reads", task.reads), ("writes", task.writes)] {
        for range in ranges {
          checkDRAM(range.start.byteOffset, range.byteCount, dramSize: dramSize, location: location, what: what, report)
        }
      }
    }
    var badTiles: [(index: Int, message: String)] = []
    for (index, tile) in program.tiles {
      if !program.instructions.indices.contains(index) {
        badTiles.append((index, "entry for instruction #\(index), but the program has \(program.instructions.count) instructions"))
      } else if (tile.m ?? 0) < 0 || (tile.n ?? 0) < 0 || (tile.k ?? 0) < 0 {
        badTiles.append((index, "instruction #\(index): negative tile index in '\(tile)'"))
      }
    }
    for bad in badTiles.sorted(by: { $0.index < $1.index }) { report("tile table", bad.message) }
    let finishes = program.instructions.indices.filter {
      if case .finish = program.instructions[$0].operation { true } else { false }
    }
    if finishes.isEmpty {
      report("program", "has no finish instruction (it must be the last)")
    } else if let first = finishes.first, first != program.instructions.count - 1 {
      report("instruction #\(first) (finish)", "finish must be the last instruction; \(program.instructions.count - 1 - first) follow it")
    }
  }

  private static func checkDRAM(
    _ start: Int, _ count: Int, dramSize: Int64, location: String, what: String, _ report: (String, String) -> Void
  ) {
    if start < 0 || count < 0 {
      report(location, "\(what) \(hex(start))+\(count) has a negative address or length")
    } else if let end = Checked.add(start, count) {
      if Int64(end) > dramSize {
        report(location, "\(what) \(hex(start))..<\(hex(end)) exceeds the DRAM size \(hex(Int(dramSize)))")
      }
    } else {
      report(location, "\(what) \(hex(start))+\(count) overflows")
    }
  }

  // MARK: 2. Instructions

  /// Reports static problems; returns which instructions have none (the data check skips the rest).
  private static func checkInstructions(_ program: TileProgram, _ problems: inout [ProgramProblem]) -> [Bool] {
    let context = CheckContext(
      limits: program.limits, datapath: program.datapath, hostTaskCount: program.hostTasks.count,
      arenaBytes: Int(clamping: max(0, program.arenaSize.count)))
    var valid: [Bool] = []
    valid.reserveCapacity(program.instructions.count)
    for (index, instruction) in program.instructions.enumerated() {
      var messages = instruction.operation.staticProblems(context)
      if case .load(let d) = instruction.operation { messages += backingProblems(d, program) }
      if case .store(let d) = instruction.operation { messages += backingProblems(d, program) }
      if let layer = instruction.layer, layer.value < 0 || layer.value >= program.layers.count {
        messages.append("layer \(layer.value) out of range (the program has \(program.layers.count) layers)")
      }
      for message in messages {
        problems.append(ProgramProblem(kind: .instruction, instruction: index, location: location(index, instruction), message: message))
      }
      valid.append(messages.isEmpty)
    }
    return valid
  }

  /// The backing side of a transfer against the program's DRAM or arena size.
  private static func backingProblems(_ d: DMA2D, _ program: TileProgram) -> [String] {
    guard d.rows >= 1, d.rowBytes >= 1, d.dramStrideBytes >= 0, d.dramAddress.byteOffset >= 0 else { return [] }
    var p = ProblemList()
    if d.resident && (d.memory != .weightBuffer || d.backing != .dram) {
      p.messages.append("resident is only for DRAM → weight-buffer loads (parameters kept across inferences)")
    }
    if d.hostLink && (d.memory != .unifiedBuffer || d.backing != .dram || d.resident) {
      p.messages.append("host_link is only for transfers between DRAM and the unified buffer (network inputs and outputs)")
    }
    p.inside(
      Checked.span(start: d.dramAddress.byteOffset, count: d.rows, stride: d.dramStrideBytes, length: d.rowBytes),
      d.backing.space, capacity: capacity(of: d.backing.space, program), what: "\(d.backing) range")
    return p.messages
  }

  // MARK: 3. Tokens

  private static func checkTokens(_ program: TileProgram, _ problems: inout [ProgramProblem]) {
    let instructions = program.instructions
    var queues: [Queue: [Int]] = [:]
    for (index, instruction) in instructions.enumerated() {
      for (flag, name) in DependencyFlags.named where instruction.dependencies.contains(flag) {
        if TokenChannel.channel(for: flag, on: instruction.queue) == nil {
          let side = flag == .popPrev || flag == .pushPrev ? "previous" : "next"
          problems.append(
            ProgramProblem(
              kind: .tokens, instruction: index, location: location(index, instruction),
              message: "\(name) is not valid on the \(instruction.queue) queue (it has no \(side) queue)"))
        }
      }
      queues[instruction.queue, default: []].append(index)
    }
    // Run the three queues as concurrent in-order processes. Each channel has one consumer
    // queue, so running any ready head never disables another: if this greedy run blocks, every
    // interleaving does.
    var tokens = [Int](repeating: 0, count: TokenChannel.allCases.count)
    var heads: [Queue: Int] = [:]
    func pops(_ i: Int) -> [TokenChannel] {
      [DependencyFlags.popPrev, .popNext].filter { instructions[i].dependencies.contains($0) }.compactMap {
        TokenChannel.channel(for: $0, on: instructions[i].queue)
      }
    }
    func pushes(_ i: Int) -> [TokenChannel] {
      [DependencyFlags.pushPrev, .pushNext].filter { instructions[i].dependencies.contains($0) }.compactMap {
        TokenChannel.channel(for: $0, on: instructions[i].queue)
      }
    }
    var progress = true
    while progress {
      progress = false
      for queue in Queue.allCases {
        let list = queues[queue] ?? []
        while let position = Optional(heads[queue, default: 0]), position < list.count {
          let i = list[position]
          let needed = pops(i)
          guard needed.allSatisfy({ tokens[$0.rawValue] > 0 }) else { break }
          for c in needed { tokens[c.rawValue] -= 1 }
          for c in pushes(i) { tokens[c.rawValue] += 1 }
          heads[queue] = position + 1
          progress = true
        }
      }
    }
    var blocked = false
    for queue in Queue.allCases {
      let list = queues[queue] ?? []
      let position = heads[queue, default: 0]
      guard position < list.count else { continue }
      blocked = true
      let i = list[position]
      let missing = pops(i).filter { tokens[$0.rawValue] == 0 }.map(\.description).joined(separator: " and ")
      problems.append(
        ProgramProblem(
          kind: .tokens, instruction: i, location: location(i, instructions[i]),
          message: "waits for a \(missing) token that is never pushed (deadlock: \(list.count - position) \(queue)-queue instructions cannot run)"))
    }
    guard !blocked else { return }
    for channel in TokenChannel.allCases where tokens[channel.rawValue] != 0 {
      let n = tokens[channel.rawValue]
      problems.append(
        ProgramProblem(
          kind: .tokens, instruction: nil, location: "program",
          message: "\(n) \(channel) token\(n == 1 ? "" : "s") pushed but never popped"))
    }
  }

  // MARK: 4. Data

  private static func checkData(_ program: TileProgram, valid: [Bool], _ problems: inout [ProgramProblem]) {
    var written: [MemorySpace: ByteCoverage] = [:]
    var dram = ByteCoverage()
    let dramCapacity = capacity(of: .dram, program)
    for segment in program.dramImage.segments {
      dram.insert((segment.address.byteOffset..<segment.end.byteOffset).clamped(to: 0..<dramCapacity))
    }
    for binding in program.inputs {
      if let bytes = binding.checkedByteCount, binding.address.byteOffset >= 0, binding.address.byteOffset <= Int.max - bytes {
        dram.insert((binding.address.byteOffset..<binding.address.byteOffset + bytes).clamped(to: 0..<dramCapacity))
      }
    }
    written[.dram] = dram
    var slots: [WeightSlot: (rows: Int, columns: Int)] = [:]
    for (index, instruction) in program.instructions.enumerated() {
      guard valid[index] else {
        // Already reported: assume it wrote what it names, so one bad instruction makes one report.
        if case .loadWeights(let w) = instruction.operation { slots[w.slot] = (max(w.rows, 0), max(w.columns, 0)) }
        for (space, span) in approximateWrites(instruction, program) {
          let range = span.clamped(to: 0..<capacity(of: space, program))
          if !range.isEmpty { written[space, default: ByteCoverage()].insert(range) }
        }
        continue
      }
      let here = location(index, instruction)
      if case .matmul(let m) = instruction.operation {
        let slot = slots[m.weightSlot] ?? (0, 0)
        if m.reductionSize > slot.rows || m.columns > slot.columns {
          let holds = slot.rows == 0 ? "was never loaded" : "holds a \(slot.rows)×\(slot.columns) tile"
          problems.append(
            ProgramProblem(
              kind: .readBeforeWrite, instruction: index, location: here,
              message: "uses \(m.reductionSize)×\(m.columns) weights but slot \(m.weightSlot) \(holds)"))
        }
      }
      if case .loadWeights(let w) = instruction.operation { slots[w.slot] = (w.rows, w.columns) }
      let accesses = instruction.uncheckedMemoryAccesses(
        limits: program.limits, datapath: program.datapath, hostTasks: program.hostTasks,
        arenaBytes: Int(clamping: max(0, program.arenaSize.count)))
      for access in accesses where access.kind == .read {
        let coverage = written[access.space] ?? ByteCoverage()
        let capacity = capacity(of: access.space, program)
        for range in access.ranges.map({ $0.clamped(to: 0..<capacity) }) where !range.isEmpty {
          if let missing = coverage.firstMissing(in: range) {
            problems.append(
              ProgramProblem(
                kind: .readBeforeWrite, instruction: index, location: here,
                message: "reads \(describe(missing, in: access.space, range: range, limits: program.limits)) before anything writes it"))
            break
          }
        }
      }
      for access in accesses where access.kind == .write {
        let capacity = capacity(of: access.space, program)
        for range in access.ranges.map({ $0.clamped(to: 0..<capacity) }) where !range.isEmpty {
          written[access.space, default: ByteCoverage()].insert(range)
        }
      }
    }
    let final = written[.dram] ?? ByteCoverage()
    for (i, binding) in program.outputs.enumerated() {
      guard let bytes = binding.checkedByteCount, binding.address.byteOffset >= 0, binding.address.byteOffset <= Int.max - bytes
      else { continue }
      let range = binding.address.byteOffset..<binding.address.byteOffset + bytes
      if let missing = final.firstMissing(in: range) {
        problems.append(
          ProgramProblem(
            kind: .readBeforeWrite, instruction: nil, location: "output \(i) '\(binding.name)'",
            message: "DRAM byte \(hex(missing)) of \(hex(range.lowerBound))..<\(hex(range.upperBound)) is never written"))
      }
    }
  }

  /// A bounding span of each memory an invalid instruction would write (computed in O(1),
  /// overflow-checked; empty when even that fails).
  private static func approximateWrites(_ instruction: Instruction, _ program: TileProgram) -> [(MemorySpace, Range<Int>)] {
    let eb = program.datapath.elementBytes
    let rowBytes = Checked.mul(program.limits.arrayColumns, 4) ?? 0
    func rows(_ start: AccumulatorRow, _ count: Int?) -> Range<Int>? {
      guard let count, let first = Checked.mul(start.index, rowBytes), let bytes = Checked.mul(count, rowBytes),
        let end = Checked.add(first, bytes), first <= end
      else { return nil }
      return first..<end
    }
    func grid(_ d: PixelDestination, _ height: Int, _ width: Int, _ channels: Int) -> Range<Int>? {
      guard height >= 1, width >= 1, channels >= 1, let length = Checked.mul(channels, eb),
        let rows = Checked.span(start: d.address.byteOffset, count: height, stride: d.rowStrideBytes, length: 1),
        let last = Checked.span(start: rows.upperBound - 1, count: width, stride: d.pixelStrideBytes, length: length),
        d.address.byteOffset <= last.upperBound
      else { return nil }
      return d.address.byteOffset..<last.upperBound
    }
    func view(_ v: VectorView, _ outer: Int, _ inner: Int) -> Range<Int>? {
      guard outer >= 1, inner >= 1,
        let rows = Checked.span(start: v.address.byteOffset, count: outer, stride: v.outerStrideBytes, length: 1),
        let last = Checked.span(start: rows.upperBound - 1, count: inner, stride: v.innerStrideBytes, length: eb),
        v.address.byteOffset <= last.upperBound
      else { return nil }
      return v.address.byteOffset..<last.upperBound
    }
    var out: [(MemorySpace, Range<Int>?)] = []
    switch instruction.operation {
    case .load(let d):
      if d.rows >= 1 {
        out.append((d.memory.space, Checked.span(start: d.sramAddress.byteOffset, count: d.rows, stride: d.sramStrideBytes, length: d.rowBytes)))
      }
    case .store(let d):
      if d.rows >= 1 {
        out.append(
          (d.backing.space, Checked.span(start: d.dramAddress.byteOffset, count: d.rows, stride: d.dramStrideBytes, length: d.rowBytes)))
      }
    case .matmul(let m):
      out.append((.accumulator, rows(m.accRow, Checked.mul(m.window.outHeight, m.window.outWidth))))
    case .activate(let a):
      out.append((.unifiedBuffer, grid(a.destination, a.height, a.width, a.columns.multipliedSaturating(by: a.mode.outputElementBytes))))
    case .vector(let v):
      switch v {
      case .add(let o, _), .sub(let o, _), .mul(let o, _): out.append((.unifiedBuffer, view(o.output, o.outer, o.inner)))
      case .requantize(let o, _), .softmax(let o, _), .copy(let o), .lookup(let o, _), .l2Normalize(let o, _):
        out.append((.unifiedBuffer, view(o.output, o.outer, o.inner)))
      case .mean(let o, _): out.append((.unifiedBuffer, view(o.output, 1, o.inner)))
      // issue 14: vector binary/reduce
      case .binary(let o, _): out.append((.unifiedBuffer, view(o.output, o.outer, o.inner)))
      // issue 14: argmax (an index output is 4 or 8 bytes per element: the last one reaches further)
      case .reduce(let o, let f, _):
        let wider = max(0, (f.indexBytes ?? eb) - eb)
        out.append((.unifiedBuffer, view(o.output, 1, o.inner).map { $0.lowerBound..<$0.upperBound + wider }))
      // issue 14: lstm (the cell state's last element is int16: one element width further)
      case .lstmCell(let l):
        out.append((.unifiedBuffer, view(l.hidden, l.outer, l.inner)))
        let wider = max(0, LSTMCell.stateElementBytes - eb)
        out.append((.unifiedBuffer, view(l.cell, l.outer, l.inner).map { $0.lowerBound..<$0.upperBound + wider }))
      case .maxPool(let p), .avgPool(let p):
        out.append((.unifiedBuffer, grid(p.destination, p.window.outHeight, p.window.outWidth, p.input.channelCount)))
      // issue 14: resize
      case .resize(let z):
        out.append((.unifiedBuffer, grid(z.destination, z.outputRows, z.outputWidth, z.input.channelCount)))
      }
    case .host(let index):
      if program.hostTasks.indices.contains(index.value) {
        for r in program.hostTasks[index.value].writes {
          out.append((.dram, Checked.add(r.start.byteOffset, r.byteCount).flatMap { $0 >= r.start.byteOffset ? r.start.byteOffset..<$0 : nil }))
        }
      }
    case .loadWeights, .nop, .finish:
      break
    }
    return out.compactMap { space, range in range.map { (space, $0) } }
  }

  /// The bytes of a memory (0 for a nonsensical size; the table check reports it).
  private static func capacity(of space: MemorySpace, _ program: TileProgram) -> Int {
    switch space {
    case .dram: Int(clamping: max(0, program.dramSize.count))
    case .arena: min(Int(clamping: max(0, program.arenaSize.count)), max(0, Int(clamping: program.limits.unifiedBuffer.count)))
    case .unifiedBuffer: program.workingUnifiedBufferBytes
    case .weightBuffer: max(0, Int(clamping: program.limits.weightBuffer.count))
    case .accumulator:
      max(0, Checked.mul(program.limits.accumulatorRows, Checked.mul(program.limits.arrayColumns, 4) ?? 0) ?? 0)
    }
  }

  private static func describe(_ byte: Int, in space: MemorySpace, range: Range<Int>, limits: MemoryLimits) -> String {
    if space == .accumulator {
      let rowBytes = limits.arrayColumns * 4
      return "accumulator row \(byte / rowBytes) column \((byte % rowBytes) / 4)"
    }
    return "\(space) byte \(hex(byte)) (of \(hex(range.lowerBound))..<\(hex(range.upperBound)))"
  }
}
