import Foundation
import GoldenModel
import GraphIR
import Support
import SystoleTestSupport
import TFLiteImport
import Testing

// issue 14: sum
/// Quantized SUM (`make_sum_models.py`, index key `sum_ops`): converter-default single-op files in
/// int8 and int16 (and two int16 copies with a patched output scale, where the rescale rounds)
/// with 8 seeded invocations each. int8 is bit-exact with TF 2.21's BUILTIN_REF,
/// which runs the uint8 kernel on the int8 bytes (docs/quantization.md); int16 with the BUILTIN
/// resolver (BUILTIN_REF leaves int16 output bytes unwritten), as each manifest's `resolver` says.
@Suite struct SumOpTests {
  static let sets: [ReferenceSet] = (try? Fixtures.referenceSets(key: "sum_ops")) ?? []

  static func resolver(_ set: ReferenceSet) throws -> String? {
    let url = set.base.appendingPathComponent("reference/\(set.stem)/manifest.json")
    let manifest = try JSONValue.parse(String(decoding: try Data(contentsOf: url), as: UTF8.self))
    if case .string(let s)? = manifest["resolver"] { return s }
    return nil
  }

  @Test func fixturesArePresent() throws {
    let stems = Set(Self.sets.map(\.stem))
    let int8 = ["keepdims", "two_axes", "hw", "last_dynamic", "middle_keepdims", "all", "pairs"]
    let int16 = ["keepdims", "keepdims_rescaled", "hw", "hw_rescaled", "last_dynamic"]
    #expect(stems == Set(int8.map { "sum_\($0)_int8" } + int16.map { "sum_\($0)_int16" }))
    for set in Self.sets {
      #expect(set.ops == ["SUM"], "\(set.stem): \(set.ops)")
      #expect(set.invocations == 8, "\(set.stem)")
      let want = set.stem.hasSuffix("_int8") ? "BUILTIN_REF" : "BUILTIN_WITHOUT_DEFAULT_DELEGATES"
      #expect(try Self.resolver(set) == want, "\(set.stem)")
    }
  }

  @Test(arguments: sets)
  func matchesTFLite(_ set: ReferenceSet) throws {
    let model = try TFLiteImporter.load(contentsOf: set.model)
    #expect(model.main.operators.map(\.kind).contains { if case .sum = $0 { true } else { false } })
    let problems = try set.goldenMismatches(model, relativeTolerance: 0)
    #expect(problems.isEmpty, "\(problems.prefix(3))")
  }

  /// `sum_pairs_int8` reduces pairs, the first of each pair running over all 256 int8 values in
  /// every invocation, so the byte reading is checked on every value.
  @Test func pairsSeeEveryInt8Value() throws {
    let set = try ReferenceSet(stem: "sum_pairs_int8")
    for n in 0..<set.invocations {
      guard case .int8(let values) = try set.inputs(invocation: n)[0].storage else {
        Issue.record("sum_pairs_int8: input is not int8")
        return
      }
      let firsts = stride(from: 0, to: values.count, by: 2).map { values[$0] }
      #expect(Set(firsts).count == 256, "invocation \(n)")
    }
  }

  /// Bad quantization from a file throws with the operator named instead of trapping: an output
  /// scale of 0 (an infinite rescale), an int16 output for an int8 input.
  @Test func badQuantizationThrows() throws {
    let set = try ReferenceSet(stem: "sum_keepdims_int8")
    let base = try TFLiteImporter.load(contentsOf: set.model)
    let outID = base.main.operators[0].outputs[0]
    var zeroScale = base
    zeroScale.graphs[0][outID].quantization?.scales = [0]
    var wrongType = base
    wrongType.graphs[0][outID].elementType = .int16
    for model in [zeroScale, wrongType] {
      var interpreter = Interpreter(model: model)
      #expect(throws: GoldenModelError.self) { try interpreter.invoke(try set.inputs(invocation: 0)) }
    }
  }

  /// Quantized SUM over no axes (TFLite copies the input) is refused, never guessed.
  @Test func emptyAxesAreRefused() throws {
    let set = try ReferenceSet(stem: "sum_keepdims_int8")
    var model = try TFLiteImporter.load(contentsOf: set.model)
    let op = model.main.operators[0]
    guard let axisID = op.input(1) else {
      Issue.record("SUM has no axis input")
      return
    }
    model.graphs[0][axisID].shape = [0]
    model.graphs[0][axisID].data = TensorData(shape: [0], storage: .int32([]))
    var interpreter = Interpreter(model: model)
    #expect(throws: GoldenModelError.self) { try interpreter.invoke(try set.inputs(invocation: 0)) }
  }
}
