// libFuzzer entry point for the TFLite importer. Built and run by `run.sh` (not part of the
// SwiftPM package): every input must either import or throw a TFLiteImportError. A crash,
// trap, sanitizer report, leak or out-of-memory is a finding. Inputs that import are also
// written back and re-read, which exercises the writer on every accepted shape of model.

import GraphIR
import TFLiteImport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTFLiteImport(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let model = try? TFLiteImporter.parse(bytes, source: "fuzz.tflite") else { return 0 }
  // An accepted model must survive a write → read round trip.
  guard let written = try? TFLiteWriter.serialize(model) else { return 0 }
  do {
    let again = try TFLiteImporter.parse(written, source: "rewritten.tflite")
    precondition(again.graphs.count == model.graphs.count, "round trip changed the graph count")
    for (a, b) in zip(model.graphs, again.graphs) {
      precondition(a.tensors.count == b.tensors.count && a.operators.count == b.operators.count, "round trip changed a graph")
      precondition(zip(a.operators, b.operators).allSatisfy { $0.kind == $1.kind || isNaNSoftmax($0.kind) }, "round trip changed an op")
    }
  } catch {
    preconditionFailure("an accepted model does not re-import after writing: \(error)")
  }
  return 0
}

/// SOFTMAX with a NaN beta compares unequal to itself.
private func isNaNSoftmax(_ kind: OpKind) -> Bool {
  if case .softmax(let beta) = kind { return beta.isNaN }
  return false
}
