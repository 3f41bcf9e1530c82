import Architecture
import CycleSim
import Reporting
import Support
import TileISA

/// Two 1×1 convolutions on toy-4x4 (layers 0 and 1), each load → load_weights → matmul →
/// activate → store, so the layers overlap in time and every unit has work; each layer is one
/// tile (the `; tile` annotations, as the compiler writes them).
let twoLayerProgram = """
  .program datapath=int8 dram=0x200 ub=0x400 wb=0x100 acc_rows=16 array=4x4
  .layer 0 name="conv_a" op="CONV_2D"
  .layer 1 name="conv_b" op="CONV_2D"
  .input 0 name="x" type=int8 shape=[1,3,3,4] dram=0x0
  .output 0 name="y" type=int8 shape=[1,3,3,2] dram=0x100
  .output 1 name="z" type=int8 shape=[1,3,3,2] dram=0x180
  .data 0x40 01ff02fe0300fc040500000000000040fefffffff9ffffff00000040ffffffff
  load mem=ub sram=0x0 sram_stride=36 dram=0x0 dram_stride=36 rows=1 row_bytes=36 layer=0 ; tile m=0
  load mem=wb sram=0x0 sram_stride=32 dram=0x40 dram_stride=32 rows=1 row_bytes=32 layer=0 deps=push_next ; tile m=0 n=0 k=0
  load mem=ub sram=0x200 sram_stride=36 dram=0x0 dram_stride=36 rows=1 row_bytes=36 layer=1 ; tile m=0
  load mem=wb sram=0x40 sram_stride=32 dram=0x40 dram_stride=32 rows=1 row_bytes=32 layer=1 deps=push_next ; tile m=0 n=0 k=0
  load_weights slot=0 wb=0x0 rows=4 cols=2 stride=2 layer=0 deps=pop_prev ; tile m=0 n=0 k=0
  matmul acc=0 slot=0 n=2 ub=0x0 h=3 w=3 ps=4 out=3x3 k=1x1 s=1x1 d=1x1 pad=0,0 c=0+4 zp=-3 g=1 df=ws layer=0 ; tile m=0 n=0 k=0
  load_weights slot=1 wb=0x40 rows=4 cols=2 stride=2 layer=1 deps=pop_prev ; tile m=0 n=0 k=0
  activate acc=0 out=3x3 n=2 params=0x8 mode=fixed zp=1 clamp=-128,127 dst=0x100 dst_ps=2 dst_rs=6 layer=0 deps=push_next ; tile m=0 n=0
  matmul acc=0 slot=1 n=2 ub=0x200 h=3 w=3 ps=4 out=3x3 k=1x1 s=1x1 d=1x1 pad=0,0 c=0+4 zp=-3 g=1 df=ws layer=1 ; tile m=0 n=0 k=0
  activate acc=0 out=3x3 n=2 params=0x48 mode=fixed zp=1 clamp=-128,127 dst=0x140 dst_ps=2 dst_rs=6 layer=1 deps=push_next ; tile m=0 n=0
  store mem=ub sram=0x100 sram_stride=18 dram=0x100 dram_stride=18 rows=1 row_bytes=18 layer=0 deps=pop_prev ; tile m=0
  store mem=ub sram=0x140 sram_stride=18 dram=0x180 dram_stride=18 rows=1 row_bytes=18 layer=1 deps=pop_prev ; tile m=0
  finish
  """

/// A trace of one run: the JSON text, the run's result and every event the simulator reported.
struct TracedRun {
  var json: String
  var result: SimulationResult
  var events: RecordingObserver
  var program: TileProgram

  var bytes: [UInt8] { Array(json.utf8) }

  /// Simulates `assembly` on `arch` with a trace writer (and a recorder) observing.
  init(_ assembly: String = twoLayerProgram, arch: ArchSpec = .toy4x4, options: TraceOptions = TraceOptions()) throws {
    program = try TileProgram(parsingAssembly: assembly)
    var simulator = Simulator(arch: arch, program: program)
    var pair = Tee(
      writer: PerfettoTraceWriter(program: program, arch: arch, options: options, output: ""),
      recorder: RecordingObserver())
    result = try simulator.run(inputs: nil, observer: &pair)
    pair.writer.finish(result)
    json = pair.writer.output
    events = pair.recorder
  }

  func trace(named name: String = "run.json") throws -> SystoleTrace {
    try SystoleTrace(bytes: bytes, fileName: name)
  }
}

/// Sends every event to a trace writer and a recorder.
struct Tee: SimulationObserver {
  var writer: PerfettoTraceWriter<String>
  var recorder: RecordingObserver

  mutating func observe(_ event: SimulationEvent) {
    writer.observe(event)
    recorder.observe(event)
  }
}
