import Support
import Testing

@testable import TileISA

/// A `matmul` whose input lies at or above `ub − arenaSize` reads the activation arena in place
/// (docs/isa.md §1): the same result as the same bytes in the working region, an `.arena`
/// footprint, and the bounds the verifier enforces.
@Suite("matmul reads the arena in place")
struct ArenaInPlaceTests {
  /// 4 KiB unified buffer, the top 0x400 bytes the arena: arena byte a is ub byte 0xc00 + a.
  static let arena = 0x400
  static let arenaBase = 0xc00

  /// Channels 1..<5 of a 3 × 3, 6-channel NHWC image at `address`; a 2 × 2 kernel padded by one
  /// row above and one column left (K = 16, 9 outputs, 8 columns).
  func matmul(address: Int) -> Matmul {
    Matmul(
      input: FeatureMap(
        address: SRAMAddress(address), height: 3, width: 3, pixelStrideBytes: 6, channelOffset: 1, channelCount: 4),
      window: Window(outHeight: 3, outWidth: 3, kernelHeight: 2, kernelWidth: 2, padTop: 1, padLeft: 1),
      inputZeroPoint: 3, weightSlot: .first, columns: 8, accRow: 0)
  }

  func machine() throws -> MachineState {
    var state = try MachineState(
      limits: smallLimits, datapath: .int8, dramSize: ByteCount(4096), arenaSize: ByteCount(Self.arena))
    var rng = SeededGenerator(seed: 13)
    let weights = (0..<16 * 8).map { _ in Int8.random(in: -128...127, using: &rng) }
    state.putWB(weights, at: 0)
    try run(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: 16, columns: 8)), on: &state)
    return state
  }

  @Test("an input in the arena gives the accumulators the same input in the working region gives")
  func sameResult() throws {
    var rng = SeededGenerator(seed: 7)
    let image = (0..<3 * 3 * 6).map { _ in UInt8.random(in: 0...255, using: &rng) }
    var working = try machine()
    working.unifiedBuffer.replaceSubrange(0x100..<0x100 + image.count, with: image)
    try run(.matmul(matmul(address: 0x100)), on: &working)
    var inPlace = try machine()
    inPlace.arena.replaceSubrange(0x40..<0x40 + image.count, with: image)
    try run(.matmul(matmul(address: Self.arenaBase + 0x40)), on: &inPlace)
    #expect(Array(inPlace.accumulator[0..<9 * 8]) == Array(working.accumulator[0..<9 * 8]))
    #expect(inPlace.accumulator[0..<9 * 8].contains { $0 != 0 })
    // The working region was never read: zero there gives the same result.
    #expect(inPlace.unifiedBuffer.allSatisfy { $0 == 0 })
  }

  @Test("the footprint is an arena read at arena addresses; the verifier bounds it by the arena")
  func footprintAndBounds() throws {
    var p = TileProgram(limits: smallLimits, dramSize: 4096, arenaSize: ByteCount(Self.arena))
    p.instructions = [Instruction(.matmul(matmul(address: Self.arenaBase + 0x40))), Instruction(.finish)]
    let accesses = try #require(p.instructions[0].memoryAccesses(in: p))
    let reads = accesses.filter { $0.kind == .read }
    #expect(reads.map(\.space) == [.arena])
    #expect(reads.first?.ranges.first?.lowerBound == 0x41)
    #expect(reads.first.map { $0.ranges.allSatisfy { $0.upperBound <= 0x40 + 54 } } == true)
    // Past the top of the unified buffer: out of range.
    let context = CheckContext(limits: smallLimits, datapath: .int8, hostTaskCount: 0, arenaBytes: Self.arena)
    #expect(Operation.matmul(matmul(address: 4096 - 20)).staticProblems(context).contains { $0.contains("input tile") })
    #expect(Operation.matmul(matmul(address: Self.arenaBase + 0x40)).staticProblems(context).isEmpty)
    // Without an arena the same address is beyond nothing but the unified buffer's end.
    let noArena = CheckContext(limits: smallLimits, datapath: .int8, hostTaskCount: 0, arenaBytes: 0)
    #expect(Operation.matmul(matmul(address: Self.arenaBase + 0x40)).staticProblems(noArena).isEmpty)
  }
}
