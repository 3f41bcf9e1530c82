import Architecture
import Foundation
import Lowering
import Support
import SystoleTestSupport
import Testing
import TileISA

// issue 14: lstm

/// `vlstm` and the int16 `activate` modes, mutated byte by byte from the encodings the compiler
/// emits for the LSTM keyword spotter: every mutant fails to decode with an `ISAError`, or
/// decodes and executes or throws — never traps or runs long (as `EncodedInstructionFuzzTests`
/// does for the other issue-14 instructions).
@Suite struct LSTMFuzzTests {
  @Test func mutantsDecodeAndExecuteWithoutTrapping() throws {
    let set = try ReferenceSet(stem: "kws_lstm_int8")
    let compiled = try LoweringPipeline(arch: .edgeTPU).compile(try set.loadResolved())
    var seeds: [[UInt8]] = []
    for i in compiled.program.instructions {
      switch i.operation {
      case .vector(.lstmCell): seeds.append(try i.encoded())
      case .activate(let a) where a.mode == .fixedPointInt16 || a.mode == .fixedPointInt16Add: seeds.append(try i.encoded())
      default: break
      }
    }
    #expect(Set(seeds.map { $0[0] }) == [5, 27], "\(Set(seeds.map { $0[0] }).sorted())")
    var rng = SeededGenerator(seed: 0x157)
    let program = compiled.program
    let bare = TileProgram(
      datapath: program.datapath, limits: program.limits, dramSize: ByteCount(1 << 16), arenaSize: program.arenaSize)
    var state = try MachineState(program: bare)
    var (decoded, executed) = (0, 0)
    for n in 0..<2_000 {
      var bytes = seeds[n % seeds.count]
      for _ in 0..<Int.random(in: 1...4, using: &rng) {
        let at = Int.random(in: 1..<Instruction.encodedSize, using: &rng)
        bytes[at] =
          Bool.random(using: &rng) ? UInt8.random(in: 0...255, using: &rng) : bytes[at] ^ (1 << UInt8.random(in: 0...7, using: &rng))
      }
      guard let instruction = try? Instruction(decoding: bytes) else { continue }
      decoded += 1
      var single = bare
      single.instructions = [instruction, Instruction(.finish)]
      _ = ProgramVerifier.verify(single, includingData: false)
      let start = Date()
      if (try? execute(instruction, on: &state, host: NoHostExecutor())) != nil { executed += 1 }
      #expect(Date().timeIntervalSince(start) < 5, "\(instruction.mnemonic) ran \(Date().timeIntervalSince(start)) s")
    }
    #expect(decoded > 500 && executed > 200, "decoded \(decoded), executed \(executed)")
  }
}
