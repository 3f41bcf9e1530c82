import Architecture
import Support
import Testing

@testable import CycleSim

@Suite("SCALE-Sim compatibility")
struct ScaleSimTests {
  static let convCSV = """
    Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
    Conv1, 31, 31, 7, 7, 3, 16, 2,
    c3x3, 18, 18, 3, 3, 16, 16, 1,
    c1x1, 12, 12, 1, 1, 32, 24, 1,
    odd, 13, 11, 3, 2, 5, 7, 2,
    tiny, 4, 4, 2, 2, 1, 3, 1,
    DPdw, 10, 10, 3, 3, 2, 1, 1,

    """

  static let gemmCSV = """
    Layer, M, N, K,
    g1, 40, 20, 30,
    g2, 1, 100, 200,
    g3, 33, 17, 9,

    """

  /// SCALE-Sim's own COMPUTE_REPORT.csv for the two topologies above: scalesim 3.0.0 (PyPI),
  /// Python 3.11, numpy 1.26, SRAMs and bandwidth large enough for no stalls. Columns: dataflow,
  /// ArrayHeight, ArrayWidth, topology, layer id, "Total Cycles" (v3 also reports one more,
  /// "incl. prefetch"), "Overall Util %", "Mapping Efficiency %", "Compute Util %".
  static let reference: [(String, Int, Int, String, Int, Int64, Double, Double, Double)] = [
    ("ws", 8, 8, "conv", 0, 7257, 85.58288548987184, 96.71052631578947, 82.54585326953745),
    ("ws", 8, 8, "conv", 1, 10007, 92.09553312681123, 100.0, 89.82456140350872),
    ("ws", 8, 8, "conv", 2, 1991, 86.79055750878955, 100.0, 83.23699421965321),
    ("ws", 8, 8, "conv", 3, 231, 51.13636363636363, 82.03125, 45.43269230769231),
    ("ws", 8, 8, "conv", 4, 30, 5.625, 18.75, 4.440789473684211),
    ("ws", 8, 8, "conv", 5, 171, 5.2631578947368425, 7.03125, 4.838709677419355),
    ("ws", 8, 8, "conv", 6, 171, 5.2631578947368425, 7.03125, 4.838709677419355),
    ("ws", 8, 8, "gemm", 0, 743, 50.47106325706595, 78.125, 45.28985507246377),
    ("ws", 8, 8, "gemm", 1, 7474, 4.181161359379181, 96.15384615384616, 3.205128205128204),
    ("ws", 8, 8, "gemm", 2, 329, 23.978913373860184, 39.84375, 21.20715725806451),
    ("os", 8, 8, "conv", 0, 7083, 87.6853028377806, 96.02272727272727, 87.67292490118578),
    ("os", 8, 8, "conv", 1, 10111, 91.14825437642172, 100.0, 91.13924050632905),
    ("os", 8, 8, "conv", 2, 2483, 69.59323399113975, 100.0, 69.56521739130436),
    ("os", 8, 8, "conv", 3, 219, 53.93835616438356, 78.75, 53.69318181818181),
    ("os", 8, 8, "conv", 4, 35, 4.821428571428571, 21.09375, 4.6875),
    ("os", 8, 8, "conv", 5, 183, 4.918032786885246, 12.5, 4.891304347826087),
    ("os", 8, 8, "conv", 6, 183, 4.918032786885246, 12.5, 4.891304347826087),
    ("os", 8, 8, "gemm", 0, 659, 56.904400606980275, 83.33333333333334, 56.81818181818182),
    ("os", 8, 8, "gemm", 1, 2781, 11.236965120460265, 12.01923076923077, 11.23292595255212),
    ("os", 8, 8, "gemm", 2, 344, 22.93332122093023, 58.4375, 22.866847826086953),
    ("is", 8, 8, "conv", 0, 15883, 39.103129131776114, 92.86408492822966, 33.01834130781494),
    ("is", 8, 8, "conv", 1, 21887, 42.10718691460684, 100.0, 35.55555555555544),
    ("is", 8, 8, "conv", 2, 3311, 52.189670794321955, 100.0, 45.28301886792461),
    ("is", 8, 8, "conv", 3, 579, 20.401554404145077, 84.375, 16.406250000000007),
    ("is", 8, 8, "conv", 4, 49, 3.443877551020408, 28.125, 2.63671875),
    ("is", 8, 8, "conv", 5, 367, 2.4523160762942777, 56.25, 1.875),
    ("is", 8, 8, "conv", 6, 367, 2.4523160762942777, 56.25, 1.875),
    ("is", 8, 8, "gemm", 0, 839, 44.69606674612634, 93.75, 38.26530612244897),
    ("is", 8, 8, "gemm", 1, 3049, 10.249262053132174, 12.5, 9.689922480620156),
    ("is", 8, 8, "gemm", 2, 389, 20.280366323907455, 46.40625, 17.150135869565215),
    ("ws", 16, 4, "conv", 0, 8119, 76.4964897154822, 91.875, 75.37317961165046),
    ("ws", 16, 4, "conv", 1, 10439, 88.28431842130472, 100.0, 87.37201365187708),
    ("ws", 16, 4, "conv", 2, 2135, 80.93676814988291, 100.0, 79.55801104972375),
    ("ws", 16, 4, "conv", 3, 279, 42.33870967741935, 82.03125, 40.45376712328766),
    ("ws", 16, 4, "conv", 4, 42, 4.017857142857143, 18.75, 3.6684782608695654),
    ("ws", 16, 4, "conv", 5, 97, 9.278350515463918, 14.0625, 8.91089108910891),
    ("ws", 16, 4, "conv", 6, 97, 9.278350515463918, 14.0625, 8.91089108910891),
    ("ws", 16, 4, "gemm", 0, 739, 50.74424898511502, 93.75, 48.70129870129869),
    ("ws", 16, 4, "gemm", 1, 11374, 2.7474942852118867, 96.15384615384616, 2.53036437246963),
    ("ws", 16, 4, "gemm", 2, 334, 23.61994760479042, 47.8125, 22.540178571428573),
    ("os", 16, 4, "conv", 0, 7259, 85.55930568948891, 96.02272727272727, 85.54752066115701),
    ("os", 16, 4, "conv", 1, 10367, 88.89746310408026, 100.0, 88.88888888888876),
    ("os", 16, 4, "conv", 2, 2699, 64.02371248610596, 100.0, 64.00000000000003),
    ("os", 16, 4, "conv", 3, 287, 41.15853658536585, 65.625, 41.015625),
    ("os", 16, 4, "conv", 4, 21, 8.035714285714286, 42.1875, 7.670454545454546),
    ("os", 16, 4, "conv", 5, 107, 8.411214953271028, 25.0, 8.333333333333332),
    ("os", 16, 4, "conv", 6, 107, 8.411214953271028, 25.0, 8.333333333333332),
    ("os", 16, 4, "gemm", 0, 719, 52.1557719054242, 83.33333333333334, 52.083333333333336),
    ("os", 16, 4, "gemm", 1, 5449, 5.7349972472013215, 6.25, 5.733944954128443),
    ("os", 16, 4, "gemm", 2, 404, 19.527382425742573, 58.4375, 19.47916666666667),
    ("is", 16, 4, "conv", 0, 21499, 28.88855295595144, 90.27252906976744, 27.2520842474772),
    ("is", 16, 4, "conv", 1, 28799, 32.0011111496927, 100.0, 30.188679245282923),
    ("is", 16, 4, "conv", 2, 4175, 41.38922155688623, 100.0, 39.344262295081926),
    ("is", 16, 4, "conv", 3, 737, 16.027815468113975, 93.75, 14.91477272727273),
    ("is", 16, 4, "conv", 4, 110, 1.5340909090909092, 18.75, 1.4062499999999998),
    ("is", 16, 4, "conv", 5, 559, 1.6100178890876566, 56.25, 1.4802631578947372),
    ("is", 16, 4, "conv", 6, 559, 1.6100178890876566, 56.25, 1.4802631578947372),
    ("is", 16, 4, "gemm", 0, 1079, 34.75440222428174, 93.75, 32.89473684210527),
    ("is", 16, 4, "gemm", 1, 1741, 17.94945433658817, 24.03846153846154, 17.546322290847844),
    ("is", 16, 4, "gemm", 2, 458, 17.22502729257642, 51.5625, 16.232638888888886),
  ]

  @Test(
    "SCALE-Sim's own reports, reproduced exactly: cycles, overall utilization, mapping efficiency, compute utilization")
  func matchesScaleSimReports() throws {
    let conv = try ScaleSimTopology.parseConvolution(Self.convCSV, file: "conv.csv")
    let gemm = try ScaleSimTopology.parseGEMM(Self.gemmCSV, file: "gemm.csv")
    #expect(conv.count == 7 && gemm.count == 3)
    for (df, rows, cols, kind, id, cycles, util, mapping, compute) in Self.reference {
      let layer = kind == "conv" ? conv[id] : gemm[id]
      let dataflow = try #require(Dataflow(rawValue: df))
      let r = ScaleSimModel.computeCycles(layer: layer, rows: rows, columns: cols, dataflow: dataflow)
      let label = "\(df) \(rows)×\(cols) \(kind) layer \(id) \(layer.name)"
      #expect(r.cycles == cycles, "\(label)")
      #expect(r.utilizationPercent == util, "\(label)")
      #expect(r.mappingEfficiency * 100 == mapping, "\(label)")
      #expect(r.computeUtilization * 100 == compute, "\(label)")
    }
  }

  @Test(
    "closed forms: folds, Fr·Fc·(2R + C + T − 2) − 1 (ws, is), Fr·Fc·(T + R + C − 2) − 1 (os), utilization, mapping efficiency"
  )
  func closedForms() {
    var layers: [ScaleSimLayer] = [ScaleSimLayer(gemm: "fc", m: 1, n: 1000, k: 2048)]
    for (h, f, c, n, s) in [
      (56, 3, 64, 64, 1), (224, 7, 3, 64, 2), (7, 1, 512, 2048, 1), (9, 9, 1, 1, 3), (5, 2, 7, 3, 2),
    ] {
      layers.append(
        ScaleSimLayer(
          name: "l", ifmapHeight: h, ifmapWidth: h + 1, filterHeight: f, filterWidth: f, channels: c, numFilters: n,
          strideHeight: s))
    }
    for layer in layers {
      for (rows, cols) in [(8, 8), (32, 32), (128, 128), (16, 4), (3, 5)] {
        for dataflow in Dataflow.allCases {
          let p = layer.pixels, k = layer.windowSize, n = layer.numFilters
          let (sr, sc, t) =
            switch dataflow {
            case .weightStationary: (k, n, p)
            case .outputStationary: (p, n, k)
            case .inputStationary: (k, p, n)
            }
          let fr = (sr + rows - 1) / rows, fc = (sc + cols - 1) / cols
          let perFold = dataflow == .outputStationary ? t + rows + cols - 2 : 2 * rows + cols + t - 2
          let cycles = Int64(fr * fc * perFold - 1)
          let r = ScaleSimModel.computeCycles(layer: layer, rows: rows, columns: cols, dataflow: dataflow)
          #expect(r.rowFolds == fr && r.columnFolds == fc)
          #expect(r.cycles == cycles, "\(dataflow) \(rows)×\(cols)")
          #expect(r.macs == Int64(p) * Int64(k) * Int64(n))
          #expect(abs(r.utilization - Double(p * k * n) / (Double(cycles) * Double(rows * cols))) < 1e-12)
          let mapping = Double(sr * sc) / Double(fr * fc * rows * cols)
          #expect(abs(r.mappingEfficiency - mapping) < 1e-12)
          #expect(r.utilization <= 1 && r.mappingEfficiency <= 1)
        }
      }
    }
  }

  @Test("output size: ⌈(H − R + s) / s⌉ on the padded input")
  func outputSize() {
    // ResNet-50's conv1 padded by 3 on each side: 230 × 230. SCALE-Sim rounds up, so it counts
    // 113 output rows where the convolution has ⌊(230 − 7) / 2⌋ + 1 = 112 (docs/validation.md).
    let l = ScaleSimLayer(
      name: "x", ifmapHeight: 230, ifmapWidth: 229, filterHeight: 7, filterWidth: 7, channels: 3, numFilters: 64,
      strideHeight: 2)
    #expect(l.ofmapHeight == 113 && l.ofmapWidth == 112)
    #expect(l.windowSize == 147 && l.pixels == 113 * 112)
    let g = ScaleSimLayer(gemm: "g", m: 40, n: 20, k: 30)
    #expect(g.pixels == 40 && g.windowSize == 30 && g.numFilters == 20)
  }

  @Test(
    "topology CSV: header skipped, trailing comma optional, ninth column is the column stride, DP layers split per channel"
  )
  func topologyParsing() throws {
    let text =
      "Layer name, H, W, R, S, C, N, Stride,\nA, 10, 12, 3, 3, 4, 8, 1,\n\nB,10,12,3,3,4,8,2,1\nDPx, 6, 6, 3, 3, 3, 1, 1,\n"
    let layers = try ScaleSimTopology.parseConvolution(text, file: "t.csv")
    #expect(layers.map(\.name) == ["A", "B", "DPxChannel_0", "DPxChannel_1", "DPxChannel_2"])
    #expect(layers[1].strideHeight == 2 && layers[1].strideWidth == 1)
    #expect(layers[0].strideWidth == 1 && layers[0].ifmapWidth == 12)
    #expect(layers[2...].allSatisfy { $0.channels == 1 && $0.numFilters == 1 })
  }

  @Test("topology errors name file:line:column and what was expected")
  func topologyErrors() {
    let header = "Layer name, H, W, R, S, C, N, Stride,\n"
    let cases: [(String, Bool, String)] = [
      (
        header + "A, 10, x1, 3, 3, 4, 8, 1,\n", false,
        "t.csv:2:8: expected a positive integer for 'IFMAP Width', found 'x1'"
      ),
      (
        header + "A, 10, 10, 3, 3, 0, 8, 1,\n", false,
        "t.csv:2:18: expected a positive integer for 'Channels', found '0'"
      ),
      (
        header + "A, 10, 10, 3,\n", false,
        "t.csv:2:1: expected 8 or 9 fields (name, IFMAP height and width, filter height and width, channels, filters, strides), found 4"
      ),
      (header + "A, 2, 10, 3, 3, 4, 8, 1,\n", false, "t.csv:2:11: filter height 3 is larger than the IFMAP height 2"),
      ("Layer, M, N, K,\ng, 4, 5,\n", true, "g.csv:2:1: expected 4 fields (layer, M, N, K), found 3"),
      ("Layer, M, N, K,\ng, 4, -5, 6,\n", true, "g.csv:2:7: expected a positive integer for 'N', found '-5'"),
    ]
    for (text, isGEMM, message) in cases {
      let error = #expect(throws: SimulatorError.self) {
        if isGEMM {
          _ = try ScaleSimTopology.parseGEMM(text, file: "g.csv")
        } else {
          _ = try ScaleSimTopology.parseConvolution(text, file: "t.csv")
        }
      }
      #expect(error?.description == message)
      #expect(error?.kind == .parse)
    }
  }

  /// SCALE-Sim v2's `configs/google.cfg`.
  static let googleCfg = """
    [general]
    run_name = GoogleTPU_v1_ws

    [architecture_presets]
    ArrayHeight:    256
    ArrayWidth:     256
    IfmapSramSzkB:    6144
    FilterSramSzkB:   6144
    OfmapSramSzkB:    2048
    IfmapOffset:    0
    FilterOffset:   10000000
    OfmapOffset:    20000000
    Dataflow : ws
    Bandwidth : 10
    MemoryBanks: 1

    [run_presets]
    InterfaceBandwidth: CALC
    SRAM_row_size: 2
    SRAM_bank_size: 5
    DRAM_row_size: 2
    DRAM_bank_size: 5
    """

  @Test("a SCALE-Sim configuration maps to an ArchSpec")
  func configToArch() throws {
    let config = try ScaleSimConfig(parsing: Self.googleCfg, file: "google.cfg")
    #expect(config.runName == "GoogleTPU_v1_ws")
    #expect(config.arrayHeight == 256 && config.arrayWidth == 256)
    #expect(config.ifmapSRAMKiB == 6144 && config.filterSRAMKiB == 6144 && config.ofmapSRAMKiB == 2048)
    #expect(config.dataflow == .weightStationary && config.interfaceBandwidth == .calculated)
    #expect(config.bandwidthWordsPerCycle == [10])
    let arch = try config.archSpec(file: "google.cfg")
    #expect(arch.name == "GoogleTPU_v1_ws")
    #expect(arch.array.rows == 256 && arch.array.cols == 256 && arch.dataflow == .weightStationary)
    #expect(arch.ub.capacity == .kibibytes(6144) && arch.weights.capacity == .kibibytes(6144))
    #expect(arch.acc.capacity == .kibibytes(2048))
    #expect(arch.dram.bandwidth == ArchSpec.defaults.dram.bandwidth, "CALC keeps the base bandwidth")
    #expect(arch.validate().isEmpty)
    #expect(arch.origin(of: "array.rows") == .file("google.cfg"))

    // USER bandwidth: the smallest entry, in bytes per cycle at the base clock.
    let user = Self.googleCfg.replacingOccurrences(of: "InterfaceBandwidth: CALC", with: "InterfaceBandwidth: USER")
      .replacingOccurrences(of: "Bandwidth : 10", with: "Bandwidth : 20, 10,30")
    let userArch = try ScaleSimConfig(parsing: user, file: "u.cfg").archSpec()
    #expect(abs(userArch.dramBytesPerCycle - 10) < 1e-9)

    // The SCALE-Sim model on the mapped architecture is the same as on the raw numbers.
    let layer = ScaleSimLayer(gemm: "g", m: 300, n: 500, k: 700)
    #expect(
      ScaleSimModel.computeCycles(layer: layer, arch: arch)
        == ScaleSimModel.computeCycles(layer: layer, rows: 256, columns: 256, dataflow: .weightStationary))
  }

  @Test("INI syntax: ':' or '=', case-insensitive keys, comments, continuation lines, CRLF")
  func iniSyntax() throws {
    let text = """
      ; a comment\r
      [general]\r
      # another
      RUN_NAME = x
      [architecture_presets]
      arrayheight = 4
      ArrayWidth: 8
      IfmapSramSzkB=1
      FilterSramSzkB : 1
      OfmapSramSzkB:1
      Dataflow: os
      Offsets: 1,
        2
      [network_presets]
      TopologyCsvLoc: "./topologies/mlperf/test.csv"
      """
    let c = try ScaleSimConfig(parsing: text, file: "x.cfg")
    #expect(c.runName == "x" && c.arrayHeight == 4 && c.arrayWidth == 8 && c.dataflow == .outputStationary)
    #expect(c.topologyPath == "./topologies/mlperf/test.csv")
  }

  @Test("configuration errors name file:line:column")
  func configErrors() {
    let base = Self.googleCfg
    let cases: [(String, String)] = [
      (
        base.replacingOccurrences(of: "Dataflow : ws", with: "Dataflow : xs"),
        "g.cfg:13:12: expected 'os', 'ws' or 'is' for 'Dataflow', found 'xs'"
      ),
      (
        base.replacingOccurrences(of: "ArrayWidth:     256", with: "ArrayWidth:     25x"),
        "g.cfg:6:17: expected a positive integer for 'ArrayWidth', found '25x'"
      ),
      (
        base.replacingOccurrences(of: "OfmapSramSzkB:    2048\n", with: ""),
        "g.cfg: missing 'OfmapSramSzkB' in section [architecture_presets]"
      ),
      (
        base.replacingOccurrences(of: "[run_presets]", with: "[run_presets"),
        "g.cfg:17:1: expected ']' to close the section header"
      ),
      (
        base.replacingOccurrences(of: "MemoryBanks: 1", with: "MemoryBanks 1"),
        "g.cfg:15:1: expected 'key = value' or a '[section]' header, found 'MemoryBanks 1'"
      ),
      ("run_name = x\n", "g.cfg:1:1: 'run_name = x' comes before any [section] header"),
      (
        base.replacingOccurrences(of: "InterfaceBandwidth: CALC", with: "InterfaceBandwidth: AUTO"),
        "g.cfg:18:21: expected 'USER' or 'CALC' for 'InterfaceBandwidth', found 'AUTO'"
      ),
    ]
    for (text, message) in cases {
      let error = #expect(throws: SimulatorError.self) { _ = try ScaleSimConfig(parsing: text, file: "g.cfg") }
      #expect(error?.description == message)
    }
    // A configuration whose architecture is invalid (the filter SRAM cannot hold one weight tile).
    let small = base.replacingOccurrences(of: "FilterSramSzkB:   6144", with: "FilterSramSzkB:   1")
    let error = #expect(throws: SimulatorError.self) {
      _ = try ScaleSimConfig(parsing: small, file: "g.cfg").archSpec(file: "g.cfg")
    }
    #expect(error?.kind == .archMismatch)
    #expect(error?.description.hasPrefix("g.cfg: the configuration gives an invalid architecture: ") == true)
  }
}
