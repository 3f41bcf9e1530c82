import Architecture
import GraphIR
import Lowering
import SystoleTestSupport
import Testing

/// TRANSPOSE_CONV runs on the systolic array as stride-phase convolutions
/// (`Legalize+TransposeConv.swift`): bit-exact with TFLite's reference kernel on the committed
/// U-Net and single-op fixture on every preset, and with the golden model over a sweep of
/// strides, kernels, paddings, output sizes, bias and activations.
@Suite struct TransposeConvLoweringTests {
  /// TRANSPOSE_CONV on a `[batch, h, w, c]` input with an `n × kh × kw × c` filter and output
  /// `[batch, oh, ow, n]`.
  static func model(
    h: Int, w: Int, c: Int, n: Int, kh: Int, kw: Int, stride: (h: Int, w: Int), padding: Padding, oh: Int, ow: Int,
    bias: Bool, activation: FusedActivation = .none, perChannel: Bool = true, batch: Int = 1, seed: UInt64
  ) -> Model {
    var b = GraphBuilder(seed: seed)
    let shape = b.int32("output_shape", [4], [Int32(batch), Int32(oh), Int32(ow), Int32(n)])
    let ws = perChannel ? b.scales(n, base: 0.01) : [0.01]
    let f = b.weights("filter", [n, kh, kw, c], scales: ws)
    let x = b.activation("x", [batch, h, w, c], scale: 0.04, zeroPoint: -3)
    let taps = ((kh + stride.h - 1) / stride.h) * ((kw + stride.w - 1) / stride.w)
    let y = b.activation(
      "y", [batch, oh, ow, n], scale: GraphBuilder.outputScale(inputScale: 0.04, weightScale: 0.01, depth: taps * c),
      zeroPoint: 4)
    let inputs: [TensorID?] = [shape, f, x] + (bias ? [b.bias("bias", n)] : [])
    b.op(
      .transposeConv(
        TransposeConvOptions(padding: padding, strideH: stride.h, strideW: stride.w, activation: activation)),
      inputs, [y])
    return b.model("transpose_conv", inputs: [x], outputs: [y])
  }

  /// Output sizes whose transpose geometry gives back `input` (TFLite's check): the smallest and
  /// the largest.
  static func outputSizes(input: Int, filter: Int, stride: Int, padding: Padding) -> [Int] {
    let candidates = (1...(input * stride + filter)).filter {
      padding.geometry(input: $0, filter: filter, stride: stride).output == input
    }
    return Array(Set([candidates.first, candidates.last].compactMap { $0 })).sorted()
  }

  static func expectOnArray(_ compiled: CompiledModel, _ label: String) {
    let ops = compiled.report.operators.filter { $0.opName == "TRANSPOSE_CONV" }
    #expect(
      !ops.isEmpty && ops.allSatisfy { $0.placement == .systolicArray && $0.reason.contains("stride-phase") },
      "\(label): \(ops.map(\.reason))")
  }

  @Test("strides 1–3, kernels 1–4, SAME and VALID, smallest and largest output, bias or not: bit-exact")
  func sweep() throws {
    let archs: [ArchSpec] = [.toy4x4, .edgeTPU]
    var seed: UInt64 = 500
    var cases = 0
    // Tiles whose columns divide a phase row (s·N) keep phase rows whole (the output's layout in
    // the unified buffer); the others store by tile row and phase. Both occur.
    var phaseRowTiles = 0
    var straddlingTiles = 0
    let activations: [FusedActivation] = [.none, .relu, .relu6]
    for stride in 1...3 {
      for k in 1...4 {
        for padding in [Padding.same, .valid] {
          for bias in [true, false] {
            seed += 1
            let (h, w) = (3 + Int(seed % 2), 2 + Int(seed % 3))
            let ohs = Self.outputSizes(input: h, filter: k, stride: stride, padding: padding)
            let ows = Self.outputSizes(input: w, filter: k, stride: stride, padding: padding)
            let (oh, ow) = seed % 2 == 0 ? (ohs[0], ows.last ?? ows[0]) : (ohs.last ?? ohs[0], ows[0])
            let c = 2 + Int(seed % 4)
            let n = 1 + Int(seed % 5)
            let model = Self.model(
              h: h, w: w, c: c, n: n, kh: k, kw: k, stride: (stride, stride), padding: padding, oh: oh, ow: ow,
              bias: bias, activation: activations[Int(seed % 3)], perChannel: seed % 4 != 0, seed: seed)
            let label = "s=\(stride) k=\(k) \(padding.rawValue) \(h)×\(w)→\(oh)×\(ow) c=\(c) n=\(n) bias=\(bias)"
            for arch in archs {
              let (problems, compiled) = try compileAndCompare(
                model, on: arch, inputs: randomInputs(model, seed: seed, count: 1), label: label)
              #expect(problems.isEmpty, "\(problems)")
              Self.expectOnArray(compiled, "\(label) on \(arch.name)")
              if let columns = compiled.report.operators.first?.tile?.columns {
                if (stride * n) % columns == 0 { phaseRowTiles += 1 } else { straddlingTiles += 1 }
              }
              cases += 1
            }
          }
        }
      }
    }
    #expect(cases == 96)
    #expect(phaseRowTiles > 0 && straddlingTiles > 0, "\(phaseRowTiles) phase-row, \(straddlingTiles) straddling")
  }

  @Test("unequal strides and kernels, batch 2, channels past the array: bit-exact")
  func variants() throws {
    let cases: [(String, Model)] = [
      (
        "stride 2×3, kernel 3×2, SAME",
        Self.model(
          h: 3, w: 3, c: 3, n: 2, kh: 3, kw: 2, stride: (2, 3), padding: .same, oh: 6, ow: 8, bias: true, seed: 601)
      ),
      (
        "stride 3×1, kernel 2×4, VALID",
        Self.model(
          h: 2, w: 4, c: 2, n: 3, kh: 2, kw: 4, stride: (3, 1), padding: .valid, oh: 5, ow: 7, bias: false, seed: 602)
      ),
      (
        "batch 2, 9 → 6 channels (over a 4×4 array's rows and columns)",
        Self.model(
          h: 3, w: 2, c: 9, n: 6, kh: 3, kw: 3, stride: (2, 2), padding: .same, oh: 6, ow: 4, bias: true,
          activation: .relu, batch: 2, seed: 603)
      ),
    ]
    for (label, model) in cases {
      for arch in [ArchSpec.toy4x4] + oddArchs {
        let (problems, compiled) = try compileAndCompare(
          model, on: arch, inputs: randomInputs(model, seed: 9, count: 1), label: label)
        #expect(problems.isEmpty, "\(problems)")
        Self.expectOnArray(compiled, "\(label) on \(arch.name)")
      }
    }
  }

  @Test("the mapping report names the phases and the zero-tap share")
  func reason() throws {
    let model = Self.model(
      h: 4, w: 4, c: 8, n: 4, kh: 3, kw: 3, stride: (2, 2), padding: .same, oh: 8, ow: 8, bias: true, seed: 700)
    let op = try LoweringPipeline(arch: .edgeTPU).compile(model).report.operators[0]
    #expect(op.placement == .systolicArray)
    // 3×3 taps, stride 2, SAME (padding 0): phases take 2×2, 2×1, 1×2 and 1×1 taps of a 2×2
    // window; 4·4·(2·2 taps)·8·(4·4) = 8,192 array MACs, of which 4·4 inputs × the taps landing in
    // the 8×8 output (per axis 4·3 − 1 = 11 pairs: 11·11·8·4 = 3,872) are useful.
    #expect(
      op.reason
        == "TRANSPOSE_CONV: 2×2 stride-phase convolutions on the array (one stride-1 2×2 convolution, 8 → 4·4 channels, each phase's 4 stored with pixel stride 2×2 by strided DMA; 4,320 of its 8,192 array MACs (52.7%) multiply zero taps or fall outside the output)"
    )
  }

  @Test("a filter computed at run time keeps TRANSPOSE_CONV on the host with a reason")
  func hostFallback() throws {
    var b = GraphBuilder(seed: 3)
    let shape = b.int32("output_shape", [4], [1, 4, 4, 2])
    let f = b.activation("filter", [2, 3, 3, 2], scale: 0.01)
    let x = b.activation("x", [1, 2, 2, 2], scale: 0.04, zeroPoint: -3)
    let y = b.activation("y", [1, 4, 4, 2], scale: 0.2, zeroPoint: 4)
    b.op(.transposeConv(TransposeConvOptions(padding: .same, strideH: 2, strideW: 2)), [shape, f, x], [y])
    let model = b.model("transpose_conv", inputs: [x, f], outputs: [y])
    let op = try LoweringPipeline(arch: .edgeTPU).compile(model).report.operators[0]
    #expect(op.placement == .host)
    #expect(op.reason == "TRANSPOSE_CONV: the filter is not a constant int8 tensor; runs on the host")
  }

  @Test("strides with more than 64 phases stay on the host with a reason")
  func hugeStride() throws {
    let model = Self.model(
      h: 1, w: 1, c: 2, n: 2, kh: 2, kw: 2, stride: (9, 9), padding: .valid, oh: 2, ow: 2, bias: true, seed: 701)
    let op = try LoweringPipeline(arch: .edgeTPU).compile(model).report.operators[0]
    #expect(op.placement == .host)
    #expect(
      op.reason
        == "TRANSPOSE_CONV: strides 9×9: more than 64 stride phases (each a block of output channels); runs on the host"
    )
  }

  /// The committed single-op fixture (TFLite's reference outputs) on every preset.
  @Test("the committed TRANSPOSE_CONV fixture runs on the array bit-exact with TFLite on every preset")
  func committedFixture() throws {
    let sets = try Fixtures.referenceSets(key: "vision_ops").filter {
      $0.stem.hasPrefix("transpose_conv") && $0.stem.hasSuffix("_int8")
    }
    #expect(!sets.isEmpty)
    for set in sets {
      let model = try set.loadResolved()
      for arch in allPresets {
        let compiled = try LoweringPipeline(arch: arch).compile(model)
        Self.expectOnArray(compiled, "\(set.stem) on \(arch.name)")
        let mismatches = try mismatchesWithTFLite(set, model, compiled, label: "\(set.stem) on \(arch.name)")
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
      }
    }
  }

  /// The committed MobileNetV2 U-Net on `edge-tpu`: its four TRANSPOSE_CONVs on the array, the
  /// last one (64 × 64 × 3, read by the host's DEQUANTIZE over the USB link) in phase-row tiles
  /// of `s_w · N` = 6 columns, stored in the output's layout. `VisionNetworkTests.runsBitExact`
  /// compiles and runs the whole network on every preset (TRANSPOSE_CONV on the array included)
  /// against TFLite's reference outputs; this test repeats that on every preset only with
  /// `SYSTOLE_SLOW_TESTS=1` (about a minute in a debug build).
  @Test("the committed U-Net maps its TRANSPOSE_CONVs to the array (bit-exact on every preset: VisionNetworkTests)")
  func unet() throws {
    let sets = try Fixtures.referenceSets(key: "vision").filter { $0.stem.hasPrefix("unet") }
    #expect(sets.count == 1)
    for set in sets {
      let model = try set.loadResolved()
      for arch in slowTests ? allPresets : [.edgeTPU] {
        let compiled = try LoweringPipeline(arch: arch).compile(model)
        let ops = compiled.report.operators.filter { $0.opName == "TRANSPOSE_CONV" }
        #expect(ops.count == 4)
        Self.expectOnArray(compiled, "\(set.stem) on \(arch.name)")
        if arch.name == ArchSpec.edgeTPU.name {
          #expect(ops.last?.tile?.columns == 6, "\(ops.last.map { "\($0.tile.map(\.description) ?? "-")" } ?? "-")")
        }
        guard slowTests else { continue }
        let mismatches = try mismatchesWithTFLite(
          set, model, compiled, label: "\(set.stem) on \(arch.name)", relativeTolerance: 0)
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
      }
    }
  }
}
