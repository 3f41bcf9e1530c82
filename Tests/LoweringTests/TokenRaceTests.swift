import Architecture
import GraphIR
import Lowering
import SystoleTestSupport
import TFLiteImport
import Testing
import TileISA

/// An independent race check of the dependency tokens: from the token flags alone (the j-th
/// pop of a channel follows its j-th push) and queue order, every pair of instructions on
/// different queues that touch overlapping bytes with at least one write (exact footprints from
/// `Instruction.memoryAccesses(in:)`) must be ordered. `ProgramVerifier` checks that the tokens
/// balance and cannot deadlock; this checks that they protect every hazard.
@Suite struct TokenRaceTests {
  static func queueIndex(_ q: Queue) -> Int { q == .load ? 0 : q == .compute ? 1 : 2 }

  /// Hazards the tokens leave unordered (empty for a correct program).
  static func unorderedHazards(_ program: TileProgram) -> [String] {
    let instructions = program.instructions
    let n = instructions.count
    // Happens-before as vector clocks, built along token edges (push k → pop k) and queue order.
    var pushes: [TokenChannel: [Int]] = [:]
    for (i, instruction) in instructions.enumerated() {
      for flag in [DependencyFlags.pushPrev, .pushNext] where instruction.dependencies.contains(flag) {
        if let c = TokenChannel.channel(for: flag, on: instruction.queue) { pushes[c, default: []].append(i) }
      }
    }
    var popCount: [TokenChannel: Int] = [:]
    var clock = [[Int]](repeating: [-1, -1, -1], count: n)
    var last = [-1, -1, -1]
    var problems: [String] = []
    for (j, instruction) in instructions.enumerated() {
      let q = queueIndex(instruction.queue)
      var c = last[q] >= 0 ? clock[last[q]] : [-1, -1, -1]
      for flag in [DependencyFlags.popPrev, .popNext] where instruction.dependencies.contains(flag) {
        guard let channel = TokenChannel.channel(for: flag, on: instruction.queue) else { continue }
        let k = popCount[channel, default: 0]
        popCount[channel] = k + 1
        guard let source = pushes[channel]?[safe: k], source < j else {
          problems.append("instruction #\(j) pops a \(channel) token pushed later in program order")
          continue
        }
        for r in 0..<3 { c[r] = max(c[r], clock[source][r]) }
      }
      c[q] = j
      clock[j] = c
      last[q] = j
    }
    // Every conflicting pair on different queues must be ordered.
    let footprints = instructions.map { $0.memoryAccesses(in: program) ?? [] }
    for j in 0..<n {
      let qj = queueIndex(instructions[j].queue)
      for i in 0..<j {
        let qi = queueIndex(instructions[i].queue)
        guard qi != qj, clock[j][qi] < i else { continue }
        if conflict(footprints[i], footprints[j]) {
          problems.append(
            "instruction #\(i) (\(instructions[i].mnemonic)) and #\(j) (\(instructions[j].mnemonic)) touch the same bytes unordered"
          )
          if problems.count > 5 { return problems }
        }
      }
    }
    return problems
  }

  static func conflict(_ a: [MemoryAccess], _ b: [MemoryAccess]) -> Bool {
    for x in a {
      for y in b where x.space == y.space && (x.kind == .write || y.kind == .write) {
        for r in x.ranges {
          for s in y.ranges where r.overlaps(s) { return true }
        }
      }
    }
    return false
  }

  static let archs: [ArchSpec] = [
    .toy4x4, tinyArch("odd-3x5", rows: 3, cols: 5, ub: 400, weights: 120, accumulatorRows: 6),
  ]

  @Test func handBuiltModelsHaveNoUnorderedHazards() throws {
    let models = [
      TestModels.conv(h: 6, w: 5, c: 3, n: 5), TestModels.depthwise(h: 5, w: 5, c: 6, m: 2),
      TestModels.fullyConnected(m: 5, k: 9, n: 7), TestModels.batchMatMul(batch: [2], m: 3, k: 4, n: 5, adjY: true),
      ReportTests.mixedModel(), VectorOpTests.binary(.add(activation: .none), [1, 3, 4, 5], [1, 1, 4, 1], seed: 3),
      VectorOpTests.pool(max: false, h: 6, w: 6, c: 3, filter: 3, stride: 2, padding: .same),
    ]
    for model in models {
      for arch in Self.archs {
        for doubleBuffering in [true, false] {
          let program = try LoweringPipeline(arch: arch, options: LoweringOptions(doubleBuffering: doubleBuffering))
            .compile(model).program
          let problems = Self.unorderedHazards(program)
          #expect(problems.isEmpty, "\(model.source) on \(arch.name), double buffering \(doubleBuffering): \(problems)")
        }
      }
    }
  }

  @Test func committedModelsHaveNoUnorderedHazards() throws {
    for stem in [
      "convpool_int8", "attention_int8", "mlp_int8", "streaming_int8", "ops/pad_int8",
      "ops/concatenation_channels_int8",
    ] {
      let model = try loadResolvedModel(Fixtures.model("\(stem).tflite"))
      for arch in [ArchSpec.gemmini, .vta] + (stem == "convpool_int8" ? [ArchSpec.toy4x4] : []) {
        // The verifier's checks 1–3 (tokens included) still run; its data check, most of a
        // debug-build compile, is CommittedModelTests' (these models, every preset).
        let program = try LoweringPipeline(arch: arch, options: LoweringOptions(verifyData: false)).compile(model).program
        let problems = Self.unorderedHazards(program)
        #expect(problems.isEmpty, "\(stem) on \(arch.name): \(problems)")
      }
    }
  }

  @Test func theCheckCatchesAMissingToken() throws {
    // Remove one pop: the load it protected now races with the compute that wrote or read it.
    var program = try LoweringPipeline(arch: .toy4x4).compile(TestModels.conv(h: 6, w: 5, c: 3, n: 5)).program
    let index = try #require(
      program.instructions.firstIndex { $0.queue == .compute && $0.dependencies.contains(.popPrev) })
    program.instructions[index].dependencies.remove(.popPrev)
    #expect(!Self.unorderedHazards(program).isEmpty)
  }
}

extension Array {
  subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
