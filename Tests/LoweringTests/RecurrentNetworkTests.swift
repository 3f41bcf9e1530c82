import Architecture
import Foundation
import GoldenModel
import GraphIR
import Lowering
import Pipeline
import SystoleTestSupport
import TFLiteImport
import Testing
import TileISA

/// The recurrent keyword spotters (`make_recurrent_models.py`) compile on every preset and run
/// functionally bit-exact with TFLite's reference kernels over three stateful invocations.
/// UNIDIRECTIONAL_SEQUENCE_LSTM has no array lowering yet: it becomes one host task that the
/// golden model executes, and the host executor keeps its state between invocations as TFLite
/// keeps it in the op's variable tensors.
@Suite struct RecurrentNetworkTests {
  static let sets: [ReferenceSet] = (try? Fixtures.referenceSets(key: "recurrent")) ?? []
  static let presets: [(String, ArchSpec)] = [
    ("tpu-v1", .tpuV1), ("edge-tpu", .edgeTPU), ("gemmini", .gemmini), ("vta", .vta), ("toy-4x4", .toy4x4),
  ]

  /// Ops that always run on the host (the unrolled GRU's ops map like any other network's).
  static let hostOnly: Set<String> = ["UNIDIRECTIONAL_SEQUENCE_LSTM", "WHILE"]

  @Test func networksArePresent() {
    #expect(Set(Self.sets.map(\.stem)) == ["kws_lstm_int8", "kws_lstm_float", "kws_gru_float", "kws_gru_unrolled_int8"])
  }

  @Test(arguments: sets)
  func runsBitExactOnEveryPreset(_ set: ReferenceSet) throws {
    let model = try set.loadResolved()
    for (name, arch) in Self.presets {
      let compiled = try LoweringPipeline(arch: arch).compile(model)
      let hostOps = Set(compiled.hostTasks.map(\.opName))
      let recurrent = Set(model.main.operators.map(\.kind.tfliteName)).intersection(Self.hostOnly)
      #expect(recurrent.isSubset(of: hostOps), "\(set.stem) on \(name): \(recurrent.subtracting(hostOps).sorted()) not on the host")
      let mismatches = try mismatchesWithTFLite(set, model, compiled, label: "\(set.stem) on \(name)")
      #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
    }
  }

  /// The host task names why the LSTM stays on the host.
  @Test func mappingReportGivesTheReason() throws {
    let set = try ReferenceSet(stem: "kws_lstm_int8")
    let compiled = try LoweringPipeline(arch: .edgeTPU).compile(try set.loadResolved())
    let task = try #require(compiled.hostTasks.first { $0.opName == "UNIDIRECTIONAL_SEQUENCE_LSTM" })
    #expect(task.reason.contains("recurrent"), "\(task.reason)")
  }
}
