import GraphIR
import Quantizer
import Testing

@Suite struct AffineQuantizationTests {
  @Test func reluSixRangeGivesTFLitesParameters() {
    // [0, 6] → scale 6/255, zero point −128 (TensorFlow's converter gives the same for RELU6).
    let p = AffineQuantization.asymmetric(min: 0, max: 6, range: -128...127)
    #expect(p.scale == Float(6.0 / 255))
    #expect(p.zeroPoint == -128)
  }

  @Test func rangeIsWidenedToContainZero() {
    let p = AffineQuantization.asymmetric(min: 2, max: 5, range: -128...127)
    #expect(p.scale == Float(5.0 / 255))
    #expect(p.zeroPoint == -128)
    let n = AffineQuantization.asymmetric(min: -4, max: -1, range: -128...127)
    #expect(n.scale == Float(4.0 / 255))
    #expect(n.zeroPoint == 127)
  }

  @Test func zeroPointIsNudgedToAnInteger() {
    // [−1, 3]: scale 4/255; from min: −128 + 255/4 = −64.25 → −64.
    let p = AffineQuantization.asymmetric(min: -1, max: 3, range: -128...127)
    #expect(p.zeroPoint == -64)
    // Real zero is exactly representable.
    #expect(AffineQuantization.dequantize(p.zeroPoint, scale: p.scale, zeroPoint: p.zeroPoint) == 0)
  }

  @Test func emptyRangeGetsAUsableScale() {
    #expect(
      AffineQuantization.asymmetric(min: 0, max: 0, range: -128...127) == QuantizationParameters(scale: 1, zeroPoint: 0)
    )
    #expect(
      AffineQuantization.asymmetric(min: 0, max: 0, range: 0...255) == QuantizationParameters(scale: 1, zeroPoint: 0))
    #expect(AffineQuantization.symmetric(maxAbs: 0, qmax: 127) == QuantizationParameters(scale: 1, zeroPoint: 0))
  }

  @Test func int16ActivationsAreSymmetric() {
    let p = AffineQuantization.activation(min: -2, max: 1, precision: .int16)
    #expect(p == QuantizationParameters(scale: Float(2.0 / 32767), zeroPoint: 0))
    #expect(AffineQuantization.activation(min: -2, max: 1, precision: .float32) == nil)
  }

  @Test func quantizeRoundsHalfAwayFromZeroAndClamps() {
    #expect(AffineQuantization.quantize(0.5, scale: 1, zeroPoint: 0, range: -128...127) == 1)
    #expect(AffineQuantization.quantize(-0.5, scale: 1, zeroPoint: 0, range: -128...127) == -1)
    #expect(AffineQuantization.quantize(1000, scale: 1, zeroPoint: 3, range: -128...127) == 127)
    #expect(AffineQuantization.quantize(-.infinity, scale: 1, zeroPoint: 0, range: -128...127) == -128)
    #expect(AffineQuantization.quantize(2.4, scale: 0.5, zeroPoint: -10, range: -128...127) == -5)
  }

  @Test func perChannelDequantization() {
    let data = TensorData(shape: [2, 2], storage: .int8([1, -2, 3, 4]))
    let p = QuantizationParameters(scales: [0.5, 0.25], zeroPoints: [0, 0], quantizedDimension: 0)
    #expect(AffineQuantization.dequantize(data, params: p) == [0.5, -1, 0.75, 1])
    let q = QuantizationParameters(scales: [0.5, 0.25], zeroPoints: [0, 0], quantizedDimension: 1)
    #expect(AffineQuantization.dequantize(data, params: q) == [0.5, -0.5, 1.5, 1])
  }
}
