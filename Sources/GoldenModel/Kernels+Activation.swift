import GraphIR
import Support

extension Kernels {
  static func softmax(_ c: KernelContext, beta: Float) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  static func logistic(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  static func hardSwish(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  /// RELU (`upper` nil), RELU6 (0...6), RELU_N1_TO_1 (−1...1).
  static func relu(_ c: KernelContext, lower: Float, upper: Float?) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  static func quantize(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  static func dequantize(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
}
