import GraphIR
import Support

extension Kernels {
  static func conv2D(_ c: KernelContext, _ o: Conv2DOptions) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  static func depthwiseConv2D(_ c: KernelContext, _ o: DepthwiseConv2DOptions) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  static func fullyConnected(_ c: KernelContext, _ o: FullyConnectedOptions) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  static func batchMatMul(_ c: KernelContext, adjointX: Bool, adjointY: Bool) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
}
