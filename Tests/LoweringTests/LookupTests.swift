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

/// int8 unary operators on the vector unit through `vlut`: every int8 input value of every
/// tabulated operator, compiled and executed, equals the golden model (which is bit-exact with
/// TFLite's reference kernels: `TransformerOpTests`, `ActivationKernelTests` and the committed
/// reference sets check that); placements, host fallbacks and the table's DRAM and weight-buffer
/// traffic.
@Suite struct LookupTests {
  /// Each tabulated operator with an output quantization TFLite accepts for it (LOGISTIC's and
  /// TANH's are fixed by their Prepare) and input quantizations that span different curves.
  static let cases: [(kind: OpKind, inputs: [(Float, Int64)], output: (Float, Int64))] = [
    (.logistic, [(0.05, 3), (0.2, -100)], (1.0 / 256, -128)),
    (.tanh, [(0.03, -7), (0.1, 60)], (1.0 / 128, 0)),
    (.hardSwish, [(0.04, 10), (0.11, -128)], (0.03, -90)),
    (.gelu(approximate: false), [(0.05, 0), (0.02, 40)], (0.04, -100)),
    (.gelu(approximate: true), [(0.05, 0), (0.02, 40)], (0.04, -100)),
    (.exp, [(0.02, 20), (0.01, -128)], (0.05, -128)),
    (.neg, [(0.1, 4), (0.07, -128)], (0.1, -4)),
    // RSQRT is defined for inputs at or above the zero point only: −128 covers every input.
    (.rsqrt, [(0.01, -128), (0.3, -128)], (0.02, -128)),
  ]

  /// One unary op on `shape`, with the given quantizations.
  static func model(_ kind: OpKind, _ shape: [Int], input: (Float, Int64), output: (Float, Int64)) -> Model {
    var g = GraphBuilder(seed: 14)
    let x = g.activation("x", shape, scale: input.0, zeroPoint: input.1)
    let y = g.activation("y", shape, scale: output.0, zeroPoint: output.1)
    g.op(kind, [x], [y])
    return g.model(kind.tfliteName, inputs: [x], outputs: [y])
  }

  /// Every int8 value once, in a seeded order, as a `[1, 256]` tensor.
  static let everyValue: TensorData = {
    var rng = SeededGenerator(seed: 256)
    var values = (0..<256).map { Int8(truncatingIfNeeded: $0 - 128) }
    for i in stride(from: values.count - 1, to: 0, by: -1) { values.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
    return TensorData(shape: [1, 256], storage: .int8(values))
  }()

  @Test("vlut equals the golden model on every int8 input of every tabulated op, on every preset and odd arch")
  func everyInputOfEveryOperator() throws {
    var checked = 0
    for c in Self.cases {
      for input in c.inputs {
        let model = Self.model(c.kind, [1, 256], input: input, output: c.output)
        for arch in allPresets + oddArchs {
          let label = "\(c.kind.tfliteName) in \(input)"
          let (problems, compiled) = try compileAndCompare(model, on: arch, inputs: [[Self.everyValue]], label: label)
          #expect(problems.isEmpty, "\(problems)")
          let op = compiled.report.operators[0]
          #expect(op.placement == .vectorUnit, "\(label) on \(arch.name): \(op.reason)")
          #expect(op.reason.hasPrefix("\(c.kind.tfliteName): vlut on the vector unit"), "\(op.reason)")
          #expect(compiled.program.instructions.contains { $0.mnemonic == "vlut" }, "\(label) on \(arch.name)")
          checked += 1
        }
      }
    }
    #expect(checked == Self.cases.count * 2 * (allPresets.count + oddArchs.count))
  }

  @Test("the table is the kernel's output on −128...127 and travels as 256 weight bytes from the DRAM image")
  func tableTraffic() throws {
    let model = Self.model(.logistic, [1, 4, 37], input: (0.05, 3), output: (1.0 / 256, -128))
    let compiled = try LoweringPipeline(arch: .edgeTPU).compile(model)
    let program = compiled.program
    // One 256-byte load into the weight buffer, at the table the vlut instructions name.
    let tableLoads = program.instructions.compactMap { i -> DMA2D? in
      if case .load(let d) = i.operation, d.memory == .weightBuffer { return d }
      return nil
    }
    #expect(tableLoads.count == 1 && tableLoads.first.map { $0.rows * $0.rowBytes } == 256)
    let load = try #require(tableLoads.first)
    let tables = program.instructions.compactMap { i -> SRAMAddress? in
      if case .vector(.lookup(_, let table)) = i.operation { return table }
      return nil
    }
    #expect(!tables.isEmpty && tables.allSatisfy { $0 == load.sramAddress })
    // The DRAM image holds the golden model's LOGISTIC of every int8 value at the loaded address.
    let x = model.main[model.main.inputs[0]]
    var interpreter = Interpreter(model: Self.model(.logistic, [1, 256], input: (0.05, 3), output: (1.0 / 256, -128)))
    let ordered = TensorData(shape: [1, 256], storage: .int8((0..<256).map { Int8(truncatingIfNeeded: $0 - 128) }))
    let want = try interpreter.invoke([ordered])[0].littleEndianBytes()
    let segment = try #require(
      program.dramImage.segments.first {
        $0.address.byteOffset <= load.dramAddress.byteOffset && load.dramAddress.byteOffset + 256 <= $0.end.byteOffset
      })
    let start = load.dramAddress.byteOffset - segment.address.byteOffset
    #expect(Array(segment.bytes[start..<start + 256]) == want)
    #expect(x.shape == [1, 4, 37])
    // The report counts the table as streamed parameter bytes.
    let op = compiled.report.operators[0]
    #expect(op.weightBytes == 256 && op.weightBytesStreamed == 256 && op.weightBytesCached == 0)
  }

  @Test("int8 unary ops stay on the host with a reason when vlut cannot run them")
  func hostFallbacks() throws {
    let noWeights = tinyArch("no-wb", rows: 4, cols: 4, ub: 1024, weights: 128, accumulatorRows: 4)
    let cases: [(Model, ArchSpec, String)] = [
      (
        Self.model(.rsqrt, [1, 16], input: (0.01, 5), output: (0.02, -128)), .edgeTPU,
        "RSQRT: its kernel cannot be tabulated (RSQRT is only defined for non-negative values; input -128 is below the zero point 5); runs on the host"
      ),
      (
        Self.model(.logistic, [1, 16], input: (0.05, 3), output: (1.0 / 256, -128)), noWeights,
        "LOGISTIC: the 256-byte vlut table does not fit no-wb's 128 B weight buffer; runs on the host"
      ),
    ]
    for (model, arch, reason) in cases {
      let report = try LoweringPipeline(arch: arch).compile(model).report
      #expect(report.operators[0].placement == .host)
      #expect(report.operators[0].reason == reason)
    }
    // Per-channel quantization.
    var g = GraphBuilder(seed: 2)
    let x = g.activation("x", [1, 2, 2], scale: 0.05, zeroPoint: 0)
    g.tensors[x.index].quantization = QuantizationParameters(
      scales: [0.05, 0.06], zeroPoints: [0, 0], quantizedDimension: 2)
    let y = g.activation("y", [1, 2, 2], scale: 1.0 / 256, zeroPoint: -128)
    g.op(.logistic, [x], [y])
    let perChannel = try LoweringPipeline(arch: .edgeTPU).compile(g.model("pc", inputs: [x], outputs: [y])).report
    #expect(perChannel.operators[0].placement == .host)
    #expect(
      perChannel.operators[0].reason
        == "LOGISTIC: per-channel or missing quantization; vlut needs one scale and zero point per tensor; runs on the host")
    // Float32 models: the int8 datapath has no float arithmetic (typeProblem), before vlut.
    let floatModel = try loadResolvedModel(Fixtures.model("ops/logistic_float.tflite"))
    let float = try LoweringPipeline(arch: .edgeTPU).compile(floatModel).report
    let logistic = try #require(float.operators.first { $0.opName == "LOGISTIC" })
    #expect(logistic.placement == .host)
    #expect(logistic.reason == "LOGISTIC: float32 tensors; the int8 datapath has no float arithmetic; runs on the host")
  }

  @Test("the committed op fixtures with tabulated ops run vlut bit-exact with TFLite on every preset")
  func committedFixtures() throws {
    let stems = ["logistic_int8", "hard_swish_int8", "rsqrt_int8"]
    let transformerStems = ["gelu_exact_int8", "gelu_approximate_int8", "tanh_int8", "exp_int8"]
    let sets = try Fixtures.referenceSets().filter { stems.contains($0.stem) }
      + Fixtures.referenceSets(key: "transformer_ops").filter { transformerStems.contains($0.stem) }
    #expect(sets.count == stems.count + transformerStems.count, "\(sets.map(\.stem))")
    for set in sets {
      let model = try set.loadResolved()
      for arch in allPresets {
        let compiled = try LoweringPipeline(arch: arch).compile(model)
        let lookups = compiled.report.operators.filter { $0.reason.contains("vlut") }
        #expect(lookups.count == 1, "\(set.stem) on \(arch.name): \(compiled.report.operators.map(\.reason))")
        let mismatches = try mismatchesWithTFLite(set, model, compiled, label: "\(set.stem) on \(arch.name)")
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
      }
    }
  }

  @Test("CostModel.lookup is the simulator's vector_lookup rule: ⌈256 / port(wb)⌉ + max(⌈E / ops⌉, ⌈E·eb / port(ub)⌉)")
  func costModelMatchesTheTimingRule() {
    for arch in allPresets {
      let ops = arch.vectorOpsPerCycle
      let ub = arch.ub.portBytesPerCycle
      let fill = (256 + arch.weights.portBytesPerCycle - 1) / arch.weights.portBytesPerCycle
      for e in [1, 256, 4 * 48, 3000, 94_080] {
        let want = fill + max((e + ops - 1) / ops, (e + ub - 1) / ub, 1)
        #expect(CostModel(arch: arch).lookup(e) == want, "\(arch.name) E = \(e)")
      }
    }
  }
}
