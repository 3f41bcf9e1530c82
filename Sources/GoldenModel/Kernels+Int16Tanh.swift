import Foundation
import GraphIR
import Support

// TANH on int16 tensors, bit-exact with TFLite's reference kernel
// (`kernels/activations.cc` TanhPrepare and TanhEval,
// `kernels/internal/reference/integer_ops/tanh.h` `Tanh` for int16, the table
// `sigmoid_table_uint16` of `kernels/internal/common.h`). `docs/quantization.md` states the
// arithmetic.

extension Kernels {
  /// TANH int16 (zero points 0, output scale 2⁻¹⁵): `tanh(x) = 2·sigmoid(2x) − 1` read from a
  /// 256-entry sigmoid table with 8 fractional bits of linear interpolation.
  ///
  /// TanhPrepare: when the input scale is `2^e` (CheckedLog2 in float, within 10⁻³) with
  /// `left = 12 + e` equal to 0 or 1, the multiplier is `3 << left` and no shift follows;
  /// otherwise `multiplier = s_in · 4096 · 3` in double, doubled (`shift += 1`) while it is
  /// ≤ 16383.5 and `shift ≤ 30`, then truncated to int32. Eval:
  /// `v = (q · multiplier + round) >> shift` (`round = 2^(shift−1)`, 0 for no shift);
  /// `a = |v|`, `h = a >> 8`; `r = h ≥ 255 ? 0xFFFF << 8 : (T[h] << 8) + (a & 0xFF)·(T[h+1] − T[h])`;
  /// `r = v ≥ 0 ? r − 2²³ + 2⁷ : −r + 2²³ + 2⁷ − 1`; output `r >> 8` (arithmetic) as int16.
  static func tanhInt16(_ c: KernelContext, _ v: [Int16]) throws(GoldenModelError) -> TensorData {
    let inTensor = try c.inputTensor(0)
    let outTensor = try c.outputTensor()
    guard outTensor.elementType == .int16 else { throw c.unsupported("TANH int16 → \(outTensor.elementType)") }
    let inQ = try ElementwiseSupport.affine(c, inTensor)
    let outQ = try ElementwiseSupport.affine(c, outTensor)
    guard inQ.zeroPoint == 0, outQ.zeroPoint == 0 else {
      throw GoldenModelError(
        .invalidModel, c.location, "int16 TANH needs zero points 0; got \(inQ.zeroPoint) and \(outQ.zeroPoint)")
    }
    guard let outLog2 = checkedLog2(outQ.scale), outLog2 == -15 else {
      throw GoldenModelError(.invalidModel, c.location, "int16 TANH needs the output scale 2^-15; got \(outQ.scale)")
    }
    guard inQ.scale > 0, inQ.scale.isFinite else {
      throw GoldenModelError(.invalidModel, c.location, "int16 TANH input scale \(inQ.scale) is not positive")
    }
    var multiplier: Int32
    var shift: Int32
    if let e = checkedLog2(inQ.scale), e + 12 == 0 || e + 12 == 1 {
      multiplier = 3 << Int32(e + 12)
      shift = 0
    } else {
      var m = Double(inQ.scale) * 4096.0 * 3.0
      shift = 0
      while m <= 32767.0 / 2.0 && shift <= 30 {
        shift += 1
        m *= 2
      }
      guard m < Double(Int32.max) else {
        throw GoldenModelError(.invalidModel, c.location, "int16 TANH input scale \(inQ.scale) is too large")
      }
      multiplier = Int32(m)
    }
    let round: Int64 = shift > 0 ? 1 << Int64(shift - 1) : 0
    let table = Self.sigmoidTable16
    let out = v.map { q -> Int16 in
      let value = Int32(truncatingIfNeeded: (Int64(q) * Int64(multiplier) + round) >> Int64(shift))
      let magnitude = value.magnitude
      let high = Int(magnitude >> 8)
      var r: Int32
      if high >= 255 {
        r = 0xFFFF << 8
      } else {
        let a = UInt32(table[high])
        let b = UInt32(table[high + 1])
        r = Int32(bitPattern: (a << 8) &+ (magnitude & 0xFF) &* (b &- a))
      }
      r = value >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1
      return Int16(truncatingIfNeeded: r >> 8)
    }
    return TensorData(shape: try c.value(0).shape, storage: .int16(out))
  }

  /// TFLite `CheckedLog2`: `round(log(x) · (1 / log 2))` in float when the fraction it drops is
  /// below 10⁻³ in magnitude, else `nil`.
  static func checkedLog2(_ x: Float) -> Int? {
    let log2 = Foundation.log(x) * (1 / Foundation.log(Float(2)))
    let rounded = log2.rounded(.toNearestOrAwayFromZero)
    guard abs(log2 - rounded) < 1e-3, rounded.isFinite else { return nil }
    return Int(rounded)
  }

  /// TFLite's `sigmoid_table_uint16` (kernels/internal/common.h): `sigmoid(i / 24)` in 0.16 fixed
  /// point for i = 0...255, as TFLite tabulates it (a few entries differ by one from a plain
  /// `round(65536 · sigmoid(i / 24))`, so the table is data, not a formula).
  static let sigmoidTable16: [UInt16] = [
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498,
    40149, 40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255,
    46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865,
    52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174,
    56503, 56823, 57133, 57433, 57724, 58007, 58280, 58544, 58800, 59048, 59288,
    59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110, 61279, 61441,
    61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886,
    62990, 63090, 63186, 63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835,
    63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308, 64357, 64405, 64450,
    64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845,
    64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097,
    65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360,
    65367, 65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425,
    65429, 65433, 65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465,
    65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
    65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508,
    65509, 65510, 65511, 65512, 65513, 65514, 65515, 65516, 65517, 65517, 65518,
    65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524, 65525,
    65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529,
    65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531, 65531, 65531, 65531,
    65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533, 65533, 65533,
    65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65535,
  ]
}
