import Foundation
import Support

/// One layer of a SCALE-Sim topology: a convolution (or a GEMM in convolution form) on an input
/// the user has already padded (SCALE-Sim has no padding column).
public struct ScaleSimLayer: Sendable, Hashable {
  /// `Layer name`.
  public var name: String
  /// `IFMAP Height` (padded).
  public var ifmapHeight: Int
  /// `IFMAP Width` (padded).
  public var ifmapWidth: Int
  /// `Filter Height`.
  public var filterHeight: Int
  /// `Filter Width`.
  public var filterWidth: Int
  /// `Channels`.
  public var channels: Int
  /// `Num Filter`.
  public var numFilters: Int
  /// `Strides` (rows).
  public var strideHeight: Int
  /// Column stride (a ninth column, or the same as `strideHeight`).
  public var strideWidth: Int

  /// Creates a convolution layer.
  public init(
    name: String, ifmapHeight: Int, ifmapWidth: Int, filterHeight: Int, filterWidth: Int, channels: Int,
    numFilters: Int, strideHeight: Int, strideWidth: Int? = nil
  ) {
    self.name = name
    self.ifmapHeight = ifmapHeight
    self.ifmapWidth = ifmapWidth
    self.filterHeight = filterHeight
    self.filterWidth = filterWidth
    self.channels = channels
    self.numFilters = numFilters
    self.strideHeight = strideHeight
    self.strideWidth = strideWidth ?? strideHeight
  }

  /// A GEMM `M × K` times `K × N`, as SCALE-Sim's `load_arrays_gemm` rewrites it: an `M × K`
  /// ifmap, a `1 × K` filter, one channel, N filters, stride 1 (so P = M, K = K, N = N).
  public init(gemm name: String, m: Int, n: Int, k: Int) {
    self.init(
      name: name, ifmapHeight: m, ifmapWidth: k, filterHeight: 1, filterWidth: k, channels: 1, numFilters: n,
      strideHeight: 1)
  }

  /// Output rows: `⌈(H − R + s) / s⌉` (SCALE-Sim's `topo_calc_hyperparams`).
  public var ofmapHeight: Int { (ifmapHeight - filterHeight + 2 * strideHeight - 1) / strideHeight }
  /// Output columns: `⌈(W − S + s) / s⌉`.
  public var ofmapWidth: Int { (ifmapWidth - filterWidth + 2 * strideWidth - 1) / strideWidth }
  /// P: output pixels per filter.
  public var pixels: Int { ofmapHeight * ofmapWidth }
  /// K: the convolution window, `R × S × C`.
  public var windowSize: Int { filterHeight * filterWidth * channels }
  /// MACs: `P × K × N`.
  public var macs: Int64 { Int64(pixels) * Int64(windowSize) * Int64(numFilters) }

  /// Why this layer is too large to model, or `nil`: a P, K, N or MAC count above
  /// `ScaleSimTopology.maximumMACs` (checked with overflow detection, so any field values are safe).
  var sizeProblem: String? {
    let limit = ScaleSimTopology.maximumMACs
    func product(_ values: [Int]) -> Int? {
      var result = 1
      for v in values {
        let (p, overflow) = result.multipliedReportingOverflow(by: v)
        if overflow || p > limit { return nil }
        result = p
      }
      return result
    }
    guard let p = product([ofmapHeight, ofmapWidth]) else {
      return "\(ofmapHeight) × \(ofmapWidth) output pixels exceed \(limit)"
    }
    guard let k = product([filterHeight, filterWidth, channels]) else {
      return "a \(filterHeight) × \(filterWidth) × \(channels) window exceeds \(limit) elements"
    }
    guard product([p, k, numFilters]) != nil else {
      return "P × K × N = \(p) × \(k) × \(numFilters) MACs exceed \(limit)"
    }
    return nil
  }
}

/// Readers for SCALE-Sim's topology files.
///
/// Sizes are bounded where they are read, so nothing downstream overflows or runs for hours:
/// every number is at most `maximumDimension`, a layer's P, K, N and MACs at most `maximumMACs`,
/// and a file (after depthwise rows are split per channel) has at most `maximumLayers` layers.
public enum ScaleSimTopology {
  /// The largest value of any size field: 2²⁴ = 16,777,216 (an image side, a channel count or
  /// a GEMM dimension far beyond any published network).
  public static let maximumDimension = 1 << 24
  /// The most MACs one layer may have: 2⁵⁰ ≈ 1.1 × 10¹⁵ (ResNet-50 has 4 × 10⁹ in all), which
  /// keeps every cycle and MAC figure inside `Int64`.
  public static let maximumMACs = 1 << 50
  /// The most layers a topology may have after splitting depthwise rows per channel.
  public static let maximumLayers = 100_000

  /// Parses a convolution topology CSV:
  ///
  /// ```
  /// Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
  /// Conv1, 224, 224, 7, 7, 3, 64, 2,
  /// ```
  ///
  /// The first line is a header and is skipped, as are blank lines; each row ends with a comma
  /// (accepted without it too). An optional ninth number is the column stride. A layer whose
  /// name contains `DP` is depthwise: SCALE-Sim splits it into one layer per channel, named
  /// `<name>Channel_<i>`, each with one channel and the row's `Num Filter`.
  ///
  /// - Throws: `SimulatorError` `.parse` at `file:line:column` for a missing or malformed
  ///   field, a non-positive size, or a filter larger than its input.
  public static func parseConvolution(_ text: String, file: String) throws(SimulatorError) -> [ScaleSimLayer] {
    var layers: [ScaleSimLayer] = []
    for row in try rows(text, file: file) {
      guard row.fields.count == 8 || row.fields.count == 9 else {
        throw SimulatorError(
          .parse, "\(file):\(row.line):1",
          "expected 8 or 9 fields (name, IFMAP height and width, filter height and width, channels, filters, strides), found \(row.fields.count)"
        )
      }
      let names = [
        "IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels", "Num Filter", "Strides",
        "Stride Width",
      ]
      var numbers: [Int] = []
      for (i, field) in row.fields.dropFirst().enumerated() {
        numbers.append(try positive(field, names[i], file: file, line: row.line))
      }
      let location = "\(file):\(row.line):1"
      let name = row.fields[0].text
      let layer = ScaleSimLayer(
        name: name, ifmapHeight: numbers[0], ifmapWidth: numbers[1], filterHeight: numbers[2], filterWidth: numbers[3],
        channels: numbers[4], numFilters: numbers[5], strideHeight: numbers[6],
        strideWidth: numbers.count > 7 ? numbers[7] : nil)
      if layer.filterHeight > layer.ifmapHeight {
        throw SimulatorError(
          .parse, "\(file):\(row.line):\(row.fields[3].column)",
          "filter height \(layer.filterHeight) is larger than the IFMAP height \(layer.ifmapHeight)")
      }
      if layer.filterWidth > layer.ifmapWidth {
        throw SimulatorError(
          .parse, "\(file):\(row.line):\(row.fields[4].column)",
          "filter width \(layer.filterWidth) is larger than the IFMAP width \(layer.ifmapWidth)")
      }
      if let problem = layer.sizeProblem {
        throw SimulatorError(.parse, location, "layer '\(name)' is too large to model: \(problem)")
      }
      let added = name.contains("DP") ? layer.channels : 1
      if layers.count + added > maximumLayers {
        throw SimulatorError(
          .parse, location,
          "the topology has more than \(maximumLayers) layers (depthwise rows count once per channel)")
      }
      if name.contains("DP") {
        for c in 0..<layer.channels {
          var split = layer
          split.name = name + "Channel_\(c)"
          split.channels = 1
          layers.append(split)
        }
      } else {
        layers.append(layer)
      }
    }
    return layers
  }

  /// Parses a GEMM topology CSV (`Layer, M, N, K,` — header line, trailing comma), each row
  /// becoming `ScaleSimLayer(gemm:m:n:k:)`.
  ///
  /// - Throws: `SimulatorError` `.parse` at `file:line:column`.
  public static func parseGEMM(_ text: String, file: String) throws(SimulatorError) -> [ScaleSimLayer] {
    var layers: [ScaleSimLayer] = []
    for row in try rows(text, file: file) {
      guard row.fields.count == 4 else {
        throw SimulatorError(
          .parse, "\(file):\(row.line):1", "expected 4 fields (layer, M, N, K), found \(row.fields.count)")
      }
      let m = try positive(row.fields[1], "M", file: file, line: row.line)
      let n = try positive(row.fields[2], "N", file: file, line: row.line)
      let k = try positive(row.fields[3], "K", file: file, line: row.line)
      let layer = ScaleSimLayer(gemm: row.fields[0].text, m: m, n: n, k: k)
      if let problem = layer.sizeProblem {
        throw SimulatorError(.parse, "\(file):\(row.line):1", "layer '\(layer.name)' is too large to model: \(problem)")
      }
      if layers.count >= maximumLayers {
        throw SimulatorError(.parse, "\(file):\(row.line):1", "the topology has more than \(maximumLayers) layers")
      }
      layers.append(layer)
    }
    return layers
  }

  struct Field {
    var text: String
    /// 1-based column of the field's first non-blank character.
    var column: Int
  }

  struct Row {
    var line: Int
    var fields: [Field]
  }

  /// The data rows: the header and blank lines skipped, one trailing empty field dropped.
  static func rows(_ text: String, file: String) throws(SimulatorError) -> [Row] {
    var out: [Row] = []
    for (number, rawLine) in text.split(
      omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }
    ).enumerated() {
      guard number > 0 else { continue }
      let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
      if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
      var fields: [Field] = []
      var column = 1
      for part in line.split(separator: ",", omittingEmptySubsequences: false) {
        let leading = part.prefix { $0 == " " || $0 == "\t" }.count
        fields.append(Field(text: part.trimmingCharacters(in: .whitespaces), column: column + leading))
        column += part.count + 1
      }
      if fields.count > 1, fields.last?.text.isEmpty == true { fields.removeLast() }
      out.append(Row(line: number + 1, fields: fields))
    }
    return out
  }

  static func positive(_ field: Field, _ name: String, file: String, line: Int) throws(SimulatorError) -> Int {
    let shown = field.text.count > 40 ? String(field.text.prefix(40)) + "…" : field.text
    guard let n = Int(field.text), n >= 1 else {
      // A run of digits too long for `Int` is a number out of range, not a typo.
      if Int(field.text) == nil, !field.text.isEmpty, field.text.allSatisfy(\.isASCIIDigitCharacter) {
        throw SimulatorError(
          .parse, "\(file):\(line):\(field.column)", "'\(name)' is \(shown); at most \(maximumDimension)")
      }
      throw SimulatorError(
        .parse, "\(file):\(line):\(field.column)",
        "expected a positive integer for '\(name)', found '\(shown)'")
    }
    guard n <= maximumDimension else {
      throw SimulatorError(.parse, "\(file):\(line):\(field.column)", "'\(name)' is \(n); at most \(maximumDimension)")
    }
    return n
  }
}

extension Character {
  fileprivate var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
