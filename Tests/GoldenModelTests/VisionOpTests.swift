import Foundation
import GoldenModel
import GraphIR
import Support
import SystoleTestSupport
import TFLiteImport
import Testing

/// The vision operators of issue 14 (RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR in every option
/// combination, TRANSPOSE_CONV, SPACE_TO_DEPTH, DEPTH_TO_SPACE, TILE, UNPACK, MAXIMUM, MINIMUM,
/// LEAKY_RELU, PRELU, ARG_MAX, L2_NORMALIZATION), one op per file, and the U-Net and DeepLab
/// networks, against TFLite's reference-kernel outputs (`make_vision_models.py`): integer outputs
/// byte for byte, float32 within 1e-5 relative; plus seeded edge cases and hand-derived ones.
@Suite struct VisionOpTests {
  static let opSets: [ReferenceSet] = (try? Fixtures.referenceSets(key: "vision_ops")) ?? []
  static let networkSets: [ReferenceSet] = (try? Fixtures.referenceSets(key: "vision")) ?? []

  @Test func fixturesArePresent() throws {
    let ops = Set(try Fixtures.referenceSets(key: "vision_ops").map(\.stem))
    for op in [
      "resize_bilinear_half_pixel", "resize_bilinear_align_corners", "resize_bilinear_legacy", "resize_bilinear_down",
      "resize_bilinear_down_align_corners", "resize_nearest_half_pixel", "resize_nearest_align_corners",
      "resize_nearest_legacy", "resize_nearest_down", "transpose_conv_same_bias", "transpose_conv_same_nobias",
      "transpose_conv_valid_bias", "transpose_conv_valid_nobias", "transpose_conv_same_relu", "transpose_conv_k4_same",
      "transpose_conv_output_padding", "transpose_conv_odd_same", "space_to_depth", "depth_to_space", "tile",
      "unpack_axis1", "maximum_broadcast", "minimum_broadcast", "maximum_const", "minimum_const", "leaky_relu", "prelu",
      "arg_max_int32", "arg_max_int64", "l2_normalization",
    ] {
      #expect(ops.contains(op + "_int8"), "missing reference set \(op)_int8")
      #expect(ops.contains(op + "_float"), "missing reference set \(op)_float")
    }
    let networks = Set(try Fixtures.referenceSets(key: "vision").map(\.stem))
    #expect(networks == ["unet_mobilenet_v2_int8", "deeplab_head_int8"])
  }

  @Test(arguments: opSets + networkSets)
  func matchesTFLiteReference(_ set: ReferenceSet) throws {
    let model = try set.loadResolved()
    let problems = try set.goldenMismatches(model)
    #expect(problems.isEmpty, "\(problems.prefix(3))")
  }

  /// LEAKY_RELU's and PRELU's int8 inputs hold every int8 value in every invocation (PRELU:
  /// every value in every channel, so each per-channel alpha sees the whole range).
  @Test(arguments: ["leaky_relu_int8", "prelu_int8"])
  func activationsSeeEveryInt8Value(_ stem: String) throws {
    let set = try ReferenceSet(stem: stem)
    for n in 0..<set.invocations {
      let input = try set.inputs(invocation: n)[0]
      guard case .int8(let values) = input.storage, let channels = input.shape.last else {
        Issue.record("\(stem): input is not int8")
        return
      }
      let perChannel = stem == "prelu_int8" ? channels : 1
      for ch in 0..<perChannel {
        let column = stride(from: ch, to: values.count, by: perChannel).map { values[$0] }
        #expect(Set(column).count == 256, "\(stem) invocation \(n) channel \(ch)")
      }
    }
  }

  /// The files carry the options the importer reads.
  @Test func importerReadsOptions() throws {
    func kinds(_ stem: String) throws -> [OpKind] {
      try TFLiteImporter.load(contentsOf: try ReferenceSet(stem: stem).model).main.operators.map(\.kind)
    }
    #expect(
      try kinds("resize_bilinear_half_pixel_int8") == [.resizeBilinear(alignCorners: false, halfPixelCenters: true)])
    #expect(
      try kinds("resize_bilinear_align_corners_int8") == [.resizeBilinear(alignCorners: true, halfPixelCenters: false)])
    #expect(try kinds("resize_bilinear_legacy_int8") == [.resizeBilinear(alignCorners: false, halfPixelCenters: false)])
    #expect(
      try kinds("resize_nearest_half_pixel_int8") == [
        .resizeNearestNeighbor(alignCorners: false, halfPixelCenters: true)
      ])
    #expect(
      try kinds("resize_nearest_align_corners_int8") == [
        .resizeNearestNeighbor(alignCorners: true, halfPixelCenters: false)
      ])
    #expect(
      try kinds("resize_nearest_legacy_int8") == [.resizeNearestNeighbor(alignCorners: false, halfPixelCenters: false)])
    #expect(
      try kinds("transpose_conv_same_bias_int8") == [
        .transposeConv(TransposeConvOptions(padding: .same, strideH: 2, strideW: 2))
      ])
    #expect(
      try kinds("transpose_conv_valid_nobias_int8")
        == [.transposeConv(TransposeConvOptions(padding: .valid, strideH: 2, strideW: 2))])
    #expect(
      try kinds("transpose_conv_same_relu_int8")
        == [.transposeConv(TransposeConvOptions(padding: .same, strideH: 2, strideW: 2, activation: .relu))])
    #expect(try kinds("space_to_depth_int8") == [.spaceToDepth(blockSize: 2)])
    #expect(try kinds("depth_to_space_int8") == [.depthToSpace(blockSize: 2)])
    #expect(try kinds("unpack_axis1_int8") == [.unpack(count: 3, axis: 1)])
    #expect(try kinds("tile_int8") == [.tile])
    #expect(try kinds("maximum_broadcast_int8") == [.maximum])
    #expect(try kinds("minimum_const_int8") == [.minimum])
    #expect(try kinds("leaky_relu_int8") == [.leakyRelu(alpha: 0.2)])
    #expect(try kinds("prelu_int8") == [.prelu])
    #expect(try kinds("arg_max_int32_int8") == [.argMax(outputType: .int32)])
    #expect(try kinds("arg_max_int64_int8") == [.argMax(outputType: .int64)])
    #expect(try kinds("l2_normalization_int8") == [.l2Normalization(activation: .none)])
    // The bias is TRANSPOSE_CONV's optional fourth operand.
    let withBias = try TFLiteImporter.load(contentsOf: try ReferenceSet(stem: "transpose_conv_valid_bias_int8").model)
    let without = try TFLiteImporter.load(contentsOf: try ReferenceSet(stem: "transpose_conv_valid_nobias_int8").model)
    #expect(withBias.main.operators[0].inputs.count == 4)
    #expect(without.main.operators[0].input(3) == nil)
  }

  /// The U-Net has a dynamic batch: each TRANSPOSE_CONV's output shape is computed at run time
  /// (SHAPE, STRIDED_SLICE, PACK). Resolved for batch 2, every shape follows and the batch-2
  /// output is the two batch-1 reference outputs back to back.
  @Test func unetResolvesForBatchTwo() throws {
    let set = try ReferenceSet(stem: "unet_mobilenet_v2_int8")
    let model = try loadResolvedModel(set.model, ShapeRequest(batch: 2))
    for op in model.main.operators where op.kind.tfliteName == "TRANSPOSE_CONV" {
      #expect(model.main[op.outputs[0]].shape.first == 2)
    }
    func stacked(_ parts: [TensorData]) throws -> TensorData {
      guard case .float32(let a) = parts[0].storage, case .float32(let b) = parts[1].storage else {
        throw GoldenModelError(.invalidModel, "test", "expected float32 tensors")
      }
      return TensorData(shape: [2] + parts[0].shape.dropFirst(), storage: .float32(a + b))
    }
    var interpreter = Interpreter(model: model)
    let input = try stacked([try set.inputs(invocation: 0)[0], try set.inputs(invocation: 1)[0]])
    let output = try interpreter.invoke([input])[0]
    let want = try stacked([try set.outputs(invocation: 0)[0], try set.outputs(invocation: 1)[0]])
    #expect(output.shape == [2, 64, 64, 3])
    #expect(mismatchCount(output, want, relativeTolerance: 0) == 0)
  }

  /// The writer round-trips every new op with its options.
  @Test(arguments: opSets.filter { $0.stem.hasSuffix("_int8") })
  func writerRoundTrips(_ set: ReferenceSet) throws {
    let model = try TFLiteImporter.load(contentsOf: set.model)
    let bytes = try TFLiteWriter.serialize(model)
    let again = try TFLiteImporter.parse(bytes, source: set.stem)
    #expect(again.main.operators.map(\.kind) == model.main.operators.map(\.kind))
    var a = Interpreter(model: model)
    var b = Interpreter(model: again)
    let inputs = try set.inputs(invocation: 0)
    #expect(try a.invoke(inputs) == (try b.invoke(inputs)))
  }
}

/// Hand-derived and seeded edge cases of the vision kernels, on graphs built in code.
@Suite struct VisionKernelEdgeTests {
  static func q(_ scale: Float, _ zeroPoint: Int64) -> QuantizationParameters {
    QuantizationParameters(scale: scale, zeroPoint: zeroPoint)
  }

  /// One operator over tensors `[inputs..., outputs...]`; constants carry data.
  static func run(_ kind: OpKind, _ tensors: [Tensor], inputs: [Int?], outputs: [Int], feed: [TensorData])
    throws -> [TensorData]
  {
    let graphInputs = inputs.compactMap { $0 }.filter { tensors[$0].data == nil }.map { TensorID($0) }
    let op = Operator(kind: kind, inputs: inputs.map { $0.map { TensorID($0) } }, outputs: outputs.map { TensorID($0) })
    let model = Model(
      source: "edge",
      graphs: [
        Graph(
          name: "main", tensors: tensors, operators: [op], inputs: graphInputs, outputs: outputs.map { TensorID($0) })
      ])
    var interpreter = Interpreter(model: model)
    return try interpreter.invoke(feed)
  }

  /// int8 bilinear upsampling ×2 with half-pixel centers on a 1×1 row reproduces TFLite's
  /// integer arithmetic: positions (x + 0.5)·512 − 512 in 2⁻¹⁰ units, rounded half away from
  /// zero. Derived by hand from `ResizeBilinearInteger`.
  @Test func bilinearIntegerHalfPixelByHand() throws {
    let tensors = [
      Tensor(name: "x", shape: [1, 1, 2, 1], elementType: .int8, quantization: Self.q(0.1, 0)),
      Tensor(name: "size", shape: [2], elementType: .int32, data: TensorData(shape: [2], storage: .int32([1, 4]))),
      Tensor(name: "y", shape: [1, 1, 4, 1], elementType: .int8, quantization: Self.q(0.1, 0)),
    ]
    let out = try Self.run(
      .resizeBilinear(alignCorners: false, halfPixelCenters: true), tensors, inputs: [0, 1], outputs: [2],
      feed: [TensorData(shape: [1, 1, 2, 1], storage: .int8([-7, 10]))])
    // scale 512; x = 0: −256 → taps 0, 0 → −7. x = 1: 256 → 0, 1, weights 768/256:
    // (−7·768 + 10·256)·1024 / 2²⁰ = −2816/1024 = −2.75 → −3. x = 2: 768 → 0.25·(−7) + 0.75·10
    // = 5.75 → 6. x = 3: 1280 → taps 1, 1 → 10.
    #expect(out[0].storage == .int8([-7, -3, 6, 10]))
  }

  /// Odd sizes in every option combination: the int8 and float kernels agree with their float
  /// formulas' nearest integers (int8) and the geometry (nearest) on seeded data; and TFLite's
  /// rule that align_corners and half_pixel_centers exclude each other.
  @Test func resizeOddSizesAndOptions() throws {
    var rng = SeededGenerator(seed: 14)
    for (inH, inW, outH, outW) in [(3, 5, 7, 2), (5, 3, 1, 9), (1, 1, 3, 3), (7, 4, 7, 4)] {
      let values = (0..<(inH * inW * 2)).map { _ in Int8.random(in: -128...127, using: &rng) }
      for (align, half) in [(false, false), (true, false), (false, true)] {
        let tensors = [
          Tensor(name: "x", shape: [1, inH, inW, 2], elementType: .int8, quantization: Self.q(0.05, 3)),
          Tensor(
            name: "size", shape: [2], elementType: .int32,
            data: TensorData(shape: [2], storage: .int32([Int32(outH), Int32(outW)]))),
          Tensor(name: "y", shape: [1, outH, outW, 2], elementType: .int8, quantization: Self.q(0.05, 3)),
        ]
        let feed = [TensorData(shape: [1, inH, inW, 2], storage: .int8(values))]
        let nearest = try Self.run(
          .resizeNearestNeighbor(alignCorners: align, halfPixelCenters: half), tensors, inputs: [0, 1], outputs: [2],
          feed: feed)[0]
        let bilinear = try Self.run(
          .resizeBilinear(alignCorners: align, halfPixelCenters: half), tensors, inputs: [0, 1], outputs: [2],
          feed: feed)[0]
        #expect(nearest.shape == [1, outH, outW, 2] && bilinear.shape == [1, outH, outW, 2])
        // Same size, no corner alignment issues: both are the identity.
        if inH == outH && inW == outW {
          #expect(nearest.storage == .int8(values))
          #expect(bilinear.storage == .int8(values))
        }
        // Every bilinear value lies within its 2×2 neighbourhood's range (no overshoot).
        guard case .int8(let b) = bilinear.storage else { continue }
        let lo = values.min() ?? 0
        let hi = values.max() ?? 0
        #expect(b.allSatisfy { $0 >= lo && $0 <= hi })
      }
    }
    let tensors = [
      Tensor(name: "x", shape: [1, 2, 2, 1], elementType: .float32),
      Tensor(name: "size", shape: [2], elementType: .int32, data: TensorData(shape: [2], storage: .int32([3, 3]))),
      Tensor(name: "y", shape: [1, 3, 3, 1], elementType: .float32),
    ]
    #expect(throws: GoldenModelError.self) {
      _ = try Self.run(
        .resizeBilinear(alignCorners: true, halfPixelCenters: true), tensors, inputs: [0, 1], outputs: [2],
        feed: [TensorData(shape: [1, 2, 2, 1], storage: .float32([1, 2, 3, 4]))])
    }
  }

  /// Float bilinear with align_corners maps the corners exactly and interpolates linearly.
  @Test func bilinearAlignCornersFloat() throws {
    let tensors = [
      Tensor(name: "x", shape: [1, 2, 2, 1], elementType: .float32),
      Tensor(name: "size", shape: [2], elementType: .int32, data: TensorData(shape: [2], storage: .int32([3, 3]))),
      Tensor(name: "y", shape: [1, 3, 3, 1], elementType: .float32),
    ]
    let out = try Self.run(
      .resizeBilinear(alignCorners: true, halfPixelCenters: false), tensors, inputs: [0, 1], outputs: [2],
      feed: [TensorData(shape: [1, 2, 2, 1], storage: .float32([0, 2, 4, 6]))])
    #expect(out[0].storage == .float32([0, 1, 2, 2, 3, 4, 4, 5, 6]))
  }

  /// Transpose convolution with output padding (a VALID stride-2 3×3 transpose to 10 instead
  /// of 9): the extra last row and column receive no taps, so they hold the bias alone; and the
  /// result equals the direct definition `out[o] = Σ_{i·s − p + k = o} x[i]·w[k] + b`.
  @Test func transposeConvOutputPaddingAgainstDefinition() throws {
    var rng = SeededGenerator(seed: 67)
    let (inH, inW, inC, outC, k) = (4, 3, 2, 3, 3)
    let x = (0..<(inH * inW * inC)).map { _ in Float(Int.random(in: -8...8, using: &rng)) / 4 }
    let w = (0..<(outC * k * k * inC)).map { _ in Float(Int.random(in: -8...8, using: &rng)) / 8 }
    let bias: [Float] = [0.5, -1, 0.25]
    for (padding, outH, outW) in [
      (Padding.valid, 10, 8), (Padding.valid, 9, 7), (Padding.same, 8, 6), (Padding.same, 7, 5),
    ] {
      let tensors = [
        Tensor(
          name: "shape", shape: [4], elementType: .int32,
          data: TensorData(shape: [4], storage: .int32([1, Int32(outH), Int32(outW), Int32(outC)]))),
        Tensor(
          name: "w", shape: [outC, k, k, inC], elementType: .float32,
          data: TensorData(shape: [outC, k, k, inC], storage: .float32(w))),
        Tensor(name: "x", shape: [1, inH, inW, inC], elementType: .float32),
        Tensor(
          name: "b", shape: [outC], elementType: .float32, data: TensorData(shape: [outC], storage: .float32(bias))),
        Tensor(name: "y", shape: [1, outH, outW, outC], elementType: .float32),
      ]
      let out = try Self.run(
        .transposeConv(TransposeConvOptions(padding: padding, strideH: 2, strideW: 2)), tensors, inputs: [0, 1, 2, 3],
        outputs: [4], feed: [TensorData(shape: [1, inH, inW, inC], storage: .float32(x))])[0]
      guard case .float32(let got) = out.storage else { return }
      let padTop = padding.geometry(input: outH, filter: k, stride: 2).padBefore
      let padLeft = padding.geometry(input: outW, filter: k, stride: 2).padBefore
      var want = [Float](repeating: 0, count: outH * outW * outC)
      for oy in 0..<outH {
        for ox in 0..<outW {
          for oc in 0..<outC {
            var sum: Float = 0
            for iy in 0..<inH {
              for ix in 0..<inW {
                let ky = oy - (iy * 2 - padTop)
                let kx = ox - (ix * 2 - padLeft)
                guard ky >= 0, ky < k, kx >= 0, kx < k else { continue }
                for ic in 0..<inC {
                  sum += x[(iy * inW + ix) * inC + ic] * w[((oc * k + ky) * k + kx) * inC + ic]
                }
              }
            }
            want[(oy * outW + ox) * outC + oc] = sum + bias[oc]
          }
        }
      }
      // Values are multiples of 1/32 with small sums: exact in float whatever the order.
      #expect(got == want, "\(padding) \(outH)×\(outW)")
      if padding == .valid && outH == 10 {
        #expect((0..<outW).allSatisfy { got[((outH - 1) * outW + $0) * outC] == bias[0] })
      }
    }
  }

  /// A TRANSPOSE_CONV output shape that is not the transpose of the input size is an error
  /// naming both, as TFLite's Eval rejects it.
  @Test func transposeConvRejectsInconsistentOutputShape() throws {
    let tensors = [
      Tensor(
        name: "shape", shape: [4], elementType: .int32, data: TensorData(shape: [4], storage: .int32([1, 11, 8, 1]))),
      Tensor(
        name: "w", shape: [1, 3, 3, 1], elementType: .float32, data: TensorData(zeros: .float32, shape: [1, 3, 3, 1])),
      Tensor(name: "x", shape: [1, 4, 4, 1], elementType: .float32),
      Tensor(name: "y", shape: [1, 11, 8, 1], elementType: .float32),
    ]
    do {
      _ = try Self.run(
        .transposeConv(TransposeConvOptions(padding: .same, strideH: 2, strideW: 2)), tensors, inputs: [0, 1, 2],
        outputs: [3],
        feed: [TensorData(zeros: .float32, shape: [1, 4, 4, 1])])
      Issue.record("an inconsistent output shape was accepted")
    } catch {
      #expect("\(error)".contains("transpose of a 6×4 input, not 4×4"), "\(error)")
    }
  }

  /// ARG_MAX returns the first index of a tie, on int8 and float (NaN never wins).
  @Test func argMaxTiesAndNaN() throws {
    let tensors = [
      Tensor(name: "x", shape: [2, 4], elementType: .int8, quantization: Self.q(1, 0)),
      Tensor(name: "axis", shape: [], elementType: .int32, data: TensorData(shape: [], storage: .int32([-1]))),
      Tensor(name: "y", shape: [2], elementType: .int32),
    ]
    let out = try Self.run(
      .argMax(outputType: .int32), tensors, inputs: [0, 1], outputs: [2],
      feed: [TensorData(shape: [2, 4], storage: .int8([3, 7, 7, -1, -128, -128, -128, -128]))])
    #expect(out[0].storage == .int32([1, 0]))
    var floats = tensors
    floats[0] = Tensor(name: "x", shape: [2, 4], elementType: .float32)
    floats[2] = Tensor(name: "y", shape: [2], elementType: .int64)
    let f = try Self.run(
      .argMax(outputType: .int64), floats, inputs: [0, 1], outputs: [2],
      feed: [TensorData(shape: [2, 4], storage: .float32([.nan, 1, 5, 5, .nan, .nan, .nan, .nan]))])
    #expect(f[0].storage == .int64([2, 0]))
  }

  /// int8 LEAKY_RELU, exhaustively against its definition in exact arithmetic: both branches'
  /// multipliers are within one rounding of the real ones, so every output is within 1 of
  /// `zp_out + round((q − zp_in)·s_in·(q ≥ zp_in ? 1 : α)/s_out)`.
  @Test func leakyReluInt8IsCloseToDefinition() throws {
    let inQ = Self.q(0.043, -5)
    let outQ = Self.q(0.031, 17)
    let alpha: Float = 0.3
    let tensors = [
      Tensor(name: "x", shape: [256], elementType: .int8, quantization: inQ),
      Tensor(name: "y", shape: [256], elementType: .int8, quantization: outQ),
    ]
    let all = (-128...127).map { Int8($0) }
    let out = try Self.run(
      .leakyRelu(alpha: alpha), tensors, inputs: [0], outputs: [1],
      feed: [TensorData(shape: [256], storage: .int8(all))])
    guard case .int8(let got) = out[0].storage else { return }
    for (q, y) in zip(all, got) {
      let v = Double(Int(q) + 5) * 0.043
      let real = (v >= 0 ? v : v * Double(alpha)) / 0.031 + 17
      let want = min(max(real.rounded(), -128), 127)
      #expect(abs(Double(y) - want) <= 1, "q \(q): \(y) vs \(want)")
    }
  }

  /// int8 L2_NORMALIZATION of an all-zero-point row (sum of squares 0) gives zeros, as
  /// TFLite's inverse square root of 0 (its largest multiplier) times 0 does; and an output
  /// scale other than 1/128 is refused as TFLite's Prepare refuses it.
  @Test func l2NormalizationEdges() throws {
    let tensors = [
      Tensor(name: "x", shape: [2, 3], elementType: .int8, quantization: Self.q(0.02, 4)),
      Tensor(name: "y", shape: [2, 3], elementType: .int8, quantization: Self.q(1.0 / 128, 0)),
    ]
    let out = try Self.run(
      .l2Normalization(activation: .none), tensors, inputs: [0], outputs: [1],
      feed: [TensorData(shape: [2, 3], storage: .int8([4, 4, 4, 4, 7, 8]))])
    guard case .int8(let v) = out[0].storage else { return }
    #expect(Array(v.prefix(3)) == [0, 0, 0])
    // (0, 3, 4) / 5 · 128 = (0, 76.8, 102.4)
    #expect(abs(Int(v[4]) - 77) <= 1 && abs(Int(v[5]) - 102) <= 1, "\(v)")
    var bad = tensors
    bad[1].quantization = Self.q(1.0 / 64, 0)
    #expect(throws: GoldenModelError.self) {
      _ = try Self.run(
        .l2Normalization(activation: .none), bad, inputs: [0], outputs: [1],
        feed: [TensorData(shape: [2, 3], storage: .int8([4, 4, 4, 4, 7, 8]))])
    }
  }

  /// SPACE_TO_DEPTH then DEPTH_TO_SPACE is the identity; TILE and UNPACK move every value to
  /// where their definitions say.
  @Test func dataMovementRoundTrips() throws {
    let values = (0..<48).map { Int32($0) }
    let x = TensorData(shape: [1, 4, 6, 2], storage: .int32(values))
    let s2d = try Self.run(
      .spaceToDepth(blockSize: 2),
      [
        Tensor(name: "x", shape: [1, 4, 6, 2], elementType: .int32),
        Tensor(name: "y", shape: [1, 2, 3, 8], elementType: .int32),
      ],
      inputs: [0], outputs: [1], feed: [x])[0]
    #expect(s2d.shape == [1, 2, 3, 8])
    // Output pixel (0, 0) holds input pixels (0,0), (0,1), (1,0), (1,1), channels 0 and 1.
    #expect(Array(s2d.integerValues.prefix(8)) == [0, 1, 2, 3, 12, 13, 14, 15])
    let back = try Self.run(
      .depthToSpace(blockSize: 2),
      [
        Tensor(name: "x", shape: [1, 2, 3, 8], elementType: .int32),
        Tensor(name: "y", shape: [1, 4, 6, 2], elementType: .int32),
      ],
      inputs: [0], outputs: [1], feed: [s2d])[0]
    #expect(back == x)
    let tiled = try Self.run(
      .tile,
      [
        Tensor(name: "x", shape: [2, 3], elementType: .int32),
        Tensor(name: "m", shape: [2], elementType: .int64, data: TensorData(shape: [2], storage: .int64([2, 2]))),
        Tensor(name: "y", shape: [4, 6], elementType: .int32),
      ], inputs: [0, 1], outputs: [2], feed: [TensorData(shape: [2, 3], storage: .int32([1, 2, 3, 4, 5, 6]))])[0]
    #expect(tiled.integerValues == [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6])
    let parts = try Self.run(
      .unpack(count: 3, axis: -1),
      [
        Tensor(name: "x", shape: [2, 3], elementType: .int32), Tensor(name: "a", shape: [2], elementType: .int32),
        Tensor(name: "b", shape: [2], elementType: .int32), Tensor(name: "c", shape: [2], elementType: .int32),
      ], inputs: [0], outputs: [1, 2, 3], feed: [TensorData(shape: [2, 3], storage: .int32([1, 2, 3, 4, 5, 6]))])
    #expect(parts.map(\.integerValues) == [[1, 4], [2, 5], [3, 6]])
  }
}
