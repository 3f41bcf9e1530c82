import Architecture
import Foundation
import GraphIR
import Lowering
import SystoleTestSupport
import TFLiteImport
import Testing
import TileISA

/// Sub-8-bit weights through the compiler: models whose CONV_2D, DEPTHWISE_CONV_2D and
/// FULLY_CONNECTED weights carry `packedBits` compile to packed weight tiles (`load_weights …
/// packing=`), run bit-exact with the golden model on every preset and on odd shapes (partial
/// tiles, odd widths), and their DRAM image and weight DMA hold the packed bytes.
@Suite struct PackedWeightLoweringTests {
  /// `model` with every matrix layer's weights narrowed to `bits` (an arithmetic shift right by
  /// 8 − bits, so every value of the range appears) and annotated `packedBits = bits`.
  static func narrowed(_ model: Model, bits: Int) -> Model {
    rewritingMatrixWeights(model) { tensor, values in
      let shift = Int8(8 - bits)
      tensor.data = TensorData(shape: tensor.shape, storage: .int8(values.map { $0 >> shift }))
      tensor.packedBits = bits
    }
  }

  /// The weight tensors of matrix layers: (elements, output channels N, K = elements / N).
  static func weightShapes(_ model: Model) -> [(elements: Int, n: Int)] {
    model.main.operators.compactMap { op -> (Int, Int)? in
      guard let w = op.input(1) else { return nil }
      let t = model.main[w]
      switch op.kind {
      case .conv2D, .fullyConnected: return (t.elementCount, t.shape[0])
      case .depthwiseConv2D: return (t.elementCount, t.shape[3])
      default: return nil
      }
    }
  }

  static func load(_ stem: String) throws -> Model {
    try loadResolvedModel(Fixtures.model("\(stem).tflite"))
  }

  @Test(arguments: ["mlp_int8", "convpool_int8", "kws_dscnn_int8"], [4, 2])
  func packedModelsRunBitExact(_ stem: String, _ bits: Int) throws {
    let model = Self.narrowed(try Self.load(stem), bits: bits)
    #expect(GraphVerifier.verify(model).isEmpty)
    let archs: [ArchSpec] = stem == "kws_dscnn_int8" ? [.edgeTPU, .gemmini, .toy4x4] : allPresets + oddArchs
    let inputs = randomInputs(model, seed: 5, count: 2)
    let expected = try goldenOutputs(model, inputs)
    for arch in archs {
      let (problems, compiled) = try compileAndCompare(
        model, on: arch, inputs: inputs, expected: expected, label: "\(stem) int\(bits)")
      #expect(problems.isEmpty, "\(problems.prefix(3))")
      let loads = weightLoads(compiled.program)
      #expect(!loads.isEmpty && loads.allSatisfy { $0.packing.bits == bits }, "\(stem) on \(arch.name)")
    }
  }

  @Test("the DRAM image and the weight DMA hold packed bytes: int8 − int4 = half the weights, computed from the graph")
  func weightBytesFromTheGraph() throws {
    let int8 = try Self.load("mlp_int8")
    // The same values in both programs, so only the storage differs.
    let values = Self.narrowed(int8, bits: 4)
    var unannotated = values
    for t in unannotated.main.tensors.indices { unannotated.graphs[0].tensors[t].packedBits = nil }
    let shapes = Self.weightShapes(values)
    let elements = shapes.reduce(0) { $0 + $1.elements }
    #expect(elements > 0)
    for arch in [ArchSpec.edgeTPU, .gemmini] {
      let a = try LoweringPipeline(arch: arch).compile(unannotated)
      let b = try LoweringPipeline(arch: arch).compile(values)
      func loadWeightsValues(_ p: TileProgram) -> Int {
        p.instructions.reduce(0) { sum, i in
          if case .loadWeights(let w) = i.operation { return sum + w.rows * w.columns }
          return sum
        }
      }
      // Every n-tile of mlp is even on these arrays, so int4 rows are exactly half as long.
      #expect(weightDMABytes(a.program) - weightDMABytes(b.program) == elements / 2, "\(arch.name)")
      // The DRAM image shrinks by as much, give or take each blob's 64-byte alignment.
      let shrink = a.program.dramImage.byteCount - b.program.dramImage.byteCount
      #expect(abs(shrink - elements / 2) <= 64 * (shapes.count + 1), "image shrinks by \(shrink)")
      // Each weight is loaded into the array once (one spatial tile), whatever its storage.
      #expect(loadWeightsValues(a.program) == elements && loadWeightsValues(b.program) == elements)
      let matrix = b.report.operators.filter { $0.opName == "FULLY_CONNECTED" }
      #expect(matrix.count == shapes.count)
      #expect(matrix.allSatisfy { $0.reason.contains("int4 weights, unpacked by the weight loader") })
    }
  }

  @Test("packed tiles print and parse back (assembly round trip of a compiled program)")
  func assemblyRoundTrip() throws {
    let compiled = try LoweringPipeline(arch: .gemmini).compile(Self.narrowed(try Self.load("convpool_int8"), bits: 2))
    let text = compiled.program.assembly()
    #expect(text.contains(" packing=int2"))
    #expect(try TileProgram(parsingAssembly: text) == compiled.program)
    #expect(try TileProgram(decoding: compiled.program.encoded()) == compiled.program)
  }
}
