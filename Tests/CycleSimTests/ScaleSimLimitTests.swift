import Architecture
import Testing

@testable import CycleSim

/// Issue 15: SCALE-Sim topologies with huge sizes are refused where they are read, one line
/// each; the closed-form model itself never overflows.
@Suite struct ScaleSimLimitTests {
  static let convHeader = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"

  @Test(arguments: [
    ("g1, 2147483647, 2147483647, 2147483647,", "g.csv:2:5: 'M' is 2147483647; at most 16777216"),
    ("g1, 99999999999999999999999, 4, 4,", "g.csv:2:5: 'M' is 99999999999999999999999; at most 16777216"),
    (
      "g1, 16777216, 16777216, 16777216,",
      "g.csv:2:1: layer 'g1' is too large to model: P × K × N = 16777216 × 16777216 × 16777216 MACs exceed 1125899906842624"
    ),
  ])
  func gemmLimits(row: String, message: String) {
    let error = #expect(throws: SimulatorError.self) { _ = try ScaleSimTopology.parseGEMM("Layer, M, N, K,\n\(row)\n", file: "g.csv") }
    #expect(error?.description == message)
    #expect(error?.kind == .parse)
  }

  @Test(arguments: [
    ("c1, 2147483647, 2147483647, 3, 3, 3, 64, 1,", "t.csv:2:5: 'IFMAP Height' is 2147483647; at most 16777216"),
    (
      "c1, 16777216, 16777216, 1, 1, 16777216, 1, 1,",
      "t.csv:2:1: layer 'c1' is too large to model: P × K × N = 281474976710656 × 16777216 × 1 MACs exceed 1125899906842624"
    ),
    (
      "c1, 16777216, 16777216, 16777216, 16777216, 16777216, 1, 1,",
      "t.csv:2:1: layer 'c1' is too large to model: a 16777216 × 16777216 × 16777216 window exceeds 1125899906842624 elements"
    ),
    ("DPc1, 10, 10, 3, 3, 200000, 1, 1,", "t.csv:2:1: the topology has more than 100000 layers (depthwise rows count once per channel)"),
  ])
  func convolutionLimits(row: String, message: String) {
    let error = #expect(throws: SimulatorError.self) {
      _ = try ScaleSimTopology.parseConvolution(Self.convHeader + row + "\n", file: "t.csv")
    }
    #expect(error?.description == message)
  }

  /// The largest layer the readers accept, on arrays from 1×1 to 16384×16384, in every
  /// dataflow: finite figures, cycles at least the MACs per PE, no trap and no hang (the
  /// fold sums switch to the closed form beyond 2²⁰ folds).
  @Test func largestAcceptedLayerDoesNotOverflow() throws {
    let layers = try ScaleSimTopology.parseGEMM(
      "Layer, M, N, K,\na, 1, 16777216, 16777216,\nb, 16777216, 1, 1,\nc, 1048576, 1024, 1024,\n", file: "g.csv")
      + [ScaleSimLayer(gemm: "d", m: 1, n: 1, k: 1 << 50)]
    for layer in layers {
      for (r, c) in [(1, 1), (1, 16384), (16384, 1), (16384, 16384)] {
        for dataflow in Dataflow.allCases {
          let result = ScaleSimModel.computeCycles(layer: layer, rows: r, columns: c, dataflow: dataflow)
          #expect(result.cycles > 0)
          #expect(result.utilization.isFinite && result.mappingEfficiency.isFinite && result.computeUtilization.isFinite)
          #expect(result.mappingEfficiency <= 1 && result.computeUtilization <= 1)
        }
      }
    }
  }

  /// Beyond 2²⁰ folds the closed form gives what the fold-by-fold sum gives (to rounding).
  @Test func closedFormMatchesTheFoldLoop() {
    let (r, c) = (3, 2)
    let layer = ScaleSimLayer(gemm: "g", m: 3000, n: 3001, k: 5)
    let result = ScaleSimModel.computeCycles(layer: layer, rows: r, columns: c, dataflow: .outputStationary)
    let (sr, sc, t) = (3000, 3001, 5)
    #expect(result.rowFolds * result.columnFolds > ScaleSimModel.foldsSummedOneByOne)
    var mapping = 0.0
    var compute = 0.0
    let foldCycles = Double(t + r + c - 2)
    for fc in 0..<result.columnFolds {
      for fr in 0..<result.rowFolds {
        let used = Double(min(r, sr - fr * r) * min(c, sc - fc * c))
        mapping += used / Double(r * c)
        compute += used * Double(t) / (Double(r * c) * foldCycles)
      }
    }
    let folds = Double(result.rowFolds * result.columnFolds)
    #expect(abs(result.mappingEfficiency - mapping / folds) < 1e-9)
    #expect(abs(result.computeUtilization - compute / folds) < 1e-9)
  }
}
