import GraphIR
import Support

extension Kernels {
  static func averagePool2D(_ c: KernelContext, _ o: Pool2DOptions) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  static func maxPool2D(_ c: KernelContext, _ o: Pool2DOptions) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  static func mean(_ c: KernelContext, keepDims: Bool) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
}
