import Foundation
import GraphIR
import Testing

@testable import GoldenModel

/// Runs a unary op from `input` to `output` (type, scale, zero point) on `values`.
private func unary(
  _ kind: OpKind, _ values: TensorData.Storage, shape: [Int]? = nil, input: (ElementType, Float?, Int64),
  output: (ElementType, Float?, Int64)
) throws -> TensorData {
  var g = ElementwiseOpGraph()
  let s = shape ?? [values.count]
  let x = g.tensor("x", s, input.0, scale: input.1, zeroPoint: input.2)
  let o = g.tensor("y", s, output.0, scale: output.1, zeroPoint: output.2)
  return try g.run1(kind, [x], o, feeds: [values])
}

private func floats(_ t: TensorData) -> [Float] {
  if case .float32(let v) = t.storage { return v }
  Issue.record("expected float32, got \(t.elementType)")
  return []
}

@Suite struct ActivationKernelTests {
  // MARK: SOFTMAX

  @Test func softmaxFloatMatchesTheDefinition() throws {
    let x: [Float] = [1, 2, 3, -1, 0, 0.5]
    let beta: Float = 0.7
    let r = floats(
      try unary(
        .softmax(beta: beta), .float32(x), shape: [2, 3], input: (.float32, nil, 0), output: (.float32, nil, 0)))
    for row in 0..<2 {
      let slice = x[(row * 3)..<(row * 3 + 3)]
      let m = slice.max() ?? 0
      let e = slice.map { Foundation.exp(Double(($0 - m) * beta)) }
      let sum = e.reduce(0, +)
      for k in 0..<3 {
        #expect(abs(Double(r[row * 3 + k]) - e[k] / sum) < 1e-6)
      }
    }
  }

  @Test func softmaxInt8UniformAndDominantRows() throws {
    // A uniform row of 4 gives 1/4 = 64/256 → −128 + 64. With input scale 1, a difference of
    // −255 is below diff_min (−15) and maps to the minimum, the maximum gets all the mass.
    let r = try unary(
      .softmax(beta: 1), .int8([7, 7, 7, 7, 127, -128, -128, -128]), shape: [2, 4], input: (.int8, 1, 0),
      output: (.int8, 1.0 / 256, -128))
    #expect(r.storage == .int8([-64, -64, -64, -64, 127, -128, -128, -128]))
  }

  @Test func softmaxInt8MatchesTFLiteRow() throws {
    // Expected row produced once by TFLite 2.21's BUILTIN_REF SOFTMAX for inputs −128…−113,
    // input (0.1, 5), output (1/256, −128), β = 1.
    let r = try unary(
      .softmax(beta: 1), .int8(Array(allInt8[0..<16])), shape: [1, 16], input: (.int8, 0.1, 5),
      output: (.int8, 1.0 / 256, -128))
    #expect(r.storage == .int8(int8FromHex("878888898a8b8c8e8f91939497999c9f")))
  }

  @Test func softmaxInt16IsCloseToTheDefinition() throws {
    // int16 uses interpolated 513-entry tables for exp and 1/(1+x); a uniform row of 4 is
    // 0.25 → 8192/32768 up to the tables' error, a dominant element takes (almost) everything.
    let r = try unary(
      .softmax(beta: 1), .int16([5, 5, 5, 5, 20000, 0, 0, 0]), shape: [2, 4], input: (.int16, 0.001, 0),
      output: (.int16, 1.0 / 32768, 0))
    guard case .int16(let v) = r.storage else { Issue.record("not int16"); return }
    for k in 0..<4 { #expect(abs(Int(v[k]) - 8192) <= 4) }
    #expect(v[4] >= 32760 && v[5...].allSatisfy { $0 <= 2 })
  }

  // MARK: LOGISTIC

  @Test func logisticFloat() throws {
    let r = floats(
      try unary(.logistic, .float32([0, 20, -10, 2]), input: (.float32, nil, 0), output: (.float32, nil, 0)))
    #expect(r[0] == 0.5)
    #expect(r[1] == 1)  // above the 16.619 cutoff
    #expect(r[2] == Foundation.exp(Float(-10)))  // below the −9 cutoff: exp(x)
    #expect(abs(r[3] - 1 / (1 + Foundation.exp(Float(-2)))) < 1e-7)
  }

  @Test func logisticInt8IsTFLitesTable() throws {
    // Table produced once by TFLite 2.21's BUILTIN_REF LOGISTIC over all 256 inputs,
    // input (0.0625, −3), output (1/256, −128).
    let expected = int8FromHex(
      "808080808080808080808080808080808080808080808080808081818181818181818181818181818181818282828282828282828383838383848484848585858686868787888888898a8a8b8b8c8d8e8f8f90919293959697989a9b9d9fa0a2a4a6a8aaacafb1b4b6b9bcbfc2c5c8cbcfd2d6d9dde1e4e8ecf0f4f8fc0004080c1014181c1f23272a2e3135383b3e4144474a4c4f515456585a5c5e606163656668696a6b6d6e6f707171727374757576767778787879797a7a7a7b7b7b7c7c7c7c7d7d7d7d7d7e7e7e7e7e7e7e7e7e7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f"
    )
    let r = try unary(.logistic, .int8(allInt8), input: (.int8, 0.0625, -3), output: (.int8, 1.0 / 256, -128))
    #expect(r.storage == .int8(expected))
    // The zero point input is 0.0 → 0.5 → 128/256 → q = 0.
    if case .int8(let v) = r.storage { #expect(v[-3 + 128] == 0) }
  }

  // MARK: HARD_SWISH

  @Test func hardSwishFloat() throws {
    let r = floats(
      try unary(.hardSwish, .float32([-4, 4, 1, -1]), input: (.float32, nil, 0), output: (.float32, nil, 0)))
    #expect(r == [0, 4, Float(1) * 4 / 6, Float(-1) * 2 / 6])
  }

  @Test func hardSwishInt8IsTFLitesTable() throws {
    // Produced once by TFLite 2.21's BUILTIN_REF HARD_SWISH, input (0.05, 3), output (0.04, −60).
    let expected = int8FromHex(
      "c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c3c3c2c2c1c1c0c0bfbfbebebebdbdbdbcbcbcbcbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbcbcbcbcbdbdbdbebebebfbfc0c0c1c1c2c2c3c3c4c5c5c6c7c7c8c9cacacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdedfe0e1e3e4e5e7e8e9ebeceeeff1f2f4f5f7f8fafcfdff0102040608090b0d0f10111314151618191a1b1d1e1f20222324252728292a2c2d2e2f31323334363738393b3c3d3e40414243454647484a4b4c4d4f50515254555657595a5b5c5e5f"
    )
    let r = try unary(.hardSwish, .int8(allInt8), input: (.int8, 0.05, 3), output: (.int8, 0.04, -60))
    #expect(r.storage == .int8(expected))
  }

  // MARK: RELU family

  @Test func quantizedReluRescalesAndClamps() throws {
    // Input scale 0.5 → output scale 0.25 doubles the offset from the zero point.
    let input: TensorData.Storage = .int8([3, -3, 100])
    let relu = try unary(.relu, input, input: (.int8, 0.5, 0), output: (.int8, 0.25, -128))
    #expect(relu.storage == .int8([-122, -128, 72]))
    // RELU6: upper bound −128 + round(6 / 0.25) = −104.
    let relu6 = try unary(.relu6, input, input: (.int8, 0.5, 0), output: (.int8, 0.25, -128))
    #expect(relu6.storage == .int8([-122, -128, -104]))
    // RELU_N1_TO_1 at output scale 1/64: [−64, 64].
    let relu1 = try unary(.reluN1To1, .int8([1, 3, -3]), input: (.int8, 0.5, 0), output: (.int8, 1.0 / 64, 0))
    #expect(relu1.storage == .int8([32, 64, -64]))
    let relu16 = try unary(.relu, .int16([-300, 300]), input: (.int16, 0.01, 0), output: (.int16, 0.01, 0))
    #expect(relu16.storage == .int16([0, 300]))
  }

  @Test func floatReluFamily() throws {
    let x: TensorData.Storage = .float32([-2, -0.5, 0.5, 7])
    let f = (ElementType.float32, Float?.none, Int64(0))
    #expect(try unary(.relu, x, input: f, output: f).storage == .float32([0, 0, 0.5, 7]))
    #expect(try unary(.relu6, x, input: f, output: f).storage == .float32([0, 0, 0.5, 6]))
    #expect(try unary(.reluN1To1, x, input: f, output: f).storage == .float32([-1, -0.5, 0.5, 1]))
  }

  // MARK: QUANTIZE / DEQUANTIZE

  @Test func quantizeFloatRoundsHalfAwayAndSaturates() throws {
    let x: TensorData.Storage = .float32([0.25, -0.25, 0.75, 1000, -1000])
    let i8 = try unary(.quantize, x, input: (.float32, nil, 0), output: (.int8, 0.5, 0))
    #expect(i8.storage == .int8([1, -1, 2, 127, -128]))
    let u8 = try unary(.quantize, x, input: (.float32, nil, 0), output: (.uint8, 0.5, 128))
    #expect(u8.storage == .uint8([129, 127, 130, 255, 0]))
    let i16 = try unary(.quantize, x, input: (.float32, nil, 0), output: (.int16, 0.5, 0))
    #expect(i16.storage == .int16([1, -1, 2, 2000, -2000]))
  }

  @Test func quantizeFollowsX86ConversionOfHugeValues() throws {
    // static_cast<int32_t> of +inf, NaN or a value past 2^31 gives INT32_MIN on x86-64, which
    // then clamps to the minimum: TFLite 2.21 on this machine does exactly that.
    let r = try unary(
      .quantize, .float32([.infinity, .nan, 3e9, 1e9]), input: (.float32, nil, 0), output: (.int8, 1, 0))
    #expect(r.storage == .int8([-128, -128, -128, 127]))
  }

  @Test func requantizesBetweenIntegerTypes() throws {
    // Scale 1 → 2 (multiplier 0.5, shift 0): halves in the doubling high multiply, whose ties
    // round toward +∞ (0.5 → 1, −0.5 → 0, −66.5 → −66); zero points 5 → −3.
    let r = try unary(.quantize, .int8([6, 4, 8, -128]), input: (.int8, 1, 5), output: (.int8, 2, -3))
    #expect(r.storage == .int8([-2, -3, -1, -69]))
    // int8 → uint8 with the same scale: a shift of the zero point by 128.
    let u = try unary(.quantize, .int8([-128, 0, 127]), input: (.int8, 0.1, -128), output: (.uint8, 0.1, 0))
    #expect(u.storage == .uint8([0, 128, 255]))
  }

  @Test func dequantizePerTensorAndPerChannel() throws {
    let r = floats(try unary(.dequantize, .int8([10, 2, -128]), input: (.int8, 0.125, 2), output: (.float32, nil, 0)))
    #expect(r == [1, 0, -16.25])
    var g = ElementwiseOpGraph()
    g.tensors.append(
      Tensor(
        name: "w", shape: [2, 2], elementType: .int8,
        quantization: QuantizationParameters(scales: [0.5, 0.25], zeroPoints: [0, 0], quantizedDimension: 1)))
    let o = g.tensor("y", [2, 2], .float32)
    let d = try g.run1(.dequantize, [TensorID(0)], o, feeds: [.int8([2, 2, -4, 8])])
    #expect(d.storage == .float32([1, 0.5, -2, 2]))
  }

  @Test func quantizeRejectsUnquantizedOutputs() throws {
    #expect(
      throws: GoldenModelError(.invalidModel, "op #0 QUANTIZE 'y'", "tensor 'y' (int8) has no quantization parameters")
    ) {
      try unary(.quantize, .float32([1]), input: (.float32, nil, 0), output: (.int8, nil, 0))
    }
  }
}
