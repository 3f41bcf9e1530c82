import Foundation
import GoldenModel
import GraphIR
import Quantizer
import SystoleTestSupport
import TFLiteImport
import Testing

/// Quantizing the float recurrent keyword spotters (issue 14): UNIDIRECTIONAL_SEQUENCE_LSTM and
/// WHILE have no int8 form in the quantizer, so without fallback they are named in the error,
/// and with `allowFallback` they stay float32 (state tensors, intermediates and subgraphs copied)
/// while the rest goes int8; the result verifies and evaluates close to the float model.
@Suite struct RecurrentQuantizerTests {
  @Test(arguments: [("kws_lstm_float", "UNIDIRECTIONAL_SEQUENCE_LSTM"), ("kws_gru_float", "WHILE")])
  func recurrentOpsStayFloat(_ stem: String, _ op: String) throws {
    let set = try ReferenceSet(stem: stem)
    let model = try TFLiteImporter.load(contentsOf: set.model)
    let calibration = Calibration.samples((0..<set.invocations).map { try! set.inputs(invocation: $0) })
    let error = #expect(throws: QuantizerError.self) { try Quantizer.quantize(model: model, calibration: calibration) }
    #expect(error?.description.contains(op) == true, "\(String(describing: error))")

    let q = try Quantizer.quantize(
      model: model, calibration: calibration, options: QuantizerOptions(io: .float, allowFallback: true))
    let kept = q.model.main.operators.first { $0.kind.tfliteName == op }
    let keptTypes = kept.map { $0.outputs.map { q.model.main[$0].elementType } } ?? []
    #expect(keptTypes.contains(.float32) && !keptTypes.contains(.int8), "\(stem): \(op) outputs \(keptTypes)")
    #expect(q.model.graphs.count == model.graphs.count)
    var floatRun = Interpreter(model: model)
    var quantizedRun = Interpreter(model: q.model)
    let inputs = try set.inputs(invocation: 0)
    let want = try floatRun.invoke(inputs)[0]
    let got = try quantizedRun.invoke(inputs)[0]
    guard case .float32(let a) = want.storage, case .float32(let b) = got.storage else {
      Issue.record("\(stem): outputs are not float32")
      return
    }
    // Softmax probabilities of a 4-class head: int8 FULLY_CONNECTED/SOFTMAX stay within 0.05.
    let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 1
    #expect(worst < 0.05, "\(stem): largest difference \(worst)")
  }
}
