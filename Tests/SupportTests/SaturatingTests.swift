import Support
import Testing

@Suite struct SaturatingTests {
  @Test(arguments: [
    (Double.infinity, Int.max), (-Double.infinity, 0), (Double.nan, 0), (-5.5, 0), (0, 0), (0.1, 1), (2, 2),
    (2.0000001, 3), (1e300, Int.max), (9.223372036854775807e18, Int.max),
  ])
  func ceiling(_ x: Double, _ expected: Int) {
    #expect(Int(saturatingCeiling: x) == expected)
  }

  @Test func arithmeticClamps() {
    #expect(Int.max.addingSaturating(1) == .max)
    #expect(Int.min.addingSaturating(-1) == .min)
    #expect(Int.min.subtractingSaturating(1) == .min)
    #expect(Int.max.subtractingSaturating(-1) == .max)
    #expect((Int.max / 2).multipliedSaturating(by: 3) == .max)
    #expect((Int.max / 2).multipliedSaturating(by: -3) == .min)
    #expect(Int64(3).multipliedSaturating(by: 4) == 12)
    #expect([Int.max, 5, 7].saturatingSum() == .max)
    #expect([1 << 40, 1 << 40, 0].saturatingProduct() == 0)
    #expect([Int64(1) << 40, 1 << 40].saturatingProduct() == Int64.max)
    var x: Int64 = .max - 1
    x.addSaturating(10)
    #expect(x == .max)
  }
}
