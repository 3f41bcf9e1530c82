import GraphIR
import Support

extension Kernels {
  static func add(_ c: KernelContext, activation: FusedActivation) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  static func sub(_ c: KernelContext, activation: FusedActivation) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  static func mul(_ c: KernelContext, activation: FusedActivation) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  static func neg(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  static func squaredDifference(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  static func rsqrt(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
}
