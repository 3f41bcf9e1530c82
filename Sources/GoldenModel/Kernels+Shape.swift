import GraphIR
import Support

extension Kernels {
  /// RESHAPE and SQUEEZE: the data unchanged, in the output tensor's static shape.
  static func reshape(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    return TensorData(shape: try c.outputTensor().shape, storage: x.storage)
  }
  static func shape(_ c: KernelContext, outputType: ElementType) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  static func pack(_ c: KernelContext, axis: Int) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  static func splitV(_ c: KernelContext) throws(GoldenModelError) -> [TensorData] {
    throw c.unsupported("not implemented yet")
  }
  static func stridedSlice(_ c: KernelContext, _ o: StridedSliceOptions) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  static func transpose(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  static func concatenation(_ c: KernelContext, axis: Int, activation: FusedActivation) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
  static func pad(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    throw c.unsupported("not implemented yet")
  }
}
