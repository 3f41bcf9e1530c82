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

/// The MobileNetV2 U-Net and the DeepLab-style head (`make_vision_models.py`) compile on every
/// preset and run functionally bit-exact with TFLite's reference kernels. Their convolutions,
/// depthwise convolutions (where the cost model prefers the array), concatenations, residual ADDs
/// and the global average pool run on the accelerator, TRANSPOSE_CONV on the array as
/// stride-phase convolutions (`TransposeConvLoweringTests`) and RESIZE_BILINEAR on the vector
/// unit (`vresize`); no issue-14 vision op is left on the host.
@Suite struct VisionNetworkTests {
  static let sets: [ReferenceSet] = (try? Fixtures.referenceSets(key: "vision")) ?? []

  static let cases: [(ReferenceSet, String)] = sets.flatMap { set in allPresets.map { (set, $0.name) } }

  @Test(arguments: cases)
  func runsBitExact(_ set: ReferenceSet, _ archName: String) throws {
    let arch = try #require(allPresets.first { $0.name == archName })
    let model = try set.loadResolved()
    // Verified once, here, rather than also in the pipeline's own verifier pass.
    let compiled = try LoweringPipeline(arch: arch, options: LoweringOptions(verifyProgram: false)).compile(model)
    let problems = ProgramVerifier.verify(compiled.program)
    #expect(problems.isEmpty, "\(set.stem) on \(arch.name): \(problems.prefix(3))")
    // issue 14: resize — RESIZE_BILINEAR runs vresize on the vector unit on every preset.
    for op in compiled.report.operators where op.opName == "RESIZE_BILINEAR" {
      #expect(op.placement == .vectorUnit, "\(set.stem) on \(arch.name) #\(op.index): \(op.reason)")
    }
    // Convolutions and transposed convolutions on the array (depthwise ones where the cost model
    // prefers it: on VTA some of the U-Net's run on the host).
    for op in compiled.report.operators where op.opName == "CONV_2D" || op.opName == "TRANSPOSE_CONV" {
      #expect(op.placement == .systolicArray, "\(set.stem) on \(arch.name) #\(op.index) \(op.opName): \(op.reason)")
    }
    let mismatches = try mismatchesWithTFLite(set, model, compiled, label: "\(set.stem) on \(arch.name)", relativeTolerance: 0)
    #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
  }

  /// The mapping report says where the issue-14 vision ops run and how: TRANSPOSE_CONV as
  /// stride-phase convolutions on the array, RESIZE_BILINEAR through `vresize`.
  @Test func reasonsNameTheLowering() throws {
    var seen: Set<String> = []
    for set in Self.sets {
      // Only the mapping report is read: no verifier, no constant image (`runsBitExact` runs these).
      let options = LoweringOptions(verifyProgram: false, writeConstants: false)
      let report = try LoweringPipeline(arch: .edgeTPU, options: options).compile(try set.loadResolved()).report
      for op in report.operators {
        switch op.opName {
        case "TRANSPOSE_CONV":
          #expect(op.placement == .systolicArray && op.reason.contains("stride-phase convolutions on the array"), "\(op.reason)")
        case "RESIZE_BILINEAR":
          #expect(op.placement == .vectorUnit && op.reason.contains("vresize on the vector unit"), "\(op.reason)")
        default: continue
        }
        seen.insert(op.opName)
      }
    }
    #expect(seen == ["TRANSPOSE_CONV", "RESIZE_BILINEAR"])
  }
}
