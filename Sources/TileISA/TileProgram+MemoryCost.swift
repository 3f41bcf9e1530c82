import Support

extension TileProgram {
  /// Bytes one instruction of a program occupies while the program is held in memory: the
  /// `Instruction` value and its `tiles` entry (key and coordinate).
  ///
  /// The compiler multiplies its upper bound on the instruction count by this (and by what it and
  /// the simulator keep per instruction on top, `docs/compiler.md` § Memory estimate) to refuse a
  /// program that would not fit in memory before emitting it.
  public static let residentBytesPerInstruction =
    MemoryLayout<Instruction>.stride + MemoryLayout<Int>.stride + MemoryLayout<TileCoordinate>.stride
}

extension MachineState {
  /// Bytes `init(limits:datapath:dramSize:arenaSize:hostTasks:)` allocates for its memories:
  /// DRAM, the unified buffer, the arena, the weight buffer and the int32 accumulators
  /// (`accumulatorRows × arrayColumns × 4`). Saturates instead of overflowing.
  public static func allocatedBytes(limits: MemoryLimits, dramSize: Int, arenaSize: Int) -> Int {
    let accumulator = max(0, limits.accumulatorRows).multipliedSaturating(by: max(0, limits.arrayColumns))
      .multipliedSaturating(by: 4)
    return [
      max(0, dramSize), Int(clamping: limits.unifiedBuffer.count), max(0, arenaSize),
      Int(clamping: limits.weightBuffer.count), accumulator,
    ].saturatingSum()
  }
}
