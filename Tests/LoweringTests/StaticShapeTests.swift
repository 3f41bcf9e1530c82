import Architecture
import GraphIR
import Lowering
import SystoleTestSupport
import TFLiteImport
import Testing

/// Models with run-time shapes compile for their inputs' stored shapes; shape arithmetic folds.
@Suite struct StaticShapeTests {
  @Test func shapeArithmeticFoldsAndReshapeAliases() throws {
    let model = try TFLiteImporter.load(contentsOf: Fixtures.model("ops/shape_pack_dynamic_int8.tflite"))
    #expect(model.main.tensors.contains { $0.isDynamic })
    let compiled = try LoweringPipeline(arch: .gemmini).compile(model)
    let ops = compiled.report.operators
    #expect(ops.map(\.opName) == ["SHAPE", "STRIDED_SLICE", "PACK", "RESHAPE"])
    #expect(ops.map(\.placement) == [.folded, .folded, .folded, .alias])
    #expect(ops[0].reason == "SHAPE: shape arithmetic folded at compile time; no work")
    #expect(compiled.report.totals.folded == 3)
    // The output is the input's bytes under the folded shape [1, 12].
    #expect(compiled.outputs[0].shape == [1, 12])
    #expect(compiled.outputs[0].address == compiled.inputs[0].address)
    #expect(compiled.program.instructions.count == 1)  // finish
  }

  @Test func unresolvableRunTimeShapeIsAnError() {
    var g = GraphBuilder(seed: 3)
    let x = g.activation("x", [1, 4, 3])
    let perm = g.int32("perm", [3], [0, 2, 1])
    let y = g.activation("y", [1, 1, 1])
    g.tensors[y.index].shapeSignature = [-1, -1, -1]
    g.op(.transpose, [x, perm], [y])
    let model = g.model("dyn", inputs: [x], outputs: [y])
    do {
      _ = try LoweringPipeline(arch: .toy4x4).compile(model)
      Issue.record("expected an error")
    } catch {
      #expect(error.kind == .unsupported)
      #expect(
        error.description
          == "op #0 TRANSPOSE 'y': output 0 has a run-time shape [-1, -1, -1] the compiler cannot resolve; resolve shapes first (ShapeResolver; the CLI's --batch/--input-shape)"
      )
    }
  }
}
