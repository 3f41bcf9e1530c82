import Architecture
import Foundation
import GraphIR
import Lowering
import Pipeline
import SystoleTestSupport
import TFLiteImport
import Testing
import TileISA

/// Fine-grained ternary weights (`Tensor.packedGroupSize`) through the compiler: tiles become
/// 2-bit sign codes plus a level table (`load_weights … packing=ternary-grouped`), the programs
/// run bit-exact with the golden model on every preset and on odd shapes, layers whose tiles
/// would split a group fall back to int8 storage and say so, and the weight DMA moves exactly
/// the codes and the levels.
@Suite struct GroupedTernaryLoweringTests {
  /// `model` with every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED weight tensor made
  /// fine-grained ternary with groups of `group`: each weight becomes `sign × level`, one level
  /// per group of `group` consecutive elements of a channel (the group's largest magnitude, so
  /// the levels span 0…127), annotated `packedBits = 2`, `packedGroupSize = group`.
  static func groupedTernary(_ model: Model, group: Int) -> Model {
    rewritingMatrixWeights(model) { tensor, original in
      var values = original
      let layout = ChannelLayout(shape: tensor.shape, axis: tensor.quantization?.quantizedDimension ?? 0)
      for c in 0..<(layout?.channels ?? 0) {
        let indices = layout?.indices(ofChannel: c, count: values.count) ?? []
        for start in stride(from: 0, to: indices.count, by: group) {
          let members = indices[start..<min(start + group, indices.count)]
          let level = members.map { min(abs(Int(values[$0])), 127) }.max() ?? 0
          for i in members { values[i] = Int8(Int(values[i].signum()) * level) }
        }
      }
      tensor.data = TensorData(shape: tensor.shape, storage: .int8(values))
      tensor.packedBits = 2
      tensor.packedGroupSize = group
    }
  }

  @Test(arguments: ["mlp_int8", "convpool_int8", "kws_dscnn_int8"], [4, 3])
  func groupedModelsRunBitExact(_ stem: String, _ group: Int) throws {
    let model = Self.groupedTernary(try PackedWeightLoweringTests.load(stem), group: group)
    #expect(GraphVerifier.verify(model).isEmpty)
    let archs: [ArchSpec] = stem == "kws_dscnn_int8" ? [.edgeTPU, .gemmini, .toy4x4] : allPresets + oddArchs
    let inputs = randomInputs(model, seed: 9, count: 2)
    let expected = try goldenOutputs(model, inputs)
    for arch in archs {
      let (problems, compiled) = try compileAndCompare(
        model, on: arch, inputs: inputs, expected: expected, label: "\(stem) ternary/group\(group)")
      #expect(problems.isEmpty, "\(problems.prefix(3))")
      let loads = weightLoads(compiled.program)
      let grouped = loads.filter { $0.packing == .ternaryGrouped }
      // Every level table has the tensor's group size; the rest of the tiles are int8 layers
      // that fell back, and their mapping reason says so.
      #expect(grouped.allSatisfy { $0.levels?.group == group }, "\(stem) on \(arch.name)")
      #expect(loads.allSatisfy { $0.packing == .ternaryGrouped || $0.packing == .int8 })
      let fellBack = compiled.report.operators.filter { $0.reason.contains("weights stored as int8") }
      let packed = compiled.report.operators.filter { $0.reason.contains("ternary-grouped weights") }
      #expect(fellBack.isEmpty == (grouped.count == loads.count), "\(stem) on \(arch.name)")
      #expect(!packed.isEmpty || grouped.isEmpty)
      // FULLY_CONNECTED layers have one group run per output channel: with group 4 on these
      // arrays their tiles keep groups whole, so mlp packs everywhere.
      if stem == "mlp_int8" && group == 4 && arch.array.rows % 4 == 0 {
        #expect(fellBack.isEmpty, "\(arch.name): \(fellBack.map(\.reason))")
      }
    }
  }

  @Test("weight DMA bytes = 2-bit codes + one level per group, computed from the graph")
  func weightBytesFromTheGraph() throws {
    let values = Self.groupedTernary(try PackedWeightLoweringTests.load("mlp_int8"), group: 4)
    var unannotated = values
    for t in unannotated.main.tensors.indices {
      unannotated.graphs[0].tensors[t].packedBits = nil
      unannotated.graphs[0].tensors[t].packedGroupSize = nil
    }
    // FULLY_CONNECTED [units, depth]: ⌈depth / 4⌉ groups per unit.
    var shapes: [(units: Int, depth: Int)] = []
    for op in values.main.operators {
      guard case .fullyConnected = op.kind, let w = op.input(1) else { continue }
      shapes.append((values.main[w].shape[0], values.main[w].shape[1]))
    }
    #expect(!shapes.isEmpty)
    var elements = 0
    var codes = 0
    var levels = 0
    for s in shapes {
      elements += s.units * s.depth
      // A code row holds ⌈units / 4⌉ bytes: these arrays' n-tiles are multiples of 4 wide but
      // the last, so the byte padding is that of one row of all units.
      codes += s.depth * ((s.units + 3) / 4)
      levels += s.units * ((s.depth + 3) / 4)
    }
    for arch in [ArchSpec.edgeTPU, .gemmini, .tpuV1] {
      let a = try LoweringPipeline(arch: arch).compile(unannotated)
      let b = try LoweringPipeline(arch: arch).compile(values)
      #expect(weightDMABytes(a.program) - weightDMABytes(b.program) == elements - codes - levels, "\(arch.name)")
      // Each level table is (blocks × columns) bytes, and those sum to the graph's groups.
      let tables = weightLoads(b.program).reduce(0) { $0 + $1.levelTableBytes }
      #expect(tables == levels, "\(arch.name)")
    }
  }

  @Test("a layer whose chunks would split groups falls back to int8 storage, and says so")
  func misalignedGroupsFallBack() throws {
    // convpool's first CONV_2D on a 3 × 5 array: K chunks of 3 rows cannot keep groups of 4
    // whole, so some block mixes two groups.
    let model = Self.groupedTernary(try PackedWeightLoweringTests.load("convpool_int8"), group: 4)
    let compiled = try LoweringPipeline(arch: oddArchs[0]).compile(model)
    let fellBack = compiled.report.operators.filter { $0.reason.contains("weights stored as int8") }
    #expect(!fellBack.isEmpty)
    #expect(fellBack.allSatisfy { $0.reason.contains("fine-grained ternary groups straddle") })
    #expect(!compiled.report.operators.contains { $0.reason.contains("ternary-grouped") && $0.reason.contains("stored as int8") })
  }

  @Test("grouped tiles print and parse back (assembly and binary round trips of a compiled program)")
  func roundTrips() throws {
    let model = Self.groupedTernary(try PackedWeightLoweringTests.load("convpool_int8"), group: 4)
    let compiled = try LoweringPipeline(arch: .gemmini).compile(model)
    let text = compiled.program.assembly()
    #expect(text.contains(" packing=ternary-grouped levels="))
    #expect(try TileProgram(parsingAssembly: text) == compiled.program)
    #expect(try TileProgram(decoding: compiled.program.encoded()) == compiled.program)
  }
}

/// The quantizer's committed sub-byte files (`Programs/quantizer/models`) compiled with their
/// packed weights — INT4 tiles, 2-bit ternary tiles, and fine-grained ternary code + level-table
/// tiles — and run on the simulated accelerator: every output equals TensorFlow Lite's
/// reference kernels on the same file, byte for byte (`Programs/quantizer/reference`).
@Suite struct PackedFilesMatchTFLiteTests {
  static let base = Fixtures.root.appendingPathComponent("Programs/quantizer")

  @Test(arguments: ["int4", "ternary", "ternary-fine-grained"])
  func acceleratorOutputsEqualTFLite(_ scheme: String) throws {
    var checked = 0
    for name in ["mlp", "convpool", "kws_dscnn"] {
      let ref = try ReferenceSet(stem: "\(name).\(scheme)", base: Self.base)
      let model = try ref.loadResolved()
      let archs: [ArchSpec] = name == "kws_dscnn" ? [.edgeTPU, .gemmini] : allPresets
      for arch in archs {
        let compiled = try LoweringPipeline(arch: arch).compile(model)
        let packings = Set(weightLoads(compiled.program).map(\.packing))
        let expected: WeightPacking = scheme == "int4" ? .int4 : scheme == "ternary" ? .int2 : .ternaryGrouped
        #expect(packings.contains(expected), "\(ref.stem) on \(arch.name): \(packings)")
        let host = GoldenHostExecutor(model: model, compiled: compiled)
        for n in 0..<ref.invocations {
          let inputs = try ref.inputs(invocation: n)
          let raw = try compiled.program.run(inputs: inputs.map { $0.littleEndianBytes() }, host: host)
          let want = try ref.outputs(invocation: n).map { $0.littleEndianBytes() }
          #expect(raw == want, "\(ref.stem) on \(arch.name), invocation \(n)")
          checked += 1
        }
      }
    }
    #expect(checked >= 3 * 3 * 2)
  }
}
