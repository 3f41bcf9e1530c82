import Foundation
import GoldenModel
import GraphIR
import SystoleTestSupport
import TFLiteImport
import Testing

/// UNIDIRECTIONAL_SEQUENCE_LSTM (issue 14, recurrent family) against TFLite's BUILTIN_REF
/// outputs (`make_recurrent_models.py`): six single-op files (sizes, cell-state scales 2^−13 to
/// 2^−15, saturating gates, batch 2, time-major input), the LSTM keyword spotter and the two GRU spotters (WHILE;
/// unrolled int8), int8 (8×8→16 integer path) byte for byte and float32
/// within 1e-5 relative. Every reference set runs three invocations on one interpreter, so the
/// state TFLite carries between invocations is checked too.
@Suite struct RecurrentOpTests {
  static let opSets: [ReferenceSet] = (try? Fixtures.referenceSets(key: "recurrent_ops")) ?? []
  static let networkSets: [ReferenceSet] = (try? Fixtures.referenceSets(key: "recurrent")) ?? []

  @Test func fixturesArePresent() throws {
    let ops = Set(try Fixtures.referenceSets(key: "recurrent_ops").map(\.stem))
    for op in [
      "lstm_t5_i3_u4", "lstm_t8_i10_u16", "lstm_t3_i24_u40", "lstm_t12_i6_u8_gain4", "lstm_t6_i5_u6_batch2",
      "lstm_t7_i4_u5_timemajor",
    ] {
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
    let problems = try set.goldenMismatches(model)
    #expect(problems.isEmpty, "\(problems.prefix(3))")
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

  /// The writer round-trips the LSTM with its options and intermediates, WHILE with its
  /// subgraphs and UNPACK, and the written file still evaluates bit-exactly.
  @Test(arguments: ["lstm_t5_i3_u4_int8", "lstm_t5_i3_u4_float", "kws_gru_float", "kws_gru_unrolled_int8"])
  func writerRoundTrips(_ stem: String) throws {
    let set = try ReferenceSet(stem: stem)
    let model = try TFLiteImporter.load(contentsOf: set.model)
    let again = try TFLiteImporter.parse(try TFLiteWriter.serialize(model), source: stem)
    #expect(again.graphs.count == model.graphs.count)
    for (g, graph) in model.graphs.enumerated() where g < again.graphs.count {
      #expect(again.graphs[g].operators.map(\.kind) == graph.operators.map(\.kind), "\(stem) subgraph \(g)")
    }
    var interpreter = Interpreter(model: again)
    let outputs = try interpreter.invoke(try set.inputs(invocation: 0))
    #expect(mismatchCount(outputs[0], try set.outputs(invocation: 0)[0]) == 0)
  }

  /// Bad files give the golden model's error naming the operator, never a trap.
  @Test func badRecurrentFilesThrow() throws {
    let gru = try TFLiteImporter.load(contentsOf: try ReferenceSet(stem: "kws_gru_float").model)
    let whileIndex = try #require(gru.main.operators.firstIndex { if case .while = $0.kind { true } else { false } })
    let inputs = try ReferenceSet(stem: "kws_gru_float").inputs(invocation: 0)
    for (cond, body) in [(1, 9), (0, 2), (2, 2)] {
      var broken = gru
      broken.graphs[0].operators[whileIndex].kind = .while(condSubgraph: cond, bodySubgraph: body)
      var interpreter = Interpreter(model: broken)
      #expect(throws: GoldenModelError.self, "cond \(cond), body \(body)") { try interpreter.invoke(inputs) }
    }

    let set = try ReferenceSet(stem: "lstm_t5_i3_u4_int8")
    let lstm = try TFLiteImporter.load(contentsOf: set.model)
    let op = lstm.main.operators[0]
    // A cell state whose scale is not a power of two: TFLite's Prepare rejects it too.
    var badScale = lstm
    let cellID = try #require(op.input(19))
    badScale.graphs[0].tensors[cellID.index].quantization = QuantizationParameters(scale: 0.001, zeroPoint: 0)
    // No output-state operand.
    var noState = lstm
    noState.graphs[0].operators[0].inputs[18] = nil
    // Recurrent weights of the wrong shape.
    var badShape = lstm
    let recurrentID = try #require(op.input(6))
    badShape.graphs[0].tensors[recurrentID.index].shape = [2, 8]
    for (what, model) in [("cell scale", badScale), ("state", noState), ("shape", badShape)] {
      var interpreter = Interpreter(model: model)
      let error = #expect(throws: GoldenModelError.self, "\(what)") { try interpreter.invoke(try set.inputs(invocation: 0)) }
      #expect(error?.location.contains("UNIDIRECTIONAL_SEQUENCE_LSTM") == true, "\(what): \(String(describing: error))")
    }
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
