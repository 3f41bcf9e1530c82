extension TileProgram {
  /// Runs the program functionally, in program order, and returns its outputs' bytes.
  ///
  /// Writes the DRAM image and `inputs` (raw little-endian bytes, one array per input binding),
  /// executes every instruction in program order up to the first `finish` (token flags matter only
  /// to the timing simulator: a program whose tokens are correct computes the same result in
  /// any order they allow), and reads each output binding.
  ///
  /// - Throws: `ISAError` `.badInput` when the inputs do not match the bindings; otherwise what
  ///   `execute(_:on:host:)` throws, located at `instruction #i (mnemonic)`.
  public func run(
    inputs: [[UInt8]], host: some HostExecutor, parallelism: ExecutionParallelism = .automatic
  ) throws(ISAError) -> [[UInt8]] {
    var state = try MachineState(program: self)
    state.parallelism = parallelism
    guard inputs.count == self.inputs.count else {
      throw ISAError(.badInput, "inputs", "expected \(self.inputs.count) inputs, got \(inputs.count)")
    }
    for (i, (binding, bytes)) in zip(self.inputs, inputs).enumerated() {
      let location = "input \(i) '\(binding.name)'"
      guard let byteCount = binding.checkedByteCount else {
        throw ISAError(.badInput, location, "shape \(binding.shape) is invalid")
      }
      guard bytes.count == byteCount else {
        throw ISAError(.badInput, location, "expected \(byteCount) bytes, got \(bytes.count)")
      }
      let start = binding.address.byteOffset
      guard start >= 0, start <= state.dram.count - bytes.count else {
        throw ISAError(.badInput, location, "DRAM range \(binding.range) exceeds the DRAM size \(hex(state.dram.count))")
      }
      state.dram.replaceSubrange(start..<start + bytes.count, with: bytes)
    }
    host.restoreDeviceState(dram: &state.dram)  // issue 14: lstm
    for (index, instruction) in instructions.enumerated() {
      do {
        try execute(instruction, on: &state, host: host)
      } catch {
        throw ISAError(error.kind, "instruction #\(index) (\(error.location))", error.message)
      }
      if case .finish = instruction.operation { break }
    }
    host.saveDeviceState(dram: state.dram)  // issue 14: lstm
    var results: [[UInt8]] = []
    for (i, binding) in outputs.enumerated() {
      let start = binding.address.byteOffset
      guard let byteCount = binding.checkedByteCount, start >= 0, start <= state.dram.count - byteCount else {
        throw ISAError(
          .execution, "output \(i) '\(binding.name)'",
          "shape \(binding.shape) at \(binding.address) does not fit the DRAM size \(hex(state.dram.count))")
      }
      results.append(Array(state.dram[start..<start + byteCount]))
    }
    return results
  }

  /// Runs a program that has no host tasks (see `run(inputs:host:)`).
  public func run(inputs: [[UInt8]]) throws(ISAError) -> [[UInt8]] {
    try run(inputs: inputs, host: NoHostExecutor())
  }
}
