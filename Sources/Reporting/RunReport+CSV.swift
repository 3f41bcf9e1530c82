import CycleSim
import Foundation

extension RunReport {
  /// One row per simulated layer, pandas-friendly: headers carry units (`cycles`, `_bytes`,
  /// `_pj`), values are plain numbers, text fields are quoted when needed. Every counter of
  /// `docs/cost-model.md` follows the summary columns.
  public func csv() -> String {
    let arch = result.arch
    let counterKeys = CounterKey.allCases.filter { $0 != .cycles && $0 != .macs }
    var lines = [
      (["layer", "name", "op", "placement", "cycles", "macs", "utilization", "dram_bytes", "energy_pj"]
        + counterKeys.map(\.rawValue)).joined(separator: ",")
    ]
    func quoted(_ s: String) -> String {
      s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
    for (i, r) in layerRows.enumerated() {
      let util = r.counters.utilization(arrayRows: arch.array.rows, arrayColumns: arch.array.cols)
      var cells = [
        String(i), quoted(r.name), r.op, r.placement, String(r.counters.cycles), String(r.counters.macs),
        String(util), String(r.counters.dramBytes), String(r.energyPJ),
      ]
      cells += counterKeys.map { String(r.counters[$0]) }
      lines.append(cells.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
