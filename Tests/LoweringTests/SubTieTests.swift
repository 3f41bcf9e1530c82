import Architecture
import GoldenModel
import GraphIR
import Lowering
import Pipeline
import SystoleTestSupport
import TFLiteImport
import Testing
import TileISA

/// The committed SUB models whose scales put exact ties on the high multiply of the second
/// input (`Programs/models/ops/sub_tie*_int8.tflite`, all 65,536 int8 pairs each): the compiled
/// `vsub` matches the golden model and TFLite, and the negated-multiplier reading of SUB would
/// not. `CommittedModelTests` also runs these sets on every architecture.
@Suite struct SubTieTests {
  static let stems = ["sub_tie_int8", "sub_tie_broadcast_int8"]

  @Test(arguments: stems)
  func vsubMatchesGoldenAndTFLiteOnTies(_ stem: String) throws {
    let set = try ReferenceSet(stem: stem)
    let model = try set.loadResolved()
    let inputs = try set.inputs(invocation: 0)
    let reference = try set.outputs(invocation: 0)
    var interpreter = Interpreter(model: model)
    let golden = try interpreter.invoke(inputs)
    #expect(mismatchCount(golden[0], reference[0]) == 0, "golden model vs TFLite")

    for arch in [ArchSpec.tpuV1, .toy4x4] {
      let compiled = try LoweringPipeline(arch: arch).compile(model)
      let operators = compiled.report.operators
      #expect(operators.map(\.opName) == ["SUB"] && operators.map(\.placement) == [.vectorUnit], "\(arch.name)")
      let subs = compiled.program.instructions.filter {
        if case .vector(.sub) = $0.operation { true } else { false }
      }
      #expect(!subs.isEmpty, "\(arch.name): no vsub emitted")
      let host = GoldenHostExecutor(model: model, compiled: compiled)
      let bytes = inputs.map { $0.littleEndianBytes() }
      let got = try output(compiled.program, bytes, host, like: reference[0])
      #expect(mismatchCount(got, reference[0]) == 0, "\(arch.name): vsub vs TFLite")
      #expect(mismatchCount(got, golden[0]) == 0, "\(arch.name): vsub vs golden model")

      // The same program with every vsub rewritten as vadd of the negated multiplier (the
      // pre-2.21 `sub.cc` reading): the reference set must catch it.
      var negated = compiled.program
      for i in negated.instructions.indices {
        if case .vector(.sub(let o, var q)) = negated.instructions[i].operation {
          q.bMultiplier = 0 &- q.bMultiplier
          negated.instructions[i].operation = .vector(.add(o, q))
        }
      }
      let wrong = try output(negated, bytes, host, like: reference[0])
      #expect(mismatchCount(wrong, reference[0]) > 0, "\(arch.name): the tie cases do not discriminate")
    }
  }

  func output(_ program: TileProgram, _ inputs: [[UInt8]], _ host: GoldenHostExecutor, like want: TensorData) throws
    -> TensorData
  {
    let raw = try program.run(inputs: inputs, host: host)
    guard raw.count == 1,
      let t = TensorData(littleEndianBytes: raw[0], type: want.elementType, shape: want.shape)
    else {
      throw FixtureError("\(raw.count) outputs, \(raw.first?.count ?? 0) bytes")
    }
    return t
  }
}
