import Architecture
import Support
import Testing
import TileISA

@testable import CycleSim

/// A hand-written assembly program (a 1×1 convolution with a zero point on toy-4x4), simulated
/// in both modes.
@Suite("assembly programs")
struct AssemblyProgramTests {
  static let text = """
    .program datapath=int8 dram=0x200 ub=0x400 wb=0x100 acc_rows=16 array=4x4
    .layer 0 name="conv" op="CONV_2D"
    .input 0 name="x" type=int8 shape=[1,3,3,4] dram=0x0
    .output 0 name="y" type=int8 shape=[1,3,3,2] dram=0x100
    ; 4 × 2 weights, then two parameter entries: (bias 5, 0.5, shift −2), (bias −7, 0.5, shift −1)
    .data 0x40 01ff02fe0300fc040500000000000040fefffffff9ffffff00000040ffffffff
    load mem=ub sram=0x0 sram_stride=36 dram=0x0 dram_stride=36 rows=1 row_bytes=36 layer=0
    load mem=wb sram=0x0 sram_stride=32 dram=0x40 dram_stride=32 rows=1 row_bytes=32 layer=0 deps=push_next
    load_weights slot=0 wb=0x0 rows=4 cols=2 stride=2 layer=0 deps=pop_prev
    matmul acc=0 slot=0 n=2 ub=0x0 h=3 w=3 ps=4 out=3x3 k=1x1 s=1x1 d=1x1 pad=0,0 c=0+4 zp=-3 g=1 df=ws layer=0
    activate acc=0 out=3x3 n=2 params=0x8 mode=fixed zp=1 clamp=-128,127 dst=0x100 dst_ps=2 dst_rs=6 layer=0 deps=push_next
    store mem=ub sram=0x100 sram_stride=18 dram=0x100 dram_stride=18 rows=1 row_bytes=18 layer=0 deps=pop_prev
    finish
    """

  @Test("a 1×1 convolution from assembly: outputs equal the executor's, cycles equal the formulas")
  func convolutionFromAssembly() throws {
    let toy = ArchSpec.toy4x4
    let program = try TileProgram(parsingAssembly: Self.text)
    #expect(ProgramVerifier.verify(program).isEmpty, "\(ProgramVerifier.verify(program))")
    let input = pseudoRandomBytes(36, seed: 99)
    let expected = try program.run(inputs: [input])
    var simulator = Simulator(arch: toy, program: program, mode: .functional(host: NoHostExecutor()))
    let result = try simulator.run(inputs: [input])
    #expect(result.outputs == expected)

    let latency = Int64(toy.dramLatencyCycles)
    let bw = Int64(toy.dramBytesPerCycle)  // 4 B/cycle, also every port's width on toy
    func ceilDiv(_ a: Int64, _ b: Int64) -> Int64 { (a + b - 1) / b }
    let inputLoad = latency + ceilDiv(36, bw)
    let weightLoad = latency + ceilDiv(32, bw)
    let shift = max(4, ceilDiv(4 * 2, Int64(toy.weights.portBytesPerCycle)))
    let stream = 9 + Int64(toy.array.rows + toy.array.cols) - 2
    let activate = max(ceilDiv(18, Int64(toy.vectorOpsPerCycle)), ceilDiv(4 * 18, Int64(toy.acc.portBytesPerCycle)))
    let store = latency + ceilDiv(18, bw)
    #expect(result.cycles.count == inputLoad + weightLoad + shift + stream + activate + store)
    #expect(result.layers.count == 1 && result.layers[0].counters.cycles == result.cycles.count)
    #expect(result.total.macs == 9 * 4 * 2)
  }
}
