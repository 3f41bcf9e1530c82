import Support
import Testing

@testable import TileISA

/// A small machine: 4 KiB unified and weight buffers, 64 accumulator rows, an 16 × 8 array.
let smallLimits = MemoryLimits(
  unifiedBuffer: ByteCount(4096), weightBuffer: ByteCount(4096), accumulatorRows: 64, arrayRows: 16, arrayColumns: 8)

func makeMachine(_ limits: MemoryLimits = smallLimits, dram: Int = 4096) throws -> MachineState {
  try MachineState(limits: limits, datapath: .int8, dramSize: ByteCount(dram))
}

/// Runs one instruction with no host executor.
func run(_ operation: Operation, on state: inout MachineState) throws(ISAError) {
  try execute(Instruction(operation), on: &state, host: NoHostExecutor())
}

extension MachineState {
  /// Writes int8 values into the unified buffer.
  mutating func putUB(_ values: [Int8], at address: Int) {
    for (i, v) in values.enumerated() { unifiedBuffer[address + i] = UInt8(bitPattern: v) }
  }
  /// Writes int8 values into the weight buffer.
  mutating func putWB(_ values: [Int8], at address: Int) {
    for (i, v) in values.enumerated() { weightBuffer[address + i] = UInt8(bitPattern: v) }
  }
  /// Reads int8 values from the unified buffer.
  func ub(_ address: Int, _ count: Int) -> [Int8] {
    unifiedBuffer[address..<address + count].map { Int8(bitPattern: $0) }
  }
  /// One accumulator row's first `count` columns.
  func accRow(_ row: Int, _ count: Int) -> [Int32] {
    (0..<count).map { accumulator(row: AccumulatorRow(row), column: $0) }
  }
  /// Loads a K × N weight tile into a slot through the weight buffer.
  mutating func loadTile(_ values: [[Int8]], slot: WeightSlot = .first, at address: Int = 0) throws(ISAError) {
    let columns = values.first?.count ?? 0
    putWB(values.flatMap { $0 }, at: address)
    try run(.loadWeights(LoadWeights(slot: slot, wbAddress: SRAMAddress(address), rows: values.count, columns: columns)), on: &self)
  }
}

/// A dense-pixel GEMM input: `pixels` rows of `channels` bytes at `address`.
func gemmInput(address: Int, pixels: Int, channels: Int) -> (FeatureMap, Window) {
  (
    FeatureMap(address: SRAMAddress(address), height: 1, width: pixels, pixelStrideBytes: channels, channelCount: channels),
    Window(outHeight: 1, outWidth: pixels)
  )
}
