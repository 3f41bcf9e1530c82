import Architecture
import Foundation
import GoldenModel
import GraphIR
import Lowering
import SystoleTestSupport
import Testing
import TileISA

/// 16×8 and uint8 files (`make_int16_models.py`: the U-Net and DeepLab head, issue 14's single-op
/// files in 16×8 and in uint8) compile, keep every operator with an int16 or uint8 tensor on the
/// host with the reason the legalizer gives (the datapath multiplies int8 × int8), and run
/// `--functional` bit-exact with TFLite's reference outputs through the golden model's host
/// execution; the uint8-I/O MLP runs its int8 body on the array. One preset (edge-tpu): host placement does not depend on it.
@Suite struct Int16LoweringTests {
  static let sets: [ReferenceSet] =
    ((try? Fixtures.referenceSets(key: "int16")) ?? []) + ((try? Fixtures.referenceSets(key: "int16_ops")) ?? [])

  @Test(arguments: sets)
  func runsOnTheHostBitExact(_ set: ReferenceSet) throws {
    let model = try set.loadResolved()
    // Verified once, here (the pipeline's own verifier pass off).
    let compiled = try LoweringPipeline(arch: .edgeTPU, options: LoweringOptions(verifyProgram: false)).compile(model)
    let problems = ProgramVerifier.verify(compiled.program)
    #expect(problems.isEmpty, "\(set.stem): \(problems.prefix(3))")
    let graph = model.main
    for op in compiled.report.operators {
      let node = graph.operators[op.index]
      let types = Set((node.inputs.compactMap { $0 } + node.outputs).map { graph[$0].elementType })
      let touchesInt16 = types.contains(.int16) || types.contains(.uint8)
      // No int16 work on the array or the vector unit; shape-only ops (SHAPE folded at compile
      // time, EXPAND_DIMS as an alias) do none. Host ops name int16 (or, for the QUANTIZE from
      // the float32 input, float32) as the reason.
      guard touchesInt16, op.placement != .folded, op.placement != .alias else { continue }
      #expect(op.placement == .host, "\(set.stem) #\(op.index) \(op.opName): \(op.placement)")
      #expect(
        op.reason.contains("int16") || op.reason.contains("uint8") || op.reason.contains("float32"),
        "\(set.stem) #\(op.index) \(op.opName): \(op.reason)")
    }
    if set.stem == "mlp_uint8io" {
      let onArray = compiled.report.operators.filter { $0.placement == .systolicArray }.map(\.opName)
      #expect(onArray == ["FULLY_CONNECTED", "FULLY_CONNECTED", "FULLY_CONNECTED"], "\(onArray)")
    }
    let mismatches = try mismatchesWithTFLite(
      set, model, compiled, label: "\(set.stem) on edge-tpu", relativeTolerance: 0)
    #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
  }
}
