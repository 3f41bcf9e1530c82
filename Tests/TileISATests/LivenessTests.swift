import Support
import Testing

@testable import TileISA

@Suite("buffer liveness")
struct LivenessTests {
  static let header = ".program datapath=int8 dram=0x100 ub=0x100 wb=0x100 acc_rows=8 array=4x4"

  @Test("one tile: each value lives from its writer to its last reader on each unit; accumulation continues a value")
  func singleTile() throws {
    // pc 0 loads 4 pixels × 4 channels, pc 1 weights (16 bytes) and 4 parameter entries
    // (48 bytes); pc 2 shifts the weights in; pcs 3 and 4 multiply (the second accumulates
    // into the same 4 accumulator rows); pc 5 activates into UB 0x40, which pc 6 stores.
    let program = try TileProgram(
      parsingAssembly: """
        \(Self.header)
        load mem=ub sram=0x0 sram_stride=16 dram=0x0 dram_stride=16 rows=1 row_bytes=16
        load mem=wb sram=0x0 sram_stride=64 dram=0x10 dram_stride=64 rows=1 row_bytes=64 deps=push_next
        load_weights slot=0 wb=0x0 rows=4 cols=4 stride=4 deps=pop_prev
        matmul acc=0 slot=0 n=4 ub=0x0 h=1 w=4 ps=4 out=1x4 k=1x1 s=1x1 d=1x1 pad=0,0 c=0+4 zp=0 g=1 df=ws
        matmul acc=0 slot=0 n=4 ub=0x0 h=1 w=4 ps=4 out=1x4 k=1x1 s=1x1 d=1x1 pad=0,0 c=0+4 zp=0 g=1 df=ws accumulate
        activate acc=0 out=1x4 n=4 params=0x10 mode=fixed zp=0 clamp=-128,127 dst=0x40 dst_ps=4 dst_rs=16 deps=push_next
        store mem=ub sram=0x40 sram_stride=16 dram=0x80 dram_stride=16 rows=1 row_bytes=16 deps=pop_prev
        finish
        """)
    #expect(
      program.liveRanges() == [
        LiveRange(memory: .unifiedBuffer, byteCount: 16, writer: 0, lastUses: [0, 4]),
        LiveRange(memory: .weightBuffer, byteCount: 16, writer: 1, lastUses: [1, 2]),
        LiveRange(memory: .weightBuffer, byteCount: 48, writer: 1, lastUses: [1, 5]),
        LiveRange(memory: .accumulator, byteCount: 4 * 4 * 4, writer: 3, lastUses: [4, 5]),
        LiveRange(memory: .unifiedBuffer, byteCount: 16, writer: 5, lastUses: [5, 6]),
      ])
  }

  @Test("a partial overwrite ends only the bytes it overwrites; bytes nobody reads live for their writer alone")
  func partialOverwrite() throws {
    let program = try TileProgram(
      parsingAssembly: """
        \(Self.header)
        load mem=ub sram=0x0 sram_stride=16 dram=0x0 dram_stride=16 rows=1 row_bytes=16
        load mem=ub sram=0x0 sram_stride=8 dram=0x0 dram_stride=8 rows=1 row_bytes=8
        store mem=ub sram=0x0 sram_stride=16 dram=0x80 dram_stride=16 rows=1 row_bytes=16
        load mem=ub sram=0x20 sram_stride=4 dram=0x0 dram_stride=4 rows=3 row_bytes=2
        finish
        """)
    #expect(
      program.liveRanges() == [
        LiveRange(memory: .unifiedBuffer, byteCount: 8, writer: 0, lastUses: [0]),
        LiveRange(memory: .unifiedBuffer, byteCount: 8, writer: 0, lastUses: [0, 2]),
        LiveRange(memory: .unifiedBuffer, byteCount: 8, writer: 1, lastUses: [1, 2]),
        // Three strided rows of 2 bytes: one value of 6 bytes.
        LiveRange(memory: .unifiedBuffer, byteCount: 6, writer: 3, lastUses: [3]),
      ])
  }

  @Test("strided reads split a value by last reader; every written byte is counted once per value")
  func stridedReaders() throws {
    // 4 pixels × 8 channels; the first matmul reads channels 0..<4 of each pixel, the second
    // channels 4..<8; the store reads the whole tile after both.
    let program = try TileProgram(
      parsingAssembly: """
        \(Self.header)
        load mem=ub sram=0x0 sram_stride=32 dram=0x0 dram_stride=32 rows=1 row_bytes=32
        load mem=wb sram=0x0 sram_stride=16 dram=0x40 dram_stride=16 rows=1 row_bytes=16 deps=push_next
        load_weights slot=0 wb=0x0 rows=4 cols=4 stride=4 deps=pop_prev
        matmul acc=0 slot=0 n=4 ub=0x0 h=1 w=4 ps=8 out=1x4 k=1x1 s=1x1 d=1x1 pad=0,0 c=0+4 zp=0 g=1 df=ws
        matmul acc=0 slot=0 n=4 ub=0x0 h=1 w=4 ps=8 out=1x4 k=1x1 s=1x1 d=1x1 pad=0,0 c=4+4 zp=0 g=1 df=ws accumulate
        finish
        """)
    let ub = program.liveRanges().filter { $0.memory == .unifiedBuffer }
    #expect(
      ub == [
        LiveRange(memory: .unifiedBuffer, byteCount: 16, writer: 0, lastUses: [0, 3]),
        LiveRange(memory: .unifiedBuffer, byteCount: 16, writer: 0, lastUses: [0, 4]),
      ])
    let acc = program.liveRanges().filter { $0.memory == .accumulator }
    #expect(acc == [LiveRange(memory: .accumulator, byteCount: 64, writer: 3, lastUses: [4])])
  }

  @Test("over random DMA programs the live ranges count every byte each load writes exactly once")
  func bytesAddUp() throws {
    var rng = SeededGenerator(seed: 5)
    for _ in 0..<20 {
      var program = TileProgram(limits: smallLimits, dramSize: 0x1000)
      for _ in 0..<30 {
        let bytes = Int.random(in: 1...64, using: &rng)
        let sram = Int.random(in: 0...(4096 - 4 * bytes), using: &rng)
        let rows = Int.random(in: 1...3, using: &rng)
        let stride = Int.random(in: bytes...(2 * bytes), using: &rng)
        let memory = [OnChipMemory.unifiedBuffer, .weightBuffer].randomElement(using: &rng) ?? .unifiedBuffer
        let d = DMA2D(
          memory: memory, sramAddress: SRAMAddress(sram), sramStrideBytes: stride, dramAddress: 0,
          dramStrideBytes: bytes, rows: rows, rowBytes: bytes)
        program.instructions.append(Instruction(Bool.random(using: &rng) ? .load(d) : .store(d)))
      }
      program.instructions.append(Instruction(.finish))
      // Loads never read on-chip memory, so every byte a load writes starts a new value.
      var values: [OnChipMemory: Int] = [:]
      for instruction in program.instructions {
        guard case .load(let d) = instruction.operation else { continue }
        values[d.memory, default: 0] += d.rows * d.rowBytes
      }
      var counted: [OnChipMemory: Int] = [:]
      for range in program.liveRanges() { counted[range.memory, default: 0] += range.byteCount }
      #expect(counted == values)
    }
  }
}
