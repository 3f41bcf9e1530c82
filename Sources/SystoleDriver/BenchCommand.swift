import Architecture
import CycleSim
import Foundation
import GoldenModel
import GraphIR
import Lowering
import ModelZoo
import Pipeline
import Reporting
import Support

/// `systole bench`: the speed figures of docs/performance.md, measured on this machine.
///
/// Speed is measured here, never asserted by a timed test. Build with `-c release`.
enum BenchCommand {
  static let command = Driver.Command(
    name: "bench",
    abstract: "Measure compile, simulate and functional-execution speed (use a release build).",
    usage: "systole bench [--quick] [--json]",
    discussion: """
      Measures, each as wall time on this machine: compiling and timing-simulating zoo:resnet50
      on a 32x32 array and on tpu-v1 (with the process's peak resident memory); golden-model and
      functional-simulation throughput in int8 MACs per second; and how compile + simulate time
      grows with the number of tiles (zoo:resnet50 at increasing input sizes). --quick uses
      smaller inputs. Results feed docs/performance.md.
      """,
    options: [
      OptionSpec(name: "quick", kind: .flag, help: "Smaller models (a smoke test, not the documented figures)."),
      OptionSpec(name: "json", kind: .flag, help: "Print JSON instead of text."),
    ],
    run: { args, console in try run(args, console: &console) })

  struct Row {
    var name: String
    var seconds: Double
    var detail: String
    var fields: [(key: String, value: JSONValue)]
  }

  static func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let value = try body()
    return (value, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }

  /// Peak resident set size of this process so far, in bytes (Linux `ru_maxrss` is in KiB).
  static func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int(usage.ru_maxrss) * 1024
  }

  static func run(_ args: ParsedArguments, console: inout Driver.Console) throws {
    let quick = args.flag("quick")
    var rows: [Row] = []
    let resnetSize = quick ? 64 : 224
    let (resnet, buildSeconds) = try time { try ModelZoo.model(named: "resnet50", inputSize: resnetSize) }
    rows.append(Row(name: "build zoo:resnet50@\(resnetSize)", seconds: buildSeconds, detail: "", fields: []))

    var arch32 = ArchSpec.tpuV1
    arch32 = try arch32.applying(overrides: ["array=32x32"])
    for (label, arch) in [("32x32", arch32), ("tpu-v1", ArchSpec.tpuV1)] {
      let (compiled, compileSeconds) = try time { try LoweringPipeline(arch: arch).compile(resnet) }
      let (sim, simSeconds) = try time { () throws -> SimulationResult in
        var simulator = Simulator(arch: arch, program: compiled.program, mode: .timing)
        return try simulator.run()
      }
      let instructions = compiled.program.instructions.count
      rows.append(
        Row(
          name: "resnet50@\(resnetSize) on \(label): compile + timing simulation", seconds: compileSeconds + simSeconds,
          detail: String(
            format: "compile %.3f s, simulate %.3f s; %@ instructions, %@ cycles, %.1f%% utilization",
            compileSeconds, simSeconds, groupedDigits(instructions), groupedDigits(Int(sim.cycles.count)), sim.utilization * 100),
          fields: [
            ("compile_s", .double(compileSeconds)), ("simulate_s", .double(simSeconds)),
            ("instructions", .int(Int64(instructions))), ("cycles", .int(sim.cycles.count)),
          ]))
    }
    rows.append(
      Row(
        name: "peak resident memory after the resnet50 runs", seconds: 0,
        detail: "\(groupedDigits(peakResidentBytes() / (1024 * 1024))) MiB",
        fields: [("peak_rss_bytes", .int(Int64(peakResidentBytes())))]))

    // Throughput of int8 MACs: golden model and functional simulation on the same model.
    let mnSize = quick ? 64 : 224
    let mobilenet = try ModelZoo.model(named: "mobilenet_v1", inputSize: mnSize)
    let macs = (0..<mobilenet.main.operators.count).reduce(0) { $0 + mobilenet.main.macs(ofOperator: $1) }
    var rng = SeededGenerator(seed: 1)
    let input = mobilenet.main.inputs.map { RandomTensors.make(mobilenet.main[$0], using: &rng) }
    var interpreter = Interpreter(model: mobilenet)
    let (_, goldenSeconds) = try time { try interpreter.invoke(input) }
    rows.append(
      Row(
        name: "golden model, zoo:mobilenet_v1@\(mnSize)", seconds: goldenSeconds,
        detail: String(format: "%.2f G int8 MACs/s (%@ MACs)", Double(macs) / goldenSeconds / 1e9, groupedDigits(macs)),
        fields: [("macs_per_s", .double(Double(macs) / goldenSeconds))]))
    var options = RunPipeline.Options()
    options.functional = true
    options.baseline = false
    let (functional, functionalSeconds) = try time {
      try RunPipeline.run(model: mobilenet, arch: arch32, options: options, inputs: [input])
    }
    let simMACs = Double(functional.simulation.total.macs)
    rows.append(
      Row(
        name: "functional simulation (compile + run), zoo:mobilenet_v1@\(mnSize) on 32x32", seconds: functionalSeconds,
        detail: String(format: "%.2f G array MACs/s", simMACs / functionalSeconds / 1e9),
        fields: [("array_macs_per_s", .double(simMACs / functionalSeconds))]))

    // Scaling: compile + simulate time per tile as the input grows.
    for size in quick ? [32, 64] : [64, 128, 224] {
      let m = try ModelZoo.model(named: "resnet50", inputSize: size)
      let (result, seconds) = try time { () throws -> (Int, Int) in
        let c = try LoweringPipeline(arch: arch32).compile(m)
        var simulator = Simulator(arch: arch32, program: c.program, mode: .timing)
        _ = try simulator.run()
        return (c.program.instructions.count, c.report.operators.reduce(0) { $0 + $1.tileCount })
      }
      rows.append(
        Row(
          name: "scaling: resnet50@\(size) on 32x32", seconds: seconds,
          detail: String(format: "%@ tiles, %@ instructions, %.2f µs per tile", groupedDigits(result.1), groupedDigits(result.0), seconds * 1e6 / Double(max(result.1, 1))),
          fields: [("tiles", .int(Int64(result.1))), ("instructions", .int(Int64(result.0)))]))
    }

    if args.flag("json") {
      let json = JSONValue.array(
        rows.map { r in .object([("name", .string(r.name)), ("seconds", .double(r.seconds)), ("detail", .string(r.detail))] + r.fields) })
      console.out(json.serialized() + "\n")
    } else {
      var t = TextTable(headers: ["benchmark", "wall s", "detail"], alignments: [.left, .right, .left])
      for r in rows { t.append([r.name, r.seconds > 0 ? String(format: "%.3f", r.seconds) : "", r.detail]) }
      console.out(t.render())
    }
  }
}
