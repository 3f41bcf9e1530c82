import Architecture
import CycleSim
import Foundation
import Lowering
import Pipeline
import Support

/// The report of `systole run`: per-layer table, totals, and the float32 baseline side by side.
///
/// Keys of ``json()`` are stable (scripts read them); they are listed in `docs/cli.md`.
public struct RunReport: Sendable {
  public var result: RunPipeline.Result

  public init(_ result: RunPipeline.Result) { self.result = result }

  /// One simulated layer joined with where the compiler put it.
  struct LayerRow {
    var name: String
    var op: String
    var placement: String
    var counters: Counters
    var energyPJ: Double
  }

  var layerRows: [LayerRow] {
    let mapping = result.compiled.report.operators
    return result.simulation.layers.map { layer in
      let m = mapping.first { $0.name == layer.name && $0.opName == layer.opName }
      return LayerRow(
        name: layer.name, op: layer.opName, placement: m?.placement.rawValue ?? "", counters: layer.counters,
        energyPJ: layer.energy.total.value)
    }
  }

  /// Samples per inference: the leading dimension of the first graph input when it has rank 2 or
  /// more (the batch `--batch` sets), else 1. Latency is per batch; inferences/s counts samples.
  public var batch: Int {
    let g = result.model.main
    guard let id = g.inputs.first, g[id].shape.count >= 2, let b = g[id].shape.first, b >= 1 else { return 1 }
    return b
  }

  /// Latency in microseconds at the architecture's clock.
  static func microseconds(_ cycles: Cycle, _ arch: ArchSpec) -> Double { Double(cycles.count) / arch.clock.value }

  /// On-chip bytes read and written, all memories (the activation arena included).
  public static func sramBytes(_ c: Counters) -> Int64 {
    c[.ubReadBytes] + c[.ubWriteBytes] + c[.arenaReadBytes] + c[.arenaWriteBytes] + c[.weightsReadBytes]
      + c[.weightsWriteBytes] + c[.accReadBytes] + c[.accWriteBytes]
  }

  /// The stall class with the most cycles in `c`, other than array-active.
  static func topStall(_ c: Counters) -> String {
    let stalls: [CounterKey] = [
      .weightShiftCycles, .weightStallCycles, .inputStallCycles, .outputStallCycles, .dependencyWaitCycles,
      .nonMatrixCycles, .hostCycles,
    ]
    guard let k = stalls.max(by: { c[$0] < c[$1] }), c[k] > 0 else { return "" }
    let pct = c.cycles > 0 ? 100 * Double(c[k]) / Double(c.cycles) : 0
    return String(format: "%@ %.0f%%", k.rawValue.replacingOccurrences(of: "_cycles", with: ""), pct)
  }

  /// The text report.
  public func renderText() -> String {
    let sim = result.simulation
    let arch = result.arch
    var t = TextTable(
      headers: ["#", "layer", "op", "where", "cycles", "MACs", "util", "top stall", "DRAM B", "energy nJ"],
      alignments: [.right, .left, .left, .left, .right, .right, .right, .left, .right, .right])
    for (i, r) in layerRows.enumerated() {
      let util = r.counters.utilization(arrayRows: arch.array.rows, arrayColumns: arch.array.cols)
      t.append([
        String(i), String(r.name.prefix(40)), r.op, r.placement, groupedDigits(Int(r.counters.cycles)),
        groupedDigits(Int(r.counters.macs)), String(format: "%.1f%%", util * 100), Self.topStall(r.counters),
        groupedDigits(Int(r.counters.dramBytes)), String(format: "%.1f", r.energyPJ / 1000),
      ])
    }
    var s = "\(result.model.source) on \(arch.name): \(arch.array.rows)x\(arch.array.cols) \(arch.datapath.rawValue), "
    s += "\(arch.dataflow.rawValue) dataflow, \(arch.clock)\n\n"
    s += t.render() + "\n"
    s += totals(sim, arch, label: "int8")
    if let b = result.baseline {
      s += "\nfloat32 baseline (\(b.arch.name), same geometry, 4-byte elements):\n"
      s += totals(b.simulation, b.arch, label: "fp32")
      s += "\nint8 vs float32:\n"
      func ratio(_ a: Double, _ b: Double) -> String { a > 0 ? String(format: "%.2fx", b / a) : "n/a" }
      s += "  latency      \(ratio(Double(sim.cycles.count), Double(b.simulation.cycles.count))) faster\n"
      s += "  off-chip B   \(ratio(Double(sim.total.offChipBytes), Double(b.simulation.total.offChipBytes))) fewer\n"
      s += "  SRAM bytes   \(ratio(Double(Self.sramBytes(sim.total)), Double(Self.sramBytes(b.simulation.total)))) fewer\n"
      s += "  energy       \(ratio(sim.energy.total.value, b.simulation.energy.total.value)) less\n"
      let q = result.compiled.report.totals
      let fq = b.compiled.report.totals
      s += "  parameters   \(ratio(Double(q.parameterBytesCached + q.parameterBytesStreamed), Double(fq.parameterBytesCached + fq.parameterBytesStreamed))) smaller\n"
    }
    return s
  }

  func totals(_ sim: SimulationResult, _ arch: ArchSpec, label: String) -> String {
    let us = Self.microseconds(sim.cycles, arch)
    let c = sim.total
    let achievedTOPS = us > 0 ? 2 * Double(c.macs) / (us * 1e-6) / 1e12 : 0
    let intensity = c.offChipBytes > 0 ? Double(c.macs) / Double(c.offChipBytes) : .infinity
    var s = ""
    let perBatch = batch > 1 ? " per batch of \(batch)" : ""
    s += String(format: "  latency      %@ cycles = %.1f µs%@ (%.1f inferences/s)\n", groupedDigits(Int(sim.cycles.count)), us, perBatch, us > 0 ? Double(batch) * 1e6 / us : 0)
    s += String(format: "  throughput   %.3f TOPS achieved of %.2f peak; MAC utilization %.1f%%\n", achievedTOPS, arch.peakTOPS, sim.utilization * 100)
    s += "  MACs         \(groupedDigits(Int(c.macs)))\n"
    s += "  DRAM         \(groupedDigits(Int(c.dramBytes))) B: weights \(groupedDigits(Int(c[.dramWeightBytes]))), inputs \(groupedDigits(Int(c[.dramInputActivationBytes]))), outputs \(groupedDigits(Int(c[.dramOutputActivationBytes]))), partial sums \(groupedDigits(Int(c[.dramPartialSumBytes]))), host \(groupedDigits(Int(c[.dramHostReadBytes] + c[.dramHostWriteBytes])))\n"
    if c[.hostLinkBytes] > 0 {
      s += "  host link    \(groupedDigits(Int(c[.hostLinkBytes]))) B: network inputs and outputs (memory.io_over_host_link)\n"
    }
    s += "  SRAM         \(groupedDigits(Int(Self.sramBytes(c)))) B: UB \(groupedDigits(Int(c[.ubReadBytes] + c[.ubWriteBytes]))), arena \(groupedDigits(Int(c[.arenaReadBytes] + c[.arenaWriteBytes]))), weights \(groupedDigits(Int(c[.weightsReadBytes] + c[.weightsWriteBytes]))), acc \(groupedDigits(Int(c[.accReadBytes] + c[.accWriteBytes])))\n"
    s += String(format: "  energy       %.2f µJ:", sim.energy.total.value / 1e6)
    for comp in EnergyComponent.allCases where sim.energy[comp].value > 0 {
      s += String(format: " %@ %.2f", comp.rawValue.replacingOccurrences(of: "_pj", with: ""), sim.energy[comp].value / 1e6)
    }
    s += "\n"
    let ridge = arch.ridgePointMACsPerDRAMByte
    s += String(format: "  roofline     %.1f MACs/off-chip byte vs ridge %.1f: %@\n", intensity, ridge, intensity < ridge ? "memory-bound" : "compute-bound")
    let stalls = CycleClass.allCases.map { (CounterKey.cycles(of: $0), $0) }.filter { c[$0.0] > 0 }
    s += "  array cycles " + stalls.map { String(format: "%@ %.1f%%", $0.1.rawValue, 100 * Double(c[$0.0]) / Double(max(c.cycles, 1))) }.joined(separator: ", ") + "\n"
    return s
  }

  /// The machine-readable report (`--json FILE`).
  public func json() -> JSONValue {
    func total(_ sim: SimulationResult, _ arch: ArchSpec) -> JSONValue {
      var fields: [(key: String, value: JSONValue)] = [
        ("cycles", .int(sim.cycles.count)),
        ("latency_us", .double(Self.microseconds(sim.cycles, arch))),
        ("batch", .int(Int64(batch))),
        ("inferences_per_s", .double(Self.microseconds(sim.cycles, arch) > 0 ? Double(batch) * 1e6 / Self.microseconds(sim.cycles, arch) : 0)),
        ("energy_pj", .double(sim.energy.total.value)),
        ("dram_bytes", .int(sim.total.dramBytes)),
        ("sram_bytes", .int(Self.sramBytes(sim.total))),
        ("utilization", .double(sim.utilization)),
        ("mapping_efficiency", .double(sim.mappingEfficiency)),
        ("macs", .int(sim.total.macs)),
      ]
      fields.append(("counters", sim.total.json))
      fields.append(("energy", sim.energy.json))
      return .object(fields)
    }
    let arch = result.arch
    var top: [(key: String, value: JSONValue)] = [
      ("model", .string(result.model.source)),
      ("arch", .string(arch.name)),
      ("total", total(result.simulation, arch)),
      (
        "layers",
        .array(
          layerRows.map { r in
            .object([
              ("name", .string(r.name)), ("op", .string(r.op)), ("placement", .string(r.placement)),
              ("cycles", .int(r.counters.cycles)), ("macs", .int(r.counters.macs)),
              ("utilization", .double(r.counters.utilization(arrayRows: arch.array.rows, arrayColumns: arch.array.cols))),
              ("dram_bytes", .int(r.counters.dramBytes)), ("energy_pj", .double(r.energyPJ)),
              ("counters", r.counters.json),
            ])
          })
      ),
      ("mapping", .object([
        ("operators_on_array", .int(Int64(result.compiled.report.totals.operatorsOnArray))),
        ("operators_on_vector_unit", .int(Int64(result.compiled.report.totals.operatorsOnVectorUnit))),
        ("operators_on_host", .int(Int64(result.compiled.report.totals.operatorsOnHost))),
        ("instructions", .int(Int64(result.compiled.report.totals.instructions))),
        ("parameter_bytes_cached", .int(Int64(result.compiled.report.totals.parameterBytesCached))),
        ("parameter_bytes_streamed", .int(Int64(result.compiled.report.totals.parameterBytesStreamed))),
      ])),
    ]
    if let b = result.baseline {
      top.append(("baseline", .object([("arch", .string(b.arch.name)), ("total", total(b.simulation, b.arch))])))
      let s = result.simulation
      func r(_ a: Double, _ b: Double) -> JSONValue { a > 0 ? .double(b / a) : .null }
      top.append(
        ("ratios", .object([
          ("latency", r(Double(s.cycles.count), Double(b.simulation.cycles.count))),
          ("dram_bytes", r(Double(s.total.dramBytes), Double(b.simulation.total.dramBytes))),
          ("off_chip_bytes", r(Double(s.total.offChipBytes), Double(b.simulation.total.offChipBytes))),
          ("sram_bytes", r(Double(Self.sramBytes(s.total)), Double(Self.sramBytes(b.simulation.total)))),
          ("energy", r(s.energy.total.value, b.simulation.energy.total.value)),
        ])))
    }
    return .object(top)
  }
}
