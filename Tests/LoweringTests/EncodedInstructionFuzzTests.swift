import Architecture
import Foundation
import Lowering
import Support
import SystoleTestSupport
import Testing
import TileISA

/// The instructions this session added to the ISA (`vresize` 20, `vbinary` 24 — its `div`, `less`
/// and `select` functions too (issue 14: vops) — `vreduce` 25 (`argmax32|argmax64` too, issue 14:
/// argmax; `prod`, issue 14: prod) and the `host_link` flag of
/// `load`/`store`), mutated byte by byte from encodings the compiler emits for committed models:
/// every mutant either fails to decode with an `ISAError`, or decodes, verifies or is rejected
/// with problems, and executes or throws — never traps.
@Suite struct EncodedInstructionFuzzTests {
  /// Encoded instructions of each new kind from real programs on `arch`.
  static func seeds(_ stems: [String], key: String, arch: ArchSpec) throws -> (TileProgram, [[UInt8]]) {
    var found: [[UInt8]] = []
    var program: TileProgram?
    for set in try Fixtures.referenceSets(key: key) where stems.contains(set.stem) {
      let compiled = try LoweringPipeline(arch: arch).compile(try set.loadResolved())
      program = program ?? compiled.program
      for i in compiled.program.instructions {
        let interesting: Bool
        switch i.operation {
        case .vector(.resize), .vector(.binary), .vector(.reduce): interesting = true
        case .load(let d), .store(let d): interesting = d.hostLink
        default: interesting = false
        }
        if interesting { found.append(try i.encoded()) }
      }
    }
    return (try #require(program), found)
  }

  /// It found a `vreduce` of 327,692 × 42,757 elements over overlapping views of a 3 MiB buffer
  /// that the executor ran for 316 s; `checkExtent` now refuses more elements than the buffer holds.
  @Test func mutantsDecodeVerifyAndExecuteWithoutTrapping() throws {
    let arch = ArchSpec.edgeTPU
    let (vision, a) = try Self.seeds(["deeplab_head_int8"], key: "vision", arch: arch)
    let (_, b) = try Self.seeds(["vit_tiny_int8"], key: "transformers", arch: arch)
    let (_, c) = try Self.seeds(
      ["reduce_max_hw_int8", "maximum_int8", "minimum_int8", "div_broadcast_int8", "less_select_v2_int8"],
      key: "transformer_ops", arch: arch)
    // issue 14: argmax — `vreduce fn=argmax32|argmax64` with 4- and 8-byte index outputs
    let (_, d) = try Self.seeds(["arg_max_int32_int8", "arg_max_int64_int8"], key: "vision_ops", arch: arch)
    // issue 14: prod — `vreduce fn=prod` with vrequant's parameter bytes
    let (_, e) = try Self.seeds(["reduce_prod_int8"], key: "transformer_ops", arch: arch)
    let seeds = a + b + c + d + e
    let opcodes = Set(seeds.map { $0[0] })
    #expect(opcodes.isSuperset(of: [1, 2, 20, 24]), "\(opcodes.sorted())")
    var rng = SeededGenerator(seed: 77)
    var (decoded, verified, executed) = (0, 0, 0)  // verified stays 0: a lone mutant reads what nothing wrote
    // A bare program with the compiled one's memories (no bindings, 1 MiB of DRAM), so that a
    // single mutant can verify on its own.
    let bare = TileProgram(datapath: vision.datapath, limits: vision.limits, dramSize: ByteCount(1 << 20), arenaSize: vision.arenaSize)
    var state = try MachineState(program: bare)
    for n in 0..<4_000 {
      var bytes = seeds[n % seeds.count]
      for _ in 0..<Int.random(in: 1...4, using: &rng) {
        let at = Int.random(in: 1..<Instruction.encodedSize, using: &rng)
        bytes[at] = Bool.random(using: &rng) ? UInt8.random(in: 0...255, using: &rng) : bytes[at] ^ (1 << UInt8.random(in: 0...7, using: &rng))
      }
      guard let instruction = try? Instruction(decoding: bytes) else { continue }
      decoded += 1
      var single = bare
      single.instructions = [instruction, Instruction(.finish)]
      if ProgramVerifier.verify(single, includingData: false).isEmpty { verified += 1 }
      let start = Date()
      if (try? execute(instruction, on: &state, host: NoHostExecutor())) != nil { executed += 1 }
      // No mutant may run long: the checks bound every instruction's work by the buffer sizes.
      #expect(Date().timeIntervalSince(start) < 5, "\(instruction.mnemonic) ran \(Date().timeIntervalSince(start)) s")
    }
    // Some mutants must get through each stage, or the fuzz tested nothing past the decoder.
    #expect(decoded > 1_000 && executed > 400, "decoded \(decoded), verified \(verified), executed \(executed)")
  }
}
