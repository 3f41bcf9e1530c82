import Architecture
import GraphIR
import Lowering
import Testing

/// Elementwise, pooling, requantization and data-movement operators on the vector unit (or by
/// DMA), bit-exact with the golden model, on a large, a tiny and a cramped architecture.
@Suite struct VectorOpTests {
  static let archs: [ArchSpec] = [
    .tpuV1, .toy4x4, tinyArch("cramped", rows: 4, cols: 4, ub: 40, weights: 256, accumulatorRows: 4),
  ]

  func check(_ model: Model, _ label: String, placement: Placement = .vectorUnit, seed: UInt64 = 1) throws {
    for arch in Self.archs {
      let (problems, compiled) = try compileAndCompare(
        model, on: arch, inputs: randomInputs(model, seed: seed), label: label)
      #expect(problems.isEmpty, "\(problems)")
      #expect(
        compiled.report.operators.first?.placement == placement,
        "\(label): \(compiled.report.operators.first?.reason ?? "")")
    }
  }

  static func binary(
    _ kind: OpKind, _ a: [Int], _ b: [Int], constantB: Bool = false, outScale: Float = 0.07, seed: UInt64
  ) -> Model {
    var g = GraphBuilder(seed: seed)
    let x = g.activation("a", a, scale: 0.05, zeroPoint: -9)
    let y = constantB ? g.constant("b", b, scale: 0.03, zeroPoint: 4) : g.activation("b", b, scale: 0.03, zeroPoint: 4)
    let z = g.activation("out", Broadcast.shape(a, b) ?? a, scale: outScale, zeroPoint: 3)
    g.op(kind, [x, y], [z])
    return g.model("binary", inputs: constantB ? [x] : [x, y], outputs: [z])
  }

  @Test func addSubMulWithEveryBroadcast() throws {
    let shapes: [([Int], [Int])] = [
      ([1, 4, 4, 6], [1, 4, 4, 6]), ([1, 4, 4, 6], [1, 1, 1, 6]), ([1, 4, 4, 6], [1, 4, 1, 6]),
      ([1, 4, 4, 6], [1, 1, 4, 1]), ([1, 8, 16], [1, 8, 1]), ([1, 8, 16], []), ([2, 3, 1, 5], [1, 3, 4, 1]),
      ([1, 1, 1, 6], [1, 4, 4, 6]), ([37], [37]),
    ]
    var seed: UInt64 = 10
    for (a, b) in shapes {
      for kind in [OpKind.add(activation: .none), .sub(activation: .relu), .mul(activation: .none)] {
        seed += 1
        try check(
          Self.binary(kind, a, b, outScale: kind.tfliteName == "MUL" ? 0.01 : 0.07, seed: seed),
          "\(kind.tfliteName) \(a) \(b)", seed: seed)
      }
    }
    try check(
      Self.binary(.mul(activation: .relu6), [1, 4, 4, 6], [1, 4, 4, 6], constantB: true, outScale: 0.01, seed: 99),
      "MUL const")
  }

  @Test func addWithRejectedScalesRunsOnTheHost() throws {
    // Output scale so small that the output multiplier is ≥ 1: TFLite rejects it, and so the
    // compiler leaves it to the host (where the golden kernel fails the same way).
    let model = Self.binary(.add(activation: .none), [1, 4], [1, 4], outScale: 1e-9, seed: 5)
    let report = try LoweringPipeline(arch: .toy4x4).compile(model).report
    #expect(report.operators[0].placement == .host)
    #expect(
      report.operators[0].reason == "ADD: rescaling multiplier ≥ 1 (TFLite rejects these scales); runs on the host")
  }

  static func pool(
    max: Bool, h: Int, w: Int, c: Int, filter: Int, stride: Int, padding: Padding, activation: FusedActivation = .none
  ) -> Model {
    var g = GraphBuilder(seed: 7)
    let x = g.activation("x", [1, h, w, c], scale: 0.05, zeroPoint: -2)
    let hg = padding.geometry(input: h, filter: filter, stride: stride)
    let wg = padding.geometry(input: w, filter: filter, stride: stride)
    let y = g.activation("y", [1, hg.output, wg.output, c], scale: 0.05, zeroPoint: -2)
    let o = Pool2DOptions(
      padding: padding, strideH: stride, strideW: stride, filterH: filter, filterW: filter, activation: activation)
    g.op(max ? .maxPool2D(o) : .averagePool2D(o), [x], [y])
    return g.model("pool", inputs: [x], outputs: [y])
  }

  @Test func pools() throws {
    for max in [true, false] {
      for (filter, stride, padding) in [(2, 2, Padding.valid), (3, 1, .same), (3, 2, .same), (5, 5, .valid)] {
        try check(
          Self.pool(max: max, h: 7, w: 6, c: 5, filter: filter, stride: stride, padding: padding, activation: .relu),
          "\(max ? "max" : "avg") \(filter)/\(stride) \(padding)")
      }
    }
  }

  @Test func concatenationAndPad() throws {
    var g = GraphBuilder(seed: 8)
    let a = g.activation("a", [1, 4, 4, 3], scale: 0.1, zeroPoint: 1)
    let b = g.activation("b", [1, 4, 4, 5], scale: 0.1, zeroPoint: 1)
    let c = g.activation("c", [1, 4, 4, 8], scale: 0.1, zeroPoint: 1)
    g.op(.concatenation(axis: 3, activation: .none), [a, b], [c])
    try check(g.model("concat", inputs: [a, b], outputs: [c]), "concat channels")

    var h = GraphBuilder(seed: 9)
    let x = h.activation("x", [1, 2, 6], scale: 0.1, zeroPoint: 1)
    let y = h.activation("y", [1, 3, 6], scale: 0.1, zeroPoint: 1)
    let z = h.activation("z", [1, 5, 6], scale: 0.1, zeroPoint: 1)
    h.op(.concatenation(axis: -2, activation: .none), [x, y], [z])
    try check(h.model("concat", inputs: [x, y], outputs: [z]), "concat axis 1")

    var k = GraphBuilder(seed: 10)
    let p = k.activation("p", [1, 4, 4, 3], scale: 0.1, zeroPoint: -5)
    let pads = k.int32("paddings", [4, 2], [0, 0, 1, 2, 2, 1, 0, 1])
    let q = k.activation("q", [1, 7, 7, 4], scale: 0.1, zeroPoint: -5)
    k.op(.pad, [p, pads], [q])
    try check(k.model("pad", inputs: [p], outputs: [q]), "pad")

    var m = GraphBuilder(seed: 11)
    let u = m.activation("u", [1, 3, 5], scale: 0.1, zeroPoint: 2)
    let upads = m.int32("paddings", [3, 2], [0, 0, 2, 0, 0, 3])
    let fill = m.constant("fill", [], scale: 0.1, zeroPoint: 2)
    let v = m.activation("v", [1, 5, 8], scale: 0.1, zeroPoint: 2)
    m.op(.padV2, [u, upads, fill], [v])
    try check(m.model("padv2", inputs: [u], outputs: [v]), "padv2")
  }

  @Test func concatenationWithDifferentScalesRunsOnTheHost() throws {
    var g = GraphBuilder(seed: 12)
    let a = g.activation("a", [1, 2, 3], scale: 0.1, zeroPoint: 1)
    let b = g.activation("b", [1, 2, 3], scale: 0.2, zeroPoint: 1)
    let c = g.activation("c", [1, 4, 3], scale: 0.1, zeroPoint: 1)
    g.op(.concatenation(axis: 1, activation: .none), [a, b], [c])
    try check(g.model("concat", inputs: [a, b], outputs: [c]), "concat rescale", placement: .host)
  }

  @Test func activationsAndRequantization() throws {
    for (kind, outScale, outZP) in [
      (OpKind.relu, Float(0.05), Int64(-128)), (.relu6, 0.03, -100), (.reluN1To1, 0.01, 0), (.quantize, 0.07, 12),
    ] {
      var g = GraphBuilder(seed: 13)
      let x = g.activation("x", [1, 5, 7, 3], scale: 0.05, zeroPoint: 6)
      let y = g.activation("y", [1, 5, 7, 3], scale: outScale, zeroPoint: outZP)
      g.op(kind, [x], [y])
      try check(g.model("act", inputs: [x], outputs: [y]), kind.tfliteName)
    }
  }

  @Test func standaloneReluFoldsIntoTheConvolution() throws {
    var g = GraphBuilder(seed: 14)
    let x = g.activation("x", [1, 5, 5, 3], scale: 0.04, zeroPoint: 0)
    let f = g.weights("f", [4, 3, 3, 3], scales: g.scales(4, base: 0.01))
    let bias = g.bias("bias", 4)
    let y = g.activation("conv", [1, 5, 5, 4], scale: 0.02, zeroPoint: -3)
    let z = g.activation("relu", [1, 5, 5, 4], scale: 0.02, zeroPoint: -3)
    g.op(.conv2D(Conv2DOptions(padding: .same)), [x, f, bias], [y])
    g.op(.relu6, [y], [z])
    let model = g.model("conv-relu", inputs: [x], outputs: [z])
    for arch in Self.archs.prefix(2) {
      let (problems, compiled) = try compileAndCompare(model, on: arch, inputs: randomInputs(model, seed: 3))
      #expect(problems.isEmpty, "\(problems)")
      let relu = compiled.report.operators[1]
      #expect(relu.placement == .fused)
      #expect(relu.fusedInto == 0)
      #expect(relu.reason == "RELU6: folded into op #0 CONV_2D's clamp (same scale and zero point)")
      #expect(relu.instructionCount == 0)
    }
  }
}
