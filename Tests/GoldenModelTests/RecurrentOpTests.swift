import Foundation
import GoldenModel
import GraphIR
import SystoleTestSupport
import TFLiteImport
import Testing

/// UNIDIRECTIONAL_SEQUENCE_LSTM (issue 14, recurrent family) against TFLite's BUILTIN_REF
/// outputs (`make_recurrent_models.py`): three single-op files of different sizes and cell-state
/// scales and the LSTM keyword spotter, int8 (8×8→16 integer path) byte for byte and float32
/// within 1e-5 relative. Every reference set runs three invocations on one interpreter, so the
/// state TFLite carries between invocations is checked too.
@Suite struct RecurrentOpTests {
  static let opSets: [ReferenceSet] = (try? Fixtures.referenceSets(key: "recurrent_ops")) ?? []
  static let networkSets: [ReferenceSet] = (try? Fixtures.referenceSets(key: "recurrent")) ?? []

  @Test func fixturesArePresent() throws {
    let ops = Set(try Fixtures.referenceSets(key: "recurrent_ops").map(\.stem))
    for op in ["lstm_t5_i3_u4", "lstm_t8_i10_u16", "lstm_t3_i24_u40"] {
      #expect(ops.contains(op + "_int8"), "missing reference set \(op)_int8")
      #expect(ops.contains(op + "_float"), "missing reference set \(op)_float")
    }
    let networks = Set(try Fixtures.referenceSets(key: "recurrent").map(\.stem))
    #expect(networks == ["kws_lstm_int8", "kws_lstm_float", "kws_gru_float", "kws_gru_unrolled_int8"])
  }

  @Test(arguments: opSets + networkSets)
  func matchesTFLiteReference(_ set: ReferenceSet) throws {
    #expect(set.stateful, "\(set.stem): recurrent reference sets run on one interpreter")
    let model = try TFLiteImporter.load(contentsOf: set.model)
    var interpreter = Interpreter(model: model)
    for n in 0..<set.invocations {
      let outputs = try interpreter.invoke(try set.inputs(invocation: n))
      let expected = try set.outputs(invocation: n)
      #expect(outputs.count == expected.count)
      for (o, (got, want)) in zip(outputs, expected).enumerated() {
        let bad = mismatchCount(got, want)
        #expect(bad == 0, "\(set.stem) invocation \(n) output \(o): \(bad) of \(want.count) elements differ")
      }
    }
  }

  /// TFLite keeps the LSTM state across invocations: a fresh interpreter given invocation 1's
  /// inputs does not reproduce TFLite's invocation-1 outputs (which continued from invocation 0).
  @Test func stateCarriesOverBetweenInvocations() throws {
    let set = try ReferenceSet(stem: "lstm_t5_i3_u4_int8")
    let model = try TFLiteImporter.load(contentsOf: set.model)
    var fresh = Interpreter(model: model)
    let restarted = try fresh.invoke(try set.inputs(invocation: 1))
    #expect(mismatchCount(restarted[0], try set.outputs(invocation: 1)[0]) > 0)
  }

  /// The importer reads the options and the five intermediates of the integer kernel.
  @Test func importerReadsOptionsAndIntermediates() throws {
    func lstm(_ stem: String) throws -> UnidirectionalSequenceLSTMOptions? {
      let model = try TFLiteImporter.load(contentsOf: try ReferenceSet(stem: stem).model)
      for op in model.main.operators {
        if case .unidirectionalSequenceLSTM(let o) = op.kind { return o }
      }
      return nil
    }
    let int8 = try #require(try lstm("kws_lstm_int8"))
    #expect(int8.intermediates.count == 5)
    #expect(int8.activation == .tanh && int8.cellClip == 10 && !int8.timeMajor)
    let float = try #require(try lstm("kws_lstm_float"))
    #expect(float.intermediates.isEmpty)
  }

  /// The writer round-trips the op with its options and intermediates, and the written file
  /// still evaluates bit-exactly.
  @Test(arguments: ["lstm_t5_i3_u4_int8", "lstm_t5_i3_u4_float"])
  func writerRoundTrips(_ stem: String) throws {
    let set = try ReferenceSet(stem: stem)
    let model = try TFLiteImporter.load(contentsOf: set.model)
    let again = try TFLiteImporter.parse(try TFLiteWriter.serialize(model), source: stem)
    #expect(again.main.operators.map(\.kind) == model.main.operators.map(\.kind))
    var interpreter = Interpreter(model: again)
    let outputs = try interpreter.invoke(try set.inputs(invocation: 0))
    #expect(mismatchCount(outputs[0], try set.outputs(invocation: 0)[0]) == 0)
  }

  /// gemmlowp's int16 logistic and tanh stay within their float counterparts' rounding over
  /// every Q3.12 input (a sanity check of the fixed-point port; bit-exactness comes from the
  /// reference sets above).
  @Test func fixedPointGatesTrackFloat() {
    var worstLogistic = 0.0, worstTanh = 0.0
    for raw in Int32(Int16.min)...Int32(Int16.max) {
      let x = Double(raw) / 4096
      let l = Double(Kernels.lstmLogisticQ3_12(Int16(raw))) / 32768
      let t = Double(Kernels.lstmTanhQ3_12(Int16(raw))) / 32768
      worstLogistic = max(worstLogistic, abs(l - 1 / (1 + Foundation.exp(-x))))
      worstTanh = max(worstTanh, abs(t - Foundation.tanh(x)))
    }
    #expect(worstLogistic < 1e-3 && worstTanh < 1e-3, "logistic \(worstLogistic), tanh \(worstTanh)")
  }
}
