import Architecture
import Foundation
import GoldenModel
import GraphIR
import Pipeline
import Support
import SystoleTestSupport
import Testing
import TileISA

@testable import Lowering

/// issue 14: resize — RESIZE_BILINEAR int8 on the vector unit (`vresize`): a sweep of modes, up-
/// and down-scaling and odd sizes equal to the golden model (bit-exact with TFLite's
/// `ResizeBilinearInteger`: `VisionOpTests`) on toy-4x4, edge-tpu and a unified buffer small
/// enough to force blocks of one or two output rows; the committed single-op fixtures equal
/// TFLite's recorded outputs on every preset; host fallbacks name their reason.
@Suite struct ResizeTests {
  /// RESIZE_BILINEAR of an `input` NHWC tensor to `size`.
  static func model(
    _ input: [Int], _ size: (Int, Int), alignCorners: Bool, halfPixelCenters: Bool, outputZeroPoint: Int64 = 3
  )
    -> Model
  {
    var g = GraphBuilder(seed: 14)
    let x = g.activation("x", input, scale: 0.05, zeroPoint: 3)
    let s = g.int32("size", [2], [Int32(size.0), Int32(size.1)])
    let y = g.activation("y", [input[0], size.0, size.1, input[3]], scale: 0.05, zeroPoint: outputZeroPoint)
    g.op(.resizeBilinear(alignCorners: alignCorners, halfPixelCenters: halfPixelCenters), [x, s], [y])
    return g.model("resize", inputs: [x], outputs: [y])
  }

  static let modes: [(alignCorners: Bool, halfPixelCenters: Bool)] = [(false, false), (true, false), (false, true)]
  /// (input N, H, W, C; output H, W): up, down, odd, equal sizes, a single output row or column.
  static let shapes: [([Int], (Int, Int))] = [
    ([1, 3, 5, 3], (7, 9)), ([1, 9, 7, 2], (4, 3)), ([2, 5, 5, 5], (5, 8)), ([1, 4, 4, 1], (4, 4)),
    ([1, 2, 3, 4], (1, 6)), ([1, 1, 1, 3], (3, 2)),
  ]
  /// Forces blocks of one or two output rows: 160 B of unified buffer.
  static let tight = tinyArch("tight-resize", rows: 4, cols: 4, ub: 160, weights: 512, accumulatorRows: 16)

  @Test("vresize equals the golden model in every mode, up, down and odd sizes, on toy-4x4, edge-tpu and a tight UB")
  func sweep() throws {
    var checked = 0
    var blocked = 0
    for mode in Self.modes {
      for (input, size) in Self.shapes {
        let model = Self.model(input, size, alignCorners: mode.alignCorners, halfPixelCenters: mode.halfPixelCenters)
        for arch in [ArchSpec.toy4x4, .edgeTPU, Self.tight] {
          let label = "\(input) → \(size) \(mode)"
          let (problems, compiled) = try compileAndCompare(
            model, on: arch, inputs: randomInputs(model, seed: 7, count: 1), label: label)
          #expect(problems.isEmpty, "\(problems)")
          let op = compiled.report.operators[0]
          #expect(op.placement == .vectorUnit, "\(label) on \(arch.name): \(op.reason)")
          let resizes = compiled.program.instructions.filter { $0.mnemonic == "vresize" }.count
          #expect(resizes >= input[0], "\(label) on \(arch.name)")
          if resizes > input[0] { blocked += 1 }
          checked += 1
        }
      }
    }
    #expect(checked == Self.modes.count * Self.shapes.count * 3)
    #expect(blocked >= Self.modes.count * 3, "the tight arch should split images into row blocks")
  }

  @Test("the committed RESIZE_BILINEAR fixtures run vresize bit-exact with TFLite on every preset")
  func committedFixtures() throws {
    let sets = try Fixtures.referenceSets(key: "vision_ops").filter {
      $0.stem.hasPrefix("resize_bilinear") && $0.stem.hasSuffix("_int8")
    }
    #expect(sets.count == 5, "\(sets.map(\.stem))")
    for set in sets {
      let model = try set.loadResolved()
      for arch in allPresets {
        let compiled = try LoweringPipeline(arch: arch).compile(model)
        let ops = compiled.report.operators.filter { $0.opName == "RESIZE_BILINEAR" }
        #expect(
          !ops.isEmpty && ops.allSatisfy { $0.placement == .vectorUnit && $0.reason.contains("vresize") },
          "\(set.stem) on \(arch.name): \(ops.map(\.reason))")
        let mismatches = try mismatchesWithTFLite(set, model, compiled, label: "\(set.stem) on \(arch.name)")
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
      }
    }
  }

  @Test("RESIZE_BILINEAR stays on the host when it would rescale or one row does not fit")
  func hostFallbacks() throws {
    let rescaled = Self.model([1, 2, 2, 1], (4, 4), alignCorners: false, halfPixelCenters: false, outputZeroPoint: 5)
    let r = try LoweringPipeline(arch: .edgeTPU).compile(rescaled).report.operators[0]
    #expect(r.placement == .host)
    #expect(
      r.reason
        == "RESIZE_BILINEAR: input and output are quantized differently (TFLite resizes stored values); runs on the host"
    )
    let wide = Self.model([1, 4, 40, 4], (8, 80), alignCorners: false, halfPixelCenters: false)
    let w = try LoweringPipeline(arch: Self.tight).compile(wide).report.operators[0]
    #expect(w.placement == .host)
    #expect(
      w.reason
        == "RESIZE_BILINEAR: one output row and its input rows need 640 B of unified buffer; tight-resize has 160 B; runs on the host"
    )
  }
}
