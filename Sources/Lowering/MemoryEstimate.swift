import Architecture
import GraphIR
import Support
import TileISA

/// How much memory a compilation, and what its caller does with the program, may use.
///
/// The compiler checks its `MemoryEstimate` against `limitBytes` after tiling and before it
/// allocates anything in proportion to the program (`allocate`, `schedule`, `emit`); over the
/// limit it throws `LoweringError` `.exceedsMemoryLimit` with the estimate and what to change.
public struct MemoryBudget: Sendable, Hashable {
  /// The most bytes the estimate may reach (`--max-memory`).
  public var limitBytes: Int
  /// Bytes per instruction that whatever runs the program keeps on top of the compiler's own
  /// (the simulator's per-instruction tables: `Simulator.bytesPerInstruction`); 0 when the
  /// program is only compiled.
  public var consumerBytesPerInstruction: Int
  /// The program will be executed functionally: the machine's memories (DRAM, unified buffer,
  /// arena, weight buffer, accumulators) count too.
  public var functional: Bool
  /// What the message tells the user to change to raise the limit (`--max-memory`).
  public var limitOption: String

  /// Creates a budget.
  public init(
    limitBytes: Int, consumerBytesPerInstruction: Int = 0, functional: Bool = false, limitOption: String = "--max-memory"
  ) {
    self.limitBytes = limitBytes
    self.consumerBytesPerInstruction = consumerBytesPerInstruction
    self.functional = functional
    self.limitOption = limitOption
  }
}

/// An upper bound on the memory a program will take, computed from the tiling plan before any
/// instruction is emitted.
///
/// ```
/// instructions   ≤ Σ layers (loads + computes + stores of its loop nest, every weight tile and
///                   activation table assumed streamed) + one routing nop per load or store
///                   + 1 (finish)
/// program bytes  = instructions × bytes per instruction + 2 × constant bytes (the DRAM image
///                   is assembled from its parts)
/// machine bytes  = DRAM (every tensor, parameter blob and fill, 64-byte aligned) + unified
///                   buffer + arena + weight buffer + accumulators     (functional runs only)
/// total          = program bytes + machine bytes
/// ```
///
/// Bytes per instruction are the compiler's (`compilerBytesPerInstruction`: the instruction, its
/// tile coordinate, the builder's clocks and the verifier's tables, with array growth) plus the
/// budget's `consumerBytesPerInstruction`. `LoweringTests` check the instruction bound against
/// emitted programs.
public struct MemoryEstimate: Sendable, Hashable {
  /// An upper bound on the program's instructions.
  public var instructions: Int
  /// The layer with the most instructions, and its bound (for the message).
  public var largestLayer: (location: String, instructions: Int)? {
    get { largest.map { ($0.location, $0.instructions) } }
    set { largest = newValue.map { LayerShare(location: $0.location, instructions: $0.instructions) } }
  }
  /// Bytes counted per instruction.
  public var bytesPerInstruction: Int
  /// An upper bound on the DRAM the program addresses (`TileProgram.dramSize`).
  public var dramBytes: Int
  /// An upper bound on the constants in the DRAM image (weight tiles, tables, fills, constant
  /// tensors).
  public var constantBytes: Int
  /// The functional machine's memories (0 unless the budget is functional).
  public var machineBytes: Int

  struct LayerShare: Sendable, Hashable {
    var location: String
    var instructions: Int
  }
  var largest: LayerShare?

  /// `instructions × bytesPerInstruction + 2 × constantBytes`.
  public var programBytes: Int {
    instructions.multipliedSaturating(by: bytesPerInstruction).addingSaturating(constantBytes.multipliedSaturating(by: 2))
  }
  /// Everything counted.
  public var totalBytes: Int { programBytes.addingSaturating(machineBytes) }

  /// What the compiler itself keeps per instruction while building and verifying a program:
  /// the instruction and its tile entry three times over (an array's storage while it doubles)
  /// and 256 bytes of side tables (the builder's vector clock and queue, the verifier's
  /// per-instruction state, the allocator's weight-tile records); measured in
  /// `docs/compiler.md` § Memory estimate.
  public static let compilerBytesPerInstruction = 3 * TileProgram.residentBytesPerInstruction + 256
}

extension LoweringPipeline {
  /// Refuses `state` when its memory estimate exceeds the options' budget.
  static func checkBudget(_ state: LoweringState) throws(LoweringError) {
    guard let budget = state.options.memoryBudget else { return }
    let estimate = MemoryEstimator(state: state).estimate(budget)
    guard estimate.totalBytes > budget.limitBytes else { return }
    throw LoweringError(.exceedsMemoryLimit, state.model.source, estimate.refusal(budget, state))
  }
}

extension MemoryEstimate {
  /// The one-line refusal: the estimate, its largest part, the limit and what to change.
  func refusal(_ budget: MemoryBudget, _ s: LoweringState) -> String {
    var text =
      "on \(s.arch.name) (\(s.arch.array.rows)×\(s.arch.array.cols) array) the program needs up to "
      + "\(formatCount(instructions)) instructions"
    if let l = largest { text += " (\(l.location): \(formatCount(l.instructions)))" }
    text += ", about \(ByteCount(totalBytes)) of memory"
    if machineBytes > 0 { text += " with \(ByteCount(machineBytes)) of functional DRAM and buffers" }
    text +=
      "; the limit is \(ByteCount(budget.limitBytes)); use a larger array or unified buffer, a smaller model or batch"
      + (machineBytes > budget.limitBytes / 4 ? ", a timing-only run" : "") + ", or raise \(budget.limitOption)"
    return text
  }
}
