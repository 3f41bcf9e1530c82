import Architecture
import GraphIR
import Lowering
import Testing

/// Exhaustive small shapes against the golden model (swift-collections' `withEvery…` style):
/// M, K, N (and channels) just below, at and above the array's size, on every dataflow, on a
/// square and an odd array whose small accumulator forces spatial tiling. Bit-exact.
@Suite struct SmallShapeTests {
  static let arrays: [ArchSpec] = [
    tinyArch("square-4x4", rows: 4, cols: 4, ub: 4096, weights: 2048, accumulatorRows: 8),
    tinyArch("odd-3x5", rows: 3, cols: 5, ub: 4096, weights: 2048, accumulatorRows: 7),
  ]

  static func around(_ x: Int) -> [Int] { [x - 1, x, x + 1] }

  func check(_ model: Model, _ arch: ArchSpec, _ dataflow: Dataflow, _ label: String, seed: UInt64) throws {
    let options = LoweringOptions(dataflow: .fixed(dataflow), depthwise: .array)
    let (problems, compiled) = try compileAndCompare(
      model, on: arch, options: options, inputs: randomInputs(model, seed: seed, count: 1), label: label)
    #expect(problems.isEmpty, "\(problems)")
    for op in compiled.report.operators where op.placement == .systolicArray {
      #expect(op.dataflow == dataflow, "\(label): \(op.dataflow.map(\.rawValue) ?? "-")")
    }
  }

  @Test(arguments: Dataflow.allCases)
  func fullyConnected(_ dataflow: Dataflow) throws {
    for arch in Self.arrays {
      let r = arch.array.rows
      let c = arch.array.cols
      var seed: UInt64 = 0
      for m in Self.around(r) + [arch.accumulatorEntries + 1] {
        for k in Self.around(r) {
          for n in Self.around(c) {
            seed += 1
            let model = TestModels.fullyConnected(m: m, k: k, n: n, seed: seed)
            try check(model, arch, dataflow, "FC m=\(m) k=\(k) n=\(n)", seed: seed)
          }
        }
      }
    }
  }

  @Test(arguments: Dataflow.allCases)
  func convolution(_ dataflow: Dataflow) throws {
    for arch in Self.arrays {
      let r = arch.array.rows
      let cols = arch.array.cols
      var seed: UInt64 = 100
      for c in Self.around(r) {
        for n in Self.around(cols) {
          for (k, stride, padding) in [(1, 1, Padding.valid), (3, 1, .same), (3, 2, .same), (2, 2, .valid)] {
            seed += 1
            let model = TestModels.conv(
              h: 5, w: 4, c: c, n: n, kh: k, kw: k, stride: stride, padding: padding, seed: seed)
            try check(model, arch, dataflow, "conv c=\(c) n=\(n) k=\(k) s=\(stride) \(padding)", seed: seed)
          }
        }
      }
    }
  }

  @Test func convolutionVariants() throws {
    let arch = Self.arrays[1]
    let cases: [(String, Model)] = [
      ("dilated", TestModels.conv(h: 7, w: 6, c: 2, n: 3, dilation: 2, seed: 201)),
      ("5x5 kernel wider than the array", TestModels.conv(h: 6, w: 6, c: 2, n: 6, kh: 5, kw: 5, seed: 202)),
      ("1x7 kernel", TestModels.conv(h: 3, w: 9, c: 2, n: 2, kh: 1, kw: 7, seed: 203)),
      ("batch 2, relu6", TestModels.conv(h: 4, w: 4, c: 3, n: 4, activation: .relu6, batch: 2, seed: 204)),
      (
        "relu, zero point -128",
        TestModels.conv(h: 4, w: 5, c: 4, n: 5, activation: .relu, inputZeroPoint: -128, seed: 205)
      ),
      ("relu_n1_to_1", TestModels.conv(h: 4, w: 5, c: 4, n: 5, activation: .reluN1To1, seed: 206)),
    ]
    for (label, model) in cases {
      for dataflow in Dataflow.allCases { try check(model, arch, dataflow, label, seed: 7) }
    }
  }

  @Test(arguments: Dataflow.allCases)
  func depthwise(_ dataflow: Dataflow) throws {
    for arch in Self.arrays {
      var seed: UInt64 = 300
      for c in Self.around(arch.array.cols) {
        for m in [1, 2] {
          for (stride, padding) in [(1, Padding.same), (2, .valid)] {
            seed += 1
            let model = TestModels.depthwise(h: 5, w: 5, c: c, m: m, stride: stride, padding: padding, seed: seed)
            try check(model, arch, dataflow, "depthwise c=\(c) m=\(m) s=\(stride)", seed: seed)
          }
        }
      }
    }
  }

  @Test(arguments: Dataflow.allCases)
  func batchMatMul(_ dataflow: Dataflow) throws {
    let arch = Self.arrays[1]
    var seed: UInt64 = 400
    for adjX in [false, true] {
      for adjY in [false, true] {
        for zeroPoint in [0, 9] as [Int64] {
          seed += 1
          let model = TestModels.batchMatMul(
            batch: [2], m: 4, k: 4, n: 6, adjX: adjX, adjY: adjY, rhsZeroPoint: zeroPoint, seed: seed)
          try check(model, arch, dataflow, "bmm adjX=\(adjX) adjY=\(adjY) zp=\(zeroPoint)", seed: seed)
        }
      }
    }
    let broadcast = TestModels.batchMatMul(
      batch: [2, 3], m: 3, k: 5, n: 4, rhsBatch: [1, 3], rhsZeroPoint: -7, seed: 499)
    try check(broadcast, arch, dataflow, "bmm broadcast", seed: 499)
  }

  @Test func fullyConnectedKeepNumDimsAndNoBias() throws {
    let arch = Self.arrays[0]
    for model in [
      TestModels.fullyConnected(m: 5, k: 9, n: 6, keepNumDims: true, activation: .relu, seed: 11),
      TestModels.fullyConnected(m: 2, k: 7, n: 3, bias: false, seed: 12),
    ] {
      try check(model, arch, .weightStationary, "fc variant", seed: 13)
    }
  }
}
