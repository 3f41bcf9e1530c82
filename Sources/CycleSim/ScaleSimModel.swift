import Architecture
import Support

/// SCALE-Sim v2's closed-form compute model of one layer, reproduced exactly: its cycle count
/// without memory stalls, overall utilization, mapping efficiency and compute utilization.
///
/// Source: scalesim-project/scale-sim-v2, `scalesim/compute/systolic_compute_{ws,os,is}.py`
/// (operand matrices and folds), `scalesim/compute/operand_matrix.py` (the ifmap operand is
/// P × K: one row per output pixel, one column per window element; the filter operand K × N),
/// `scalesim/topology_utils.py` (P, K, N), `scalesim/single_layer_sim.py` (utilization) and
/// `scalesim/memory/double_buffered_scratchpad_mem.py` (total cycles = the cycle of the last
/// output-demand row, hence the −1). With an R × C array:
///
/// | dataflow | Sr (on rows) | Sc (on columns) | T (in time) | rows of demand per fold |
/// |---|---|---|---|---|
/// | ws | K | N | P | R (weight fill) + T + R + C − 2 = 2R + C + T − 2 |
/// | os | P | N | K | T + R + C − 2 |
/// | is | K | P | N | 2R + C + T − 2 |
///
/// folds `Fr = ⌈Sr / R⌉`, `Fc = ⌈Sc / C⌉`; cycles = `Fr · Fc · rows per fold − 1`; overall
/// utilization = `P·K·N / (cycles · R · C)`; mapping efficiency = the mean over folds of
/// `rows used · columns used / (R · C)` = `Sr · Sc / (Fr · Fc · R · C)`; compute utilization = the
/// mean over folds of `rows used · columns used · T / (R · C · cycles of the fold)`, where
/// SCALE-Sim's "cycles of the fold" is the fold's unskewed demand matrix height plus its width
/// minus one (`2R + 2C + T − 3` for ws and is, `T + R + C − 2` for os). The fold loops run in
/// SCALE-Sim's order (column folds outer) and add left to right, as Python's `sum` did before
/// 3.12 (3.12's compensated float sum can differ in the last bit); cycles, MACs and overall
/// utilization are exact integers and one division.
public enum ScaleSimModel {
  /// Layers with at most this many folds sum mapping efficiency and compute utilization fold by
  /// fold, in SCALE-Sim's order (bit-exact with it); larger ones use the closed form over the
  /// (at most four) distinct fold sizes, which can differ from SCALE-Sim in the last bits.
  static let foldsSummedOneByOne = 1 << 20

  /// SCALE-Sim's figures for one layer.
  public struct LayerResult: Sendable, Hashable {
    /// Sr: the operand dimension mapped to array rows.
    public var spatialRows: Int
    /// Sc: the operand dimension mapped to array columns.
    public var spatialColumns: Int
    /// T: the dimension streamed in time.
    public var temporal: Int
    /// Fr = ⌈Sr / R⌉.
    public var rowFolds: Int
    /// Fc = ⌈Sc / C⌉.
    public var columnFolds: Int
    /// Compute cycles without stalls: `Fr · Fc · rows per fold − 1`.
    public var cycles: Int64
    /// MACs: P · K · N.
    public var macs: Int64
    /// `macs / (cycles · R · C)`, a fraction (SCALE-Sim reports percent: `utilizationPercent`).
    public var utilization: Double
    /// SCALE-Sim's `overall_util`: `macs · 100 / (cycles · R · C)`, computed as it does.
    public var utilizationPercent: Double
    /// The mean over folds of used PEs / all PEs, a fraction (`mapping_eff / 100`).
    public var mappingEfficiency: Double
    /// The mean over folds of `used PEs · T / (R · C · fold cycles)`, a fraction
    /// (`compute_util / 100`).
    public var computeUtilization: Double
  }

  /// SCALE-Sim's compute model of `layer` on `arch`'s array and dataflow (`arch.array.rows` =
  /// ArrayHeight, `arch.array.cols` = ArrayWidth, `arch.dataflow`).
  public static func computeCycles(layer: ScaleSimLayer, arch: ArchSpec) -> LayerResult {
    computeCycles(layer: layer, rows: arch.array.rows, columns: arch.array.cols, dataflow: arch.dataflow)
  }

  /// SCALE-Sim's compute model of `layer` on an R × C array with `dataflow`.
  public static func computeCycles(layer: ScaleSimLayer, rows r: Int, columns c: Int, dataflow: Dataflow)
    -> LayerResult
  {
    let p = layer.pixels, k = layer.windowSize, n = layer.numFilters
    // The mapping is the only thing that differs between dataflows; folds are shared.
    let (sr, sc, t): (Int, Int, Int) =
      switch dataflow {
      case .weightStationary: (k, n, p)
      case .outputStationary: (p, n, k)
      case .inputStationary: (k, p, n)
      }
    let rowsPerFold: Int64
    let foldCycles: Int  // SCALE-Sim's cycles_this_fold, for compute utilization
    switch dataflow {
    case .weightStationary, .inputStationary:
      rowsPerFold = Int64(2 * r + c + t - 2)
      foldCycles = 2 * r + 2 * c + t - 3
    case .outputStationary:
      rowsPerFold = Int64(t + r + c - 2)
      foldCycles = t + r + c - 2
    }
    let fr = (sr + r - 1) / r
    let fc = (sc + c - 1) / c
    // Saturating: a layer too large for `Int64` (the topology readers refuse those) reports
    // `Int64.max` rather than trapping.
    let cycles = [Int64(fr), Int64(fc), rowsPerFold].saturatingProduct() - 1
    let macs = [Int64(p), Int64(k), Int64(n)].saturatingProduct()
    let peCount = Double(r * c)
    var mapping = 0.0
    var compute = 0.0
    // One fold's contribution; products in Double so that no size can overflow (exact, hence
    // identical to the integer products, below 2⁵³).
    func add(rowsUsed: Int, colsUsed: Int, times count: Double) {
      let used = Double(rowsUsed) * Double(colsUsed)
      mapping += count * (used / peCount)
      compute += count * (used * Double(t) / (Double(r) * Double(c) * Double(foldCycles)))
    }
    let (foldCount, foldsOverflow) = fr.multipliedReportingOverflow(by: fc)
    if !foldsOverflow && foldCount <= ScaleSimModel.foldsSummedOneByOne {
      for fcIndex in 0..<fc {
        for frIndex in 0..<fr {
          add(rowsUsed: min(r, sr - frIndex * r), colsUsed: min(c, sc - fcIndex * c), times: 1)
        }
      }
    } else {
      // Too many folds to visit: at most two row sizes (full, last) × two column sizes.
      let rowClasses = [(r, Double(fr - 1)), (sr - (fr - 1) * r, 1.0)]
      let columnClasses = [(c, Double(fc - 1)), (sc - (fc - 1) * c, 1.0)]
      for (colsUsed, columnCount) in columnClasses {
        for (rowsUsed, rowCount) in rowClasses { add(rowsUsed: rowsUsed, colsUsed: colsUsed, times: columnCount * rowCount) }
      }
    }
    let folds = Double(fr) * Double(fc)
    let (macs100, macsOverflow) = macs.multipliedReportingOverflow(by: 100)
    let slots = [cycles, Int64(r), Int64(c)].saturatingProduct()
    let utilizationPercent =
      macsOverflow || slots == Int64.max
      ? Double(macs) * 100 / (Double(cycles) * Double(r) * Double(c)) : Double(macs100) / Double(slots)
    return LayerResult(
      spatialRows: sr, spatialColumns: sc, temporal: t, rowFolds: fr, columnFolds: fc, cycles: cycles, macs: macs,
      utilization: Double(macs) / (Double(cycles) * peCount),
      utilizationPercent: utilizationPercent,
      mappingEfficiency: mapping / folds, computeUtilization: compute / folds)
  }
}

