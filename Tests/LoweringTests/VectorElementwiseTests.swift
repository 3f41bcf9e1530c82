import Architecture
import Pipeline
import Foundation
import GoldenModel
import GraphIR
import Support
import SystoleTestSupport
import Testing
import TileISA

@testable import Lowering

// issue 14: vops

/// int8 DIV on the vector unit (`vbinary fn=div`) and int8 SQRT through `vlut`: every int8 pair
/// (DIV) and every int8 input (SQRT) against the golden model's kernels, which are bit-exact
/// with TFLite's reference kernels (`TransformerOpTests`); placements and host fallbacks; the
/// committed `div_broadcast_int8` and `sqrt_int8` fixtures bit-exact with TFLite on every preset.
@Suite struct VectorElementwiseTests {
  typealias Q = (scale: Float, zeroPoint: Int64)

  /// DIV of `a` (shape `aShape`) by `b` (shape `bShape`), both model inputs.
  static func divide(_ aShape: [Int], _ bShape: [Int], a: Q, b: Q, output: Q, activation: FusedActivation = .none)
    -> Model
  {
    var g = GraphBuilder(seed: 14)
    let x = g.activation("a", aShape, scale: a.scale, zeroPoint: a.zeroPoint)
    let y = g.activation("b", bShape, scale: b.scale, zeroPoint: b.zeroPoint)
    let shape = Broadcast.shape(aShape, bShape) ?? aShape
    let out = g.activation("out", shape, scale: output.scale, zeroPoint: output.zeroPoint)
    g.op(.div(activation: activation), [x, y], [out])
    return g.model("div", inputs: [x, y], outputs: [out])
  }

  /// Quantizations (a, b, output, fused activation): the committed fixture's; a ratio above one
  /// (a positive multiplier shift) with a RELU; a ratio far below one; zero points at the extremes.
  static let divideCases: [(Q, Q, Q, FusedActivation)] = [
    ((0.01568588986992836, -128), (0.015682896599173546, -128), (0.237831711769104, -128), .none),
    ((0.05, 10), (0.02, -5), (0.01, 3), .relu),
    ((0.1, 127), (0.003, 0), (0.5, -20), .none),
    ((0.002, -37), (0.4, 127), (0.0001, 0), .relu6),
  ]

  @Test("vbinary fn=div equals the golden model's DIV on every int8 dividend × every non-zero divisor")
  func everyDividePair() throws {
    var pairs = 0
    for (aq, bq, oq, activation) in Self.divideCases {
      // Row r divides all 256 dividends by the r-th divisor that is not the zero point.
      let divisors = (-128...127).filter { Int64($0) != bq.zeroPoint }.map { Int8($0) }
      let a = TensorData(
        shape: [255, 256], storage: .int8((0..<255).flatMap { _ in (-128...127).map { Int8($0) } }))
      let b = TensorData(shape: [255, 1], storage: .int8(divisors))
      let model = Self.divide([255, 256], [255, 1], a: aq, b: bq, output: oq, activation: activation)
      let (problems, compiled) = try compileAndCompare(
        model, on: .edgeTPU, inputs: [[a, b]], label: "DIV \(aq) / \(bq)")
      #expect(problems.isEmpty, "\(problems)")
      let op = compiled.report.operators[0]
      #expect(op.placement == .vectorUnit, "\(op.reason)")
      #expect(
        compiled.program.instructions.contains {
          if case .vector(.binary(_, .divide)) = $0.operation { true } else { false }
        })
      pairs += a.count
    }
    #expect(pairs == 4 * 255 * 256)
  }

  @Test("seeded broadcast DIV shapes on every preset and an odd architecture")
  func seededDivideShapes() throws {
    var rng = SeededGenerator(seed: 1414)
    var compared = 0
    for trial in 0..<4 {
      let (aq, bq, oq, activation) = Self.divideCases[trial % Self.divideCases.count]
      let shape = [
        1, Int.random(in: 1...7, using: &rng), Int.random(in: 1...9, using: &rng), Int.random(in: 2...6, using: &rng),
      ]
      let bShape = trial % 2 == 0 ? [1, 1, shape[3]] : shape
      let model = Self.divide(shape, bShape, a: aq, b: bq, output: oq, activation: activation)
      // Divisors never at their zero point (TFLite's kernel errors there; see zeroDivisor).
      var inputs = randomInputs(model, seed: UInt64(trial), count: 1)
      if case .int8(var d) = inputs[0][1].storage {
        for k in d.indices where Int64(d[k]) == bq.zeroPoint { d[k] = d[k] == 127 ? 126 : d[k] + 1 }
        inputs[0][1] = TensorData(shape: inputs[0][1].shape, storage: .int8(d))
      }
      for arch in allPresets + [oddArchs[1]] {
        let (problems, compiled) = try compileAndCompare(
          model, on: arch, inputs: inputs, label: "DIV \(shape) / \(bShape)")
        #expect(problems.filter { !$0.contains("degenerate") }.isEmpty, "\(problems)")
        #expect(compiled.report.operators[0].placement == .vectorUnit, "\(compiled.report.operators[0].reason)")
        compared += 1
      }
    }
    #expect(compared == 4 * 6)
  }

  @Test("a divisor at its zero point is a run-time error of the program, as of the golden model; never a trap")
  func zeroDivisor() throws {
    let (aq, bq, oq, _) = Self.divideCases[1]
    let model = Self.divide([2, 3], [2, 3], a: aq, b: bq, output: oq)
    let compiled = try LoweringPipeline(arch: .edgeTPU).compile(model)
    let a = TensorData(shape: [2, 3], storage: .int8([1, 2, 3, 4, 5, 6]))
    let b = TensorData(shape: [2, 3], storage: .int8([1, 2, Int8(bq.zeroPoint), 4, 5, 6]))
    var interpreter = Interpreter(model: model)
    #expect(throws: GoldenModelError.self) { try interpreter.invoke([a, b]) }
    let host = GoldenHostExecutor(model: model, compiled: compiled)
    let error = #expect(throws: ISAError.self) {
      try compiled.program.run(inputs: [a, b].map { $0.littleEndianBytes() }, host: host)
    }
    #expect(error?.message.contains("has no result (a zero divisor") == true, "\(String(describing: error))")
  }

  @Test("the mapping report names vbinary fn=div; a multiplier shift outside -25...23 stays on the host")
  func divideReasons() throws {
    let (aq, bq, oq, _) = Self.divideCases[0]
    let op = try LoweringPipeline(arch: .edgeTPU).compile(Self.divide([1, 4, 6], [1, 1, 6], a: aq, b: bq, output: oq))
      .report.operators[0]
    #expect(
      op.reason
        == "DIV: vbinary fn=div on the vector unit with a zero-stride (broadcast) operand (TFLite's int8 DIV arithmetic; a divisor at its zero point is an execution error, as in TFLite)"
    )
    // s_a / (s_b · s_out) = 2^30: QuantizeMultiplier's shift is 31.
    let rejected = try LoweringPipeline(arch: .edgeTPU).compile(
      Self.divide([4], [4], a: (1, 0), b: (1, 0), output: (1.0 / 1_073_741_824, 0))
    ).report.operators[0]
    #expect(rejected.placement == .host)
    #expect(
      rejected.reason
        == "DIV: rescaling shift out of -25...23 (some int8 pair's shift would leave 0...63); runs on the host")
  }

  /// SQRT of one `[1, 256]` tensor.
  static func squareRoot(input: Q, output: Q) -> Model {
    var g = GraphBuilder(seed: 14)
    let x = g.activation("x", [1, 256], scale: input.scale, zeroPoint: input.zeroPoint)
    let y = g.activation("y", [1, 256], scale: output.scale, zeroPoint: output.zeroPoint)
    g.op(.sqrt, [x], [y])
    return g.model("sqrt", inputs: [x], outputs: [y])
  }

  @Test(
    "SQRT's vlut equals the golden model on every int8 input, on every preset; a zero point above −128 stays on the host"
  )
  func everySquareRootInput() throws {
    let every = TensorData(shape: [1, 256], storage: .int8((-128...127).map { Int8($0) }))
    // The fixture's quantization and another with the input zero point at −128 (every input is
    // at or above it); TFLite rejects inputs below the zero point, as the golden model does.
    let cases: [(Q, Q)] = [((0.015685973688960075, -128), (0.007843062281608582, -128)), ((0.3, -128), (0.05, 0))]
    var checked = 0
    for (xq, yq) in cases {
      let model = Self.squareRoot(input: xq, output: yq)
      for arch in allPresets {
        let (problems, compiled) = try compileAndCompare(model, on: arch, inputs: [[every]], label: "SQRT \(xq)")
        #expect(problems.isEmpty, "\(problems)")
        let op = compiled.report.operators[0]
        #expect(op.placement == .vectorUnit, "\(arch.name): \(op.reason)")
        #expect(op.reason.hasPrefix("SQRT: vlut on the vector unit"), "\(op.reason)")
        checked += 1
      }
    }
    #expect(checked == 2 * allPresets.count)
    let rejected = try LoweringPipeline(arch: .edgeTPU).compile(Self.squareRoot(input: (0.02, 0), output: (0.01, -100)))
      .report.operators[0]
    #expect(rejected.placement == .host)
    #expect(
      rejected.reason
        == "SQRT: its kernel cannot be tabulated (SQRT is only defined for non-negative values; input -128 is below the zero point 0); runs on the host"
    )
  }

  @Test(
    "the committed div_broadcast_int8 and sqrt_int8 fixtures run on the vector unit bit-exact with TFLite on every preset"
  )
  func committedFixtures() throws {
    let stems = ["div_broadcast_int8": "DIV", "sqrt_int8": "SQRT"]
    let sets = try Fixtures.referenceSets(key: "transformer_ops").filter { stems[$0.stem] != nil }
    #expect(sets.count == 2, "\(sets.map(\.stem))")
    for set in sets {
      let model = try set.loadResolved()
      for arch in allPresets {
        let compiled = try LoweringPipeline(arch: arch).compile(model)
        let ops = compiled.report.operators.filter { $0.opName == stems[set.stem] }
        #expect(!ops.isEmpty && ops.allSatisfy { $0.placement == .vectorUnit }, "\(arch.name): \(ops.map(\.reason))")
        let mismatches = try mismatchesWithTFLite(set, model, compiled, label: "\(set.stem) on \(arch.name)")
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
      }
    }
  }
}

/// int8 LESS → bool (`vbinary fn=less`), bool LOGICAL_AND (`vbinary fn=and`) and SELECT /
/// SELECT_V2 (`vbinary fn=select`) on the vector unit: every int8 pair against the golden model's
/// LESS, seeded broadcast shapes on every preset, and the committed `less_select*_int8` fixtures
/// bit-exact with TFLite.
@Suite struct VectorComparisonTests {
  typealias Q = (scale: Float, zeroPoint: Int64)

  /// LESS of `a` and `b` (model inputs), its bool output a model output.
  static func less(_ aShape: [Int], _ bShape: [Int], a: Q, b: Q) -> Model {
    var g = GraphBuilder(seed: 14)
    let x = g.activation("a", aShape, scale: a.scale, zeroPoint: a.zeroPoint)
    let y = g.activation("b", bShape, scale: b.scale, zeroPoint: b.zeroPoint)
    let out = g.boolTensor("less", Broadcast.shape(aShape, bShape) ?? aShape)
    g.op(.less, [x, y], [out])
    return g.model("less", inputs: [x, y], outputs: [out])
  }

  /// Quantizations (a, b): equal (the fixtures'), unequal, zero points at the extremes.
  static let cases: [(Q, Q)] = [
    ((0.023211408406496048, 1), (0.023211408406496048, 1)),
    ((0.05, 10), (0.02, -5)),
    ((0.1, 127), (0.003, -128)),
  ]

  @Test("vbinary fn=less equals the golden model's LESS on every int8 pair")
  func everyPair() throws {
    let a = TensorData(shape: [256, 256], storage: .int8((0..<256).flatMap { _ in (-128...127).map { Int8($0) } }))
    let b = TensorData(shape: [256, 1], storage: .int8((-128...127).map { Int8($0) }))
    for (aq, bq) in Self.cases {
      let model = Self.less([256, 256], [256, 1], a: aq, b: bq)
      let (problems, compiled) = try compileAndCompare(
        model, on: .edgeTPU, inputs: [[a, b]], label: "LESS \(aq) \(bq)")
      // Bool outputs have two values; the golden model's output has both (checked below).
      #expect(problems.filter { !$0.contains("degenerate") }.isEmpty, "\(problems)")
      var interpreter = Interpreter(model: model)
      let want = try interpreter.invoke([a, b])[0]
      #expect(Set(want.littleEndianBytes()) == [0, 1])
      let op = compiled.report.operators[0]
      #expect(op.placement == .vectorUnit, "\(op.reason)")
      #expect(
        compiled.program.instructions.contains {
          if case .vector(.binary(_, .less)) = $0.operation { true } else { false }
        })
    }
  }

  @Test("LESS then LOGICAL_AND, seeded broadcast shapes, on every preset")
  func seededShapes() throws {
    var rng = SeededGenerator(seed: 1415)
    var compared = 0
    for trial in 0..<3 {
      let (aq, bq) = Self.cases[trial]
      let shape = [1, Int.random(in: 1...6, using: &rng), Int.random(in: 2...9, using: &rng)]
      let bShape = trial == 1 ? [1, 1, shape[2]] : shape
      var g = GraphBuilder(seed: UInt64(trial))
      let x = g.activation("a", shape, scale: aq.scale, zeroPoint: aq.zeroPoint)
      let y = g.activation("b", bShape, scale: bq.scale, zeroPoint: bq.zeroPoint)
      let z = g.activation("c", shape, scale: bq.scale, zeroPoint: bq.zeroPoint)
      let l1 = g.boolTensor("l1", shape)
      let l2 = g.boolTensor("l2", shape)
      let out = g.boolTensor("and", shape)
      g.op(.less, [x, y], [l1])
      g.op(.less, [z, x], [l2])
      g.op(.logicalAnd, [l1, l2], [out])
      let model = g.model("less_and", inputs: [x, y, z], outputs: [out])
      for arch in allPresets {
        let (problems, compiled) = try compileAndCompare(
          model, on: arch, inputs: randomInputs(model, seed: UInt64(trial), count: 1), label: "LESS/AND \(shape)")
        #expect(problems.filter { !$0.contains("degenerate") }.isEmpty, "\(problems)")
        for op in compiled.report.operators { #expect(op.placement == .vectorUnit, "\(arch.name): \(op.reason)") }
        compared += 1
      }
    }
    #expect(compared == 3 * allPresets.count)
  }

  @Test("SELECT (each condition form) and SELECT_V2 (broadcast) equal the golden model on every preset")
  func seededSelects() throws {
    var rng = SeededGenerator(seed: 1416)
    var compared = 0
    // (x shape, y shape, condition shape, broadcasting)
    let forms: [([Int], [Int], [Int], Bool)] = [
      ([2, 3, 5], [2, 3, 5], [2, 3, 5], false), ([4, 3], [4, 3], [], false), ([3, 2, 4], [3, 2, 4], [3], false),
      ([1, 4, 6], [1, 1, 6], [1, 4, 1], true), ([5, 1], [1, 7], [5, 7], true),
    ]
    for (n, (xShape, yShape, cShape, broadcasting)) in forms.enumerated() {
      var g = GraphBuilder(seed: UInt64(n))
      let x = g.activation("x", xShape, scale: 0.02, zeroPoint: 3)
      let y = g.activation("y", yShape, scale: 0.05, zeroPoint: -7)
      let c = g.boolTensor("c", cShape)
      let outShape = Broadcast.shape(Broadcast.shape(xShape, yShape) ?? xShape, cShape) ?? xShape
      let out = g.activation("out", outShape, scale: 0.02, zeroPoint: 3)
      g.op(broadcasting ? .selectV2 : .select, [c, x, y], [out])
      let model = g.model("select", inputs: [c, x, y], outputs: [out])
      let flags = TensorData(
        shape: cShape, storage: .bool((0..<cShape.reduce(1, *)).map { _ in Bool.random(using: &rng) }))
      let values = randomInputs(model, seed: UInt64(n), count: 1)[0]
      for arch in allPresets {
        let (problems, compiled) = try compileAndCompare(
          model, on: arch, inputs: [[flags, values[1], values[2]]],
          label: "\(broadcasting ? "SELECT_V2" : "SELECT") \(cShape)")
        #expect(problems.filter { !$0.contains("degenerate") }.isEmpty, "\(problems)")
        let op = compiled.report.operators[0]
        #expect(op.placement == .vectorUnit, "\(arch.name): \(op.reason)")
        compared += 1
      }
    }
    #expect(compared == 5 * allPresets.count)
  }

  @Test("CostModel.select is the simulator's vector_select rule: max(⌈E / ops⌉, ⌈3E·eb / port(ub)⌉)")
  func selectCost() {
    for arch in allPresets {
      let ops = arch.vectorOpsPerCycle
      let port = arch.ub.portBytesPerCycle
      let eb = arch.datapath.elementBytes
      for e in [1, 256, 3000, 94_080] {
        #expect(
          CostModel(arch: arch).select(e) == max((e + ops - 1) / ops, (3 * e * eb + port - 1) / port, 1),
          "\(arch.name) E = \(e)")
      }
    }
  }

  @Test(
    "the committed less_select fixtures run LESS and SELECT on the vector unit bit-exact with TFLite on every preset")
  func committedFixtures() throws {
    let stems = ["less_select_int8", "less_select_v2_int8"]
    let sets = try Fixtures.referenceSets(key: "transformer_ops").filter { stems.contains($0.stem) }
    #expect(sets.count == 2, "\(sets.map(\.stem))")
    for set in sets {
      let model = try set.loadResolved()
      for arch in allPresets {
        let compiled = try LoweringPipeline(arch: arch).compile(model)
        #expect(compiled.hostTasks.isEmpty, "\(set.stem) on \(arch.name): \(compiled.hostTasks.map(\.opName))")
        let ops = compiled.report.operators.filter { ["LESS", "SELECT", "SELECT_V2"].contains($0.opName) }
        #expect(!ops.isEmpty && ops.allSatisfy { $0.placement == .vectorUnit }, "\(arch.name): \(ops.map(\.reason))")
        let mismatches = try mismatchesWithTFLite(set, model, compiled, label: "\(set.stem) on \(arch.name)")
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
      }
    }
  }
}

extension GraphBuilder {
  /// A bool activation tensor (one byte per element).
  mutating func boolTensor(_ name: String, _ shape: [Int]) -> TensorID {
    tensors.append(Tensor(name: name, shape: shape, elementType: .bool))
    return TensorID(tensors.count - 1)
  }
}
