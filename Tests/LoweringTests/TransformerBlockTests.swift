import Architecture
import Foundation
import GoldenModel
import GraphIR
import Lowering
import Pipeline
import SystoleTestSupport
import TFLiteImport
import Testing
import TileISA

/// The tiny ViT and BERT-style blocks (`make_transformer_models.py`) compile for the Edge TPU
/// preset and run functionally bit-exact with TFLite's reference kernels. Their new operators
/// (GELU, TANH, GATHER, LESS, SELECT) have no array or vector-unit lowering yet: each becomes a
/// host task that the golden model executes.
@Suite struct TransformerBlockTests {
  static let sets: [ReferenceSet] = (try? Fixtures.referenceSets(key: "transformers")) ?? []
  static let newOps: Set<String> = ["GELU", "TANH", "GATHER", "LESS", "SELECT", "SELECT_V2"]

  @Test(arguments: sets)
  func runsBitExactOnEdgeTPU(_ set: ReferenceSet) throws {
    let model = try set.loadResolved()
    let compiled = try LoweringPipeline(arch: .edgeTPU).compile(model)
    let hostOps = Set(compiled.hostTasks.map(\.opName))
    let used = Set(model.main.operators.map(\.kind.tfliteName)).intersection(Self.newOps)
    #expect(!used.isEmpty, "\(set.stem) uses none of \(Self.newOps.sorted())")
    #expect(used.isSubset(of: hostOps), "\(set.stem): \(used.subtracting(hostOps).sorted()) not on the host")
    let host = GoldenHostExecutor(model: model, compiled: compiled)
    for n in 0..<set.invocations {
      let inputs = try set.inputs(invocation: n)
      let reference = try set.outputs(invocation: n)
      let raw = try compiled.program.run(inputs: inputs.map { $0.littleEndianBytes() }, host: host)
      #expect(raw.count == reference.count)
      for (o, bytes) in raw.enumerated() {
        let want = reference[o]
        let got = try #require(TensorData(littleEndianBytes: bytes, type: want.elementType, shape: want.shape))
        #expect(mismatchCount(got, want) == 0, "\(set.stem) #\(n).\(o) vs TFLite")
      }
    }
  }
}
