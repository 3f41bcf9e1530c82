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

/// issue 14: resize — float islands (int8 → DEQUANTIZE → float unary ops → QUANTIZE → int8) folded
/// into one `vlut`: every int8 input equal to the golden model, the chain's report reasons, the
/// float intermediates never placed in DRAM or the arena; chains that are no island stay on the host.
@Suite struct FloatIslandTests {
  /// `x` int8 → DEQUANTIZE → `ops` (float32) → QUANTIZE → `y` int8; `extraConsumer` also reads the
  /// first float tensor (so the chain is no island).
  static func model(_ ops: [OpKind], extraConsumer: Bool = false) -> Model {
    var g = GraphBuilder(seed: 9)
    let x = g.activation("x", [1, 256], scale: 0.04, zeroPoint: -5)
    func float(_ name: String) -> TensorID {
      g.tensors.append(Tensor(name: name, shape: [1, 256], elementType: .float32))
      return TensorID(g.tensors.count - 1)
    }
    var current = float("x_f")
    g.op(.dequantize, [x], [current])
    let first = current
    for (k, kind) in ops.enumerated() {
      let next = float("f\(k)")
      g.op(kind, [current], [next])
      current = next
    }
    let y = g.activation("y", [1, 256], scale: 0.03, zeroPoint: 7)
    g.op(.quantize, [current], [y])
    var outputs = [y]
    if extraConsumer {
      let z = float("z")
      g.op(.neg, [first], [z])
      outputs.append(z)
    }
    return g.model("island", inputs: [x], outputs: outputs)
  }

  @Test("DEQUANTIZE → float unary ops → QUANTIZE runs one vlut equal to the golden model on every int8 input")
  func everyInput() throws {
    for ops in [[OpKind.neg], [.neg, .tanh], [], [.logistic, .neg]] {
      let model = Self.model(ops)
      for arch in allPresets {
        let label = ops.map(\.tfliteName).joined(separator: ",")
        let (problems, compiled) = try compileAndCompare(
          model, on: arch, inputs: [[LookupTests.everyValue]], label: label)
        #expect(problems.isEmpty, "\(problems)")
        let report = compiled.report.operators
        let names = (["DEQUANTIZE"] + ops.map(\.tfliteName) + ["QUANTIZE"]).joined(separator: " → ")
        #expect(report[0].placement == .vectorUnit)
        #expect(report[0].reason.hasPrefix("\(names) folded into one vlut"), "\(report[0].reason)")
        #expect(report.dropFirst().allSatisfy { $0.placement == .fused }, "\(report.map(\.reason))")
        #expect(compiled.program.instructions.filter { $0.mnemonic == "vlut" }.count >= 1)
        #expect(compiled.hostTasks.isEmpty)
        // Only the int8 input and output live in DRAM or the arena; no float tensor is placed.
        let dump = try LoweringPipeline(arch: arch).dump(model, after: .allocate)
        for k in 0..<ops.count { #expect(!dump.contains("'f\(k)'"), "\(label) on \(arch.name): f\(k) placed") }
        #expect(!dump.contains("'x_f'"), "\(label) on \(arch.name): x_f placed")
        #expect(dump.contains("'y'"), "\(label) on \(arch.name): the int8 output has no place")
      }
    }
  }

  @Test("a chain with a second consumer, a float op outside the list, or a lone DEQUANTIZE stays on the host")
  func notIslands() throws {
    let shared = try LoweringPipeline(arch: .edgeTPU).compile(Self.model([.neg], extraConsumer: true)).report
    #expect(shared.operators[0].placement == .host, "\(shared.operators[0].reason)")
    let softmax = try LoweringPipeline(arch: .edgeTPU).compile(Self.model([.softmax(beta: 1)])).report
    #expect(softmax.operators.allSatisfy { $0.placement == .host }, "\(softmax.operators.map(\.reason))")
    // The ReportTests network ends in a DEQUANTIZE to float32 at the graph output.
    var g = GraphBuilder(seed: 1)
    let x = g.activation("x", [1, 8], scale: 0.05, zeroPoint: 3)
    g.tensors.append(Tensor(name: "out", shape: [1, 8], elementType: .float32))
    let out = TensorID(g.tensors.count - 1)
    g.op(.dequantize, [x], [out])
    let lone = try LoweringPipeline(arch: .edgeTPU).compile(g.model("lone", inputs: [x], outputs: [out])).report
    #expect(lone.operators[0].placement == .host)
    #expect(
      lone.operators[0].reason
        == "DEQUANTIZE: float32 tensors; the int8 datapath has no float arithmetic; runs on the host")
  }
}
