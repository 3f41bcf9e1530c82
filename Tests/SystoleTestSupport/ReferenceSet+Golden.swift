import GoldenModel
import GraphIR

/// One invocation of a reference set: its inputs, TFLite's recorded outputs and the golden
/// model's outputs.
public struct ReferenceInvocation: Sendable {
  public var inputs: [TensorData]
  public var reference: [TensorData]
  public var golden: [TensorData]
}

extension ReferenceSet {
  /// Every invocation's inputs, TFLite outputs and `GoldenModel.Interpreter` outputs for
  /// `model`, in order, from one interpreter (so a stateful model carries its state across
  /// invocations, as TFLite does). None of it depends on the architecture: tests that run one
  /// set on several architectures compute it once instead of once per architecture.
  public func goldenInvocations(_ model: Model) throws -> [ReferenceInvocation] {
    var interpreter = Interpreter(model: model)
    return try (0..<invocations).map { n in
      let inputs = try inputs(invocation: n)
      return ReferenceInvocation(
        inputs: inputs, reference: try outputs(invocation: n), golden: try interpreter.invoke(inputs))
    }
  }
}

extension ReferenceSet {
  /// Runs `model` on one golden-model interpreter over every invocation (state carried, as
  /// TFLite carries it) and compares each output with TFLite's: element type, shape and elements
  /// (`mismatchCount`: byte-exact for integers, `relativeTolerance` for float32). Returns one
  /// line per output that differs, naming the set, invocation and output; empty when all match.
  public func goldenMismatches(_ model: Model, relativeTolerance: Float = 1e-5) throws -> [String] {
    var problems: [String] = []
    for (n, invocation) in try goldenInvocations(model).enumerated() {
      let (golden, reference) = (invocation.golden, invocation.reference)
      if golden.count != reference.count {
        problems.append("\(stem) invocation \(n): \(golden.count) outputs, TFLite has \(reference.count)")
      }
      for (o, (got, want)) in zip(golden, reference).enumerated() {
        let place = "\(stem) invocation \(n) output \(o)"
        if got.elementType != want.elementType {
          problems.append("\(place): \(got.elementType), TFLite \(want.elementType)")
        } else if got.shape != want.shape {
          problems.append("\(place): shape \(got.shape), TFLite \(want.shape)")
        } else {
          let bad = mismatchCount(got, want, relativeTolerance: relativeTolerance)
          if bad > 0 { problems.append("\(place): \(bad) of \(want.count) elements differ") }
        }
      }
    }
    return problems
  }
}
