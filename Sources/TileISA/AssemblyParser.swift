import Support

extension TileProgram {
  /// Parses the text `assembly()` prints (see `docs/isa.md` §"Assembly").
  ///
  /// - Throws: `ISAError` `.parse` naming the line and column and what was expected.
  public init(parsingAssembly text: String) throws(ISAError) {
    var parser = AssemblyParser()
    self = try parser.parse(text)
  }
}

extension Instruction {
  /// Parses one instruction line (`matmul acc=0 ... deps=pop_prev`); `line` numbers errors.
  public init(parsingAssembly text: String, line: Int = 1) throws(ISAError) {
    let tokens = try tokenize(Array(text.unicodeScalars), line: line)
    guard !tokens.isEmpty else { throw ISAError(.parse, "line \(line), column 1", "expected an instruction") }
    self = try parseInstruction(tokens, line: line)
  }
}

/// One whitespace-separated word of a line, with its 1-based column.
struct Token {
  var text: [Unicode.Scalar]
  var column: Int
  var string: String { String(String.UnicodeScalarView(text)) }
}

/// Splits a line into tokens; `;` outside quotes starts a comment.
func tokenize(_ scalars: [Unicode.Scalar], line: Int) throws(ISAError) -> [Token] {
  var tokens: [Token] = []
  var i = 0
  let n = scalars.count
  while i < n {
    while i < n && (scalars[i] == " " || scalars[i] == "\t" || scalars[i] == "\r") { i += 1 }
    guard i < n, scalars[i] != ";" else { break }
    let start = i
    while i < n && scalars[i] != " " && scalars[i] != "\t" && scalars[i] != "\r" && scalars[i] != ";" {
      if scalars[i] == "\"" {
        let open = i
        i += 1
        while i < n && scalars[i] != "\"" {
          if scalars[i] == "\\" { i += 1 }
          i += 1
        }
        guard i < n else {
          throw ISAError(.parse, "line \(line), column \(open + 1)", "unterminated string: expected a closing '\"'")
        }
      }
      i += 1
    }
    tokens.append(Token(text: Array(scalars[start..<i]), column: start + 1))
  }
  return tokens
}

/// The `key=value` fields and bare flags of one line, consumed by name.
struct FieldReader {
  let line: Int
  let owner: String
  let ownerColumn: Int
  private var values: [String: (text: String, column: Int)] = [:]
  private var flags: [String: Int] = [:]
  private var used: Set<String> = []

  init(_ tokens: ArraySlice<Token>, line: Int, owner: String, ownerColumn: Int) throws(ISAError) {
    self.line = line
    self.owner = owner
    self.ownerColumn = ownerColumn
    for token in tokens {
      if let eq = token.text.firstIndex(of: "=") {
        let key = String(String.UnicodeScalarView(token.text[..<eq]))
        let value = String(String.UnicodeScalarView(token.text[(eq + 1)...]))
        guard !key.isEmpty else { throw error(token.column, "expected a field name before '='") }
        guard values[key] == nil && flags[key] == nil else { throw error(token.column, "field '\(key)' given twice") }
        values[key] = (value, token.column + eq + 1)
      } else {
        let key = token.string
        guard values[key] == nil && flags[key] == nil else { throw error(token.column, "field '\(key)' given twice") }
        flags[key] = token.column
      }
    }
  }

  func error(_ column: Int, _ message: String) -> ISAError {
    ISAError(.parse, "line \(line), column \(column)", message)
  }

  /// The raw text of a required field.
  mutating func raw(_ key: String) throws(ISAError) -> (text: String, column: Int) {
    guard let v = values[key] else {
      if let column = flags[key] { throw error(column, "expected '\(key)=' with a value") }
      throw error(ownerColumn, "\(owner) is missing the field '\(key)='")
    }
    used.insert(key)
    return v
  }

  /// The raw text of an optional field.
  mutating func optionalRaw(_ key: String) -> (text: String, column: Int)? {
    guard let v = values[key] else { return nil }
    used.insert(key)
    return v
  }

  /// Whether the line names `key`, with or without a value (does not mark it used).
  func has(_ key: String) -> Bool { values[key] != nil || flags[key] != nil }

  /// Whether a bare flag is present.
  mutating func flag(_ key: String) throws(ISAError) -> Bool {
    if let v = values[key] { throw error(v.column - key.count - 1, "'\(key)' is a flag and takes no value") }
    guard flags[key] != nil else { return false }
    used.insert(key)
    return true
  }

  mutating func int(_ key: String) throws(ISAError) -> Int {
    let (text, column) = try raw(key)
    return try parseInteger(text, column: column, key: key)
  }

  mutating func int8(_ key: String) throws(ISAError) -> Int8 {
    let (text, column) = try raw(key)
    let v = try parseInteger(text, column: column, key: key)
    guard let narrow = Int8(exactly: v) else { throw error(column, "expected an int8 (-128...127) for '\(key)', found \(text)") }
    return narrow
  }

  mutating func int32(_ key: String) throws(ISAError) -> Int32 {
    let (text, column) = try raw(key)
    let v = try parseInteger(text, column: column, key: key)
    guard let narrow = Int32(exactly: v) else { throw error(column, "expected an int32 for '\(key)', found \(text)") }
    return narrow
  }

  func parseInteger(_ text: String, column: Int, key: String) throws(ISAError) -> Int {
    guard let v = integer(text) else { throw error(column, "expected an integer for '\(key)', found '\(text)'") }
    return v
  }

  /// `A<separator>B`, two integers.
  mutating func pair(_ key: String, _ separator: Character) throws(ISAError) -> (Int, Int) {
    let (text, column) = try raw(key)
    return try splitPair(text, separator, column: column, key: key)
  }

  func splitPair(_ text: String, _ separator: Character, column: Int, key: String) throws(ISAError) -> (Int, Int) {
    // The separator is the first one after the first character (a leading '-' is a sign).
    let body = text.dropFirst()
    guard let index = body.firstIndex(of: separator), let a = integer(String(text[..<index])),
      let b = integer(String(text[text.index(after: index)...]))
    else {
      throw error(column, "expected two integers separated by '\(separator)' for '\(key)', found '\(text)'")
    }
    return (a, b)
  }

  mutating func clamp(_ key: String) throws(ISAError) -> ClosedRange<Int8> {
    let (text, column) = try raw(key)
    let (lo, hi) = try splitPair(text, ",", column: column, key: key)
    guard let low = Int8(exactly: lo), let high = Int8(exactly: hi), low <= high else {
      throw error(column, "expected 'min,max' with -128 ≤ min ≤ max ≤ 127 for '\(key)', found '\(text)'")
    }
    return low...high
  }

  mutating func view(_ key: String) throws(ISAError) -> VectorView {
    let (text, column) = try raw(key)
    let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { integer(String($0)) }
    guard parts.count == 3, let address = parts[0], let outer = parts[1], let inner = parts[2] else {
      throw error(column, "expected 'address/outer_stride/inner_stride' for '\(key)', found '\(text)'")
    }
    return VectorView(address: SRAMAddress(address), outerStrideBytes: outer, innerStrideBytes: inner)
  }

  mutating func word<T: RawRepresentable>(_ key: String, _ type: T.Type) throws(ISAError) -> T
  where T.RawValue == String, T: CaseIterable {
    let (text, column) = try raw(key)
    guard let v = T(rawValue: text) else {
      let choices = T.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
      throw error(column, "expected one of \(choices) for '\(key)', found '\(text)'")
    }
    return v
  }

  /// An optional field naming a case of `T`; `nil` when absent.
  mutating func optionalWord<T: RawRepresentable>(_ key: String, _ type: T.Type) throws(ISAError) -> T?
  where T.RawValue == String, T: CaseIterable {
    guard values[key] != nil || flags[key] != nil else { return nil }
    return try word(key, type)
  }

  mutating func slot(_ key: String) throws(ISAError) -> WeightSlot {
    let (text, column) = try raw(key)
    guard let v = integer(text).flatMap(WeightSlot.init(rawValue:)) else {
      throw error(column, "expected a weight slot 0 or 1 for '\(key)', found '\(text)'")
    }
    return v
  }

  mutating func string(_ key: String) throws(ISAError) -> String {
    let (text, column) = try raw(key)
    return try unquote(Array(text.unicodeScalars), column: column, key: key)
  }

  func unquote(_ s: [Unicode.Scalar], column: Int, key: String) throws(ISAError) -> String {
    guard s.count >= 2, s.first == "\"", s.last == "\"" else {
      throw error(column, "expected a double-quoted string for '\(key)'")
    }
    var out = String.UnicodeScalarView()
    var i = 1
    while i < s.count - 1 {
      if s[i] == "\\" {
        let escapeColumn = column + i
        guard i + 1 < s.count - 1 else { throw error(escapeColumn, "expected an escape after '\\'") }
        switch s[i + 1] {
        case "\"", "\\":
          out.append(s[i + 1])
          i += 2
        case "u":
          guard i + 2 < s.count - 1, s[i + 2] == "{", let close = s[(i + 3)...].firstIndex(of: "}"),
            let value = UInt32(String(String.UnicodeScalarView(s[(i + 3)..<close])), radix: 16),
            let scalar = Unicode.Scalar(value)
          else { throw error(escapeColumn, "expected '\\u{hex}' with a valid Unicode scalar") }
          out.append(scalar)
          i = close + 1
        default:
          throw error(escapeColumn, "unknown escape '\\\(s[i + 1])' (expected \\\", \\\\ or \\u{hex})")
        }
      } else {
        out.append(s[i])
        i += 1
      }
    }
    return String(out)
  }

  /// Rejects fields nobody asked for.
  func finish() throws(ISAError) {
    let unknown =
      values.filter { !used.contains($0.key) }.map { ($0.value.column - $0.key.count - 1, "unknown field '\($0.key)' for \(owner)") }
      + flags.filter { !used.contains($0.key) }.map { ($0.value, "unknown flag '\($0.key)' for \(owner)") }
    if let first = unknown.min(by: { $0.0 < $1.0 }) { throw error(first.0, first.1) }
  }
}

/// A decimal or `0x` hex integer with an optional `-`, within `Int`'s range.
func integer(_ text: String) -> Int? {
  var body = Substring(text)
  let negative = body.hasPrefix("-")
  if negative { body = body.dropFirst() }
  let radix: Int
  if body.hasPrefix("0x") {
    body = body.dropFirst(2)
    radix = 16
  } else {
    radix = 10
  }
  guard !body.isEmpty, body.allSatisfy({ $0.isHexDigit && $0.isASCII && (radix == 16 || $0.isNumber) }),
    !body.hasPrefix("+"), let magnitude = UInt64(body, radix: radix)
  else { return nil }
  if negative {
    if magnitude == UInt64(Int64.max) + 1 { return Int.min }
    guard magnitude <= UInt64(Int64.max) else { return nil }
    return -Int(magnitude)
  }
  guard magnitude <= UInt64(Int64.max) else { return nil }
  return Int(magnitude)
}

func parseInstruction(_ tokens: [Token], line: Int) throws(ISAError) -> Instruction {
  let head = tokens[0]
  let mnemonic = head.string
  var r = try FieldReader(tokens.dropFirst(), line: line, owner: mnemonic, ownerColumn: head.column)
  let operation: Operation
  switch mnemonic {
  case "load", "store":
    // `arena= arena_stride=` name the activation arena as the backing memory; otherwise
    // `dram= dram_stride=` (a line with both reports the unused `dram=`).
    let backing: BackingMemory = r.has(BackingMemory.arena.rawValue) ? .arena : .dram
    let d = DMA2D(
      memory: try r.word("mem", OnChipMemory.self), sramAddress: SRAMAddress(try r.int("sram")),
      sramStrideBytes: try r.int("sram_stride"), dramAddress: DRAMAddress(try r.int(backing.rawValue)),
      dramStrideBytes: try r.int("\(backing.rawValue)_stride"), rows: try r.int("rows"), rowBytes: try r.int("row_bytes"),
      backing: backing)
    var transfer = d
    transfer.resident = try r.flag("resident")
    transfer.hostLink = try r.flag("host_link")
    operation = mnemonic == "load" ? .load(transfer) : .store(transfer)
  case "load_weights":
    let packing = try r.optionalWord("packing", WeightPacking.self) ?? .int8
    // `levels= group= [phase=]` belong to `packing=ternary-grouped` and only to it (an unused
    // key is reported like any other).
    let levels =
      packing.hasLevels
      ? GroupLevels(
        address: SRAMAddress(try r.int("levels")), group: try r.int("group"),
        phase: try r.optionalRaw("phase").map { v throws(ISAError) in try r.parseInteger(v.text, column: v.column, key: "phase") } ?? 0)
      : nil
    operation = .loadWeights(
      LoadWeights(
        slot: try r.slot("slot"), wbAddress: SRAMAddress(try r.int("wb")), rows: try r.int("rows"),
        columns: try r.int("cols"), rowStrideBytes: try r.int("stride"), packing: packing, levels: levels))
  case "matmul":
    let accRow = AccumulatorRow(try r.int("acc"))
    let slot = try r.slot("slot")
    let n = try r.int("n")
    let (input, window) = try featureMap(&r)
    operation = .matmul(
      Matmul(
        input: input, window: window, inputZeroPoint: try r.int8("zp"), weightSlot: slot, columns: n,
        groups: try r.int("g"), accRow: accRow, accumulate: try r.flag("accumulate"),
        dataflow: try r.word("df", Matmul.Dataflow.self)))
  case "activate":
    let accRow = AccumulatorRow(try r.int("acc"))
    let (h, w) = try r.pair("out", "x")
    operation = .activate(
      Activate(
        accRow: accRow, height: h, width: w, columns: try r.int("n"), paramAddress: SRAMAddress(try r.int("params")),
        mode: try r.word("mode", RequantMode.self), outputZeroPoint: try r.int8("zp"), clamp: try r.clamp("clamp"),
        destination: try destination(&r)))
  case "vadd", "vsub":
    let o = try binaryOperands(&r)
    let q = AddParameters(
      aZeroPoint: try r.int8("a_zp"), bZeroPoint: try r.int8("b_zp"), outputZeroPoint: try r.int8("out_zp"),
      leftShift: try r.int("lshift"), aMultiplier: try r.int32("a_mult"), aShift: try r.int("a_shift"),
      bMultiplier: try r.int32("b_mult"), bShift: try r.int("b_shift"), outputMultiplier: try r.int32("out_mult"),
      outputShift: try r.int("out_shift"), clamp: try r.clamp("clamp"))
    operation = .vector(mnemonic == "vadd" ? .add(o, q) : .sub(o, q))
  case "vmul":
    let o = try binaryOperands(&r)
    operation = .vector(
      .mul(
        o,
        MulParameters(
          aZeroPoint: try r.int8("a_zp"), bZeroPoint: try r.int8("b_zp"), outputZeroPoint: try r.int8("out_zp"),
          outputMultiplier: try r.int32("out_mult"), outputShift: try r.int("out_shift"), clamp: try r.clamp("clamp"))))
  case "vmaxpool", "vavgpool":
    let (input, window) = try featureMap(&r)
    let pool = Pool(input: input, window: window, destination: try destination(&r), clamp: try r.clamp("clamp"))
    operation = .vector(mnemonic == "vmaxpool" ? .maxPool(pool) : .avgPool(pool))
  case "vrequant":
    let o = try unaryOperands(&r)
    operation = .vector(
      .requantize(
        o,
        RequantizeParameters(
          inputZeroPoint: try r.int8("in_zp"), outputZeroPoint: try r.int8("out_zp"), multiplier: try r.int32("mult"),
          shift: try r.int("shift"), clamp: try r.clamp("clamp"))))
  case "vsoftmax":
    let o = try unaryOperands(&r)
    operation = .vector(
      .softmax(
        o,
        SoftmaxParameters(
          inputMultiplier: try r.int32("mult"), inputShift: try r.int("shift"), diffMin: try r.int32("diff_min"),
          outputRange: try r.clamp("clamp"))))
  case "vmean":
    let o = try unaryOperands(&r)
    operation = .vector(
      .mean(
        o,
        RequantizeParameters(
          inputZeroPoint: try r.int8("in_zp"), outputZeroPoint: try r.int8("out_zp"), multiplier: try r.int32("mult"),
          shift: try r.int("shift"), clamp: try r.clamp("clamp"), unsignedBytes: try r.flag("unsigned"))))
  case "vcopy":
    operation = .vector(.copy(try unaryOperands(&r)))
  case "vlut":
    let o = try unaryOperands(&r)
    operation = .vector(.lookup(o, table: SRAMAddress(try r.int("table"))))
  // issue 14: resize
  case "vresize":
    operation = .vector(.resize(try parseResize(&r)))
  // issue 14: vector binary/reduce
  case "vbinary":
    let name = try r.word("fn", BinaryFunction.Name.self)
    let o = try binaryOperands(&r)
    switch name {
    case .squaredDifference:
      operation = .vector(
        .binary(
          o,
          .squaredDifference(
            AddParameters(
              aZeroPoint: try r.int8("a_zp"), bZeroPoint: try r.int8("b_zp"), outputZeroPoint: try r.int8("out_zp"),
              leftShift: try r.int("lshift"), aMultiplier: try r.int32("a_mult"), aShift: try r.int("a_shift"),
              bMultiplier: try r.int32("b_mult"), bShift: try r.int("b_shift"), outputMultiplier: try r.int32("out_mult"),
              outputShift: try r.int("out_shift"), clamp: try r.clamp("clamp")))))
    case .maximum: operation = .vector(.binary(o, .maximum(clamp: try r.clamp("clamp"))))
    case .minimum: operation = .vector(.binary(o, .minimum(clamp: try r.clamp("clamp"))))
    case .prelu:
      operation = .vector(
        .binary(
          o,
          .prelu(
            PreluParameters(
              inputZeroPoint: try r.int8("in_zp"), alphaZeroPoint: try r.int8("alpha_zp"),
              outputZeroPoint: try r.int8("out_zp"), positiveMultiplier: try r.int32("pos_mult"),
              positiveShift: try r.int("pos_shift"), negativeMultiplier: try r.int32("neg_mult"),
              negativeShift: try r.int("neg_shift"), clamp: try r.clamp("clamp")))))
    // issue 14: vops
    case .divide:
      operation = .vector(
        .binary(
          o,
          .divide(
            DivideParameters(
              aZeroPoint: try r.int8("a_zp"), bZeroPoint: try r.int8("b_zp"), outputZeroPoint: try r.int8("out_zp"),
              multiplier: try r.int32("mult"), shift: try r.int("shift"), clamp: try r.clamp("clamp")))))
    case .less:
      operation = .vector(
        .binary(
          o,
          .less(
            ComparisonParameters(
              aZeroPoint: try r.int8("a_zp"), bZeroPoint: try r.int8("b_zp"), leftShift: try r.int("lshift"),
              aMultiplier: try r.int32("a_mult"), aShift: try r.int("a_shift"), bMultiplier: try r.int32("b_mult"),
              bShift: try r.int("b_shift")))))
    case .logicalAnd:
      operation = .vector(.binary(o, .logicalAnd))
    case .select:
      operation = .vector(.binary(o, .select(condition: try r.view("cond"))))
    }
  // issue 14: PRELU / L2_NORMALIZATION
  case "vl2norm":
    let o = try unaryOperands(&r)
    operation = .vector(.l2Normalize(o, inputZeroPoint: try r.int8("in_zp")))
  // issue 14: lstm
  case "vlstm":
    let (outer, inner) = try r.pair("size", "x")
    let gates = try r.view("gates")
    let gateStride = try r.int("gate_stride")
    let cell = try r.view("cell")
    let hidden = try r.view("hidden")
    let cellLog2 = try r.int("cell_log2")
    let clip = try r.int("clip")
    let cifg = try r.int("cifg")
    guard cifg == 0 || cifg == 1 else {
      throw ISAError(.parse, "line \(line)", "expected 0 or 1 for 'cifg', found \(cifg)")
    }
    guard let clip16 = Int16(exactly: clip) else {
      throw ISAError(.parse, "line \(line)", "expected an int16 for 'clip', found \(clip)")
    }
    let p = LSTMCellParameters(
      cellScaleLog2: cellLog2, cellClip: clip16, hiddenMultiplier: try r.int32("h_mult"), hiddenShift: try r.int("h_shift"),
      hiddenZeroPoint: try r.int8("h_zp"), coupledInputForget: cifg == 1)
    operation = .vector(
      .lstmCell(
        LSTMCell(
          gates: gates, gateStrideBytes: gateStride, cell: cell, hidden: hidden, outer: outer, inner: inner, parameters: p)))
  case "vreduce":
    let function = try r.word("fn", ReduceFunction.self)
    let o = try unaryOperands(&r)
    // issue 14: prod — fn=prod reads its requantization fields; the others have none
    let q: RequantizeParameters? =
      function == .product
      ? RequantizeParameters(
        inputZeroPoint: try r.int8("in_zp"), outputZeroPoint: try r.int8("out_zp"), multiplier: try r.int32("mult"),
        shift: try r.int("shift"), clamp: try r.clamp("clamp")) : nil
    operation = .vector(.reduce(o, function, q))
  case "host":
    operation = .host(HostTaskIndex(try r.int("task")))
  case "nop":
    operation = .nop(try r.word("queue", Queue.self))
  case "finish":
    operation = .finish
  default:
    throw ISAError(
      .parse, "line \(line), column \(head.column)",
      "unknown instruction '\(mnemonic)' (expected load, store, load_weights, matmul, activate, vadd, vsub, vmul, vmaxpool, vavgpool, vrequant, vsoftmax, vmean, vlut, vresize, vcopy, vbinary, vreduce, vl2norm, vlstm, host, nop or finish)"
    )
  }
  var layer: LayerIndex? = nil
  if r.optionalRaw("layer") != nil {
    // Re-read through the typed accessor for its error message.
    layer = LayerIndex(try r.int("layer"))
  }
  var dependencies: DependencyFlags = []
  if let (text, column) = r.optionalRaw("deps"), text != "none" {
    for name in text.split(separator: ",", omittingEmptySubsequences: false) {
      guard let flag = DependencyFlags.named.first(where: { $0.name == name })?.flag else {
        throw r.error(column, "expected dependency flags from pop_prev, pop_next, push_prev, push_next for 'deps', found '\(text)'")
      }
      dependencies.insert(flag)
    }
  }
  try r.finish()
  return Instruction(operation, dependencies: dependencies, layer: layer)
}

private func featureMap(_ r: inout FieldReader) throws(ISAError) -> (FeatureMap, Window) {
  let address = SRAMAddress(try r.int("ub"))
  let height = try r.int("h")
  let width = try r.int("w")
  let pixelStride = try r.int("ps")
  let (outH, outW) = try r.pair("out", "x")
  let (kH, kW) = try r.pair("k", "x")
  let (sH, sW) = try r.pair("s", "x")
  let (dH, dW) = try r.pair("d", "x")
  let (padTop, padLeft) = try r.pair("pad", ",")
  let (offset, count) = try r.pair("c", "+")
  return (
    FeatureMap(
      address: address, height: height, width: width, pixelStrideBytes: pixelStride, channelOffset: offset,
      channelCount: count),
    Window(
      outHeight: outH, outWidth: outW, kernelHeight: kH, kernelWidth: kW, strideHeight: sH, strideWidth: sW,
      dilationHeight: dH, dilationWidth: dW, padTop: padTop, padLeft: padLeft)
  )
}

private func destination(_ r: inout FieldReader) throws(ISAError) -> PixelDestination {
  PixelDestination(
    address: SRAMAddress(try r.int("dst")), pixelStrideBytes: try r.int("dst_ps"), rowStrideBytes: try r.int("dst_rs"))
}

private func binaryOperands(_ r: inout FieldReader) throws(ISAError) -> BinaryOperands {
  let (outer, inner) = try r.pair("size", "x")
  return BinaryOperands(a: try r.view("a"), b: try r.view("b"), output: try r.view("out"), outer: outer, inner: inner)
}

private func unaryOperands(_ r: inout FieldReader) throws(ISAError) -> UnaryOperands {
  let (outer, inner) = try r.pair("size", "x")
  return UnaryOperands(source: try r.view("src"), output: try r.view("out"), outer: outer, inner: inner)
}

/// Parses whole programs: directives, `.data`, instructions.
struct AssemblyParser {
  mutating func parse(_ text: String) throws(ISAError) -> TileProgram {
    var header: (datapath: TileProgram.Datapath, dram: Int, arena: Int, limits: MemoryLimits)? = nil
    var layers: [LayerInfo] = []
    var hostTasks: [HostTask] = []
    var inputs: [IOBinding] = []
    var outputs: [IOBinding] = []
    var image = DRAMImage()
    var instructions: [Instruction] = []
    var tiles: [Int: TileCoordinate] = [:]
    var lineNumber = 0
    for rawLine in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
      lineNumber += 1
      let tokens = try tokenize(Array(rawLine), line: lineNumber)
      guard let head = tokens.first else { continue }
      let word = head.string
      guard word.hasPrefix(".") else {
        instructions.append(try parseInstruction(tokens, line: lineNumber))
        if let tile = try tileAnnotation(Array(rawLine), line: lineNumber) { tiles[instructions.count - 1] = tile }
        continue
      }
      let line = lineNumber
      func error(_ column: Int, _ message: String) -> ISAError {
        ISAError(.parse, "line \(line), column \(column)", message)
      }
      /// The directive's position argument, which must equal the table's next index.
      func position(_ expected: Int) throws(ISAError) -> ArraySlice<Token> {
        guard tokens.count >= 2, let index = integer(tokens[1].string) else {
          throw error(tokens.count >= 2 ? tokens[1].column : head.column + word.count, "expected the index \(expected) after \(word)")
        }
        guard index == expected else { throw error(tokens[1].column, "expected the index \(expected) after \(word), found \(index)") }
        return tokens.dropFirst(2)
      }
      switch word {
      case ".program":
        guard header == nil else { throw error(head.column, ".program given twice") }
        var r = try FieldReader(tokens.dropFirst(), line: line, owner: word, ownerColumn: head.column)
        let datapath = try r.word("datapath", TileProgram.Datapath.self)
        let dram = try r.int("dram")
        let ub = try r.int("ub")
        let wb = try r.int("wb")
        let accRows = try r.int("acc_rows")
        let (rows, columns) = try r.pair("array", "x")
        var arena = 0
        if let v = r.optionalRaw("arena") { arena = try r.parseInteger(v.text, column: v.column, key: "arena") }
        try r.finish()
        header = (
          datapath, dram, arena,
          MemoryLimits(
            unifiedBuffer: ByteCount(ub), weightBuffer: ByteCount(wb), accumulatorRows: accRows, arrayRows: rows,
            arrayColumns: columns)
        )
      case ".layer":
        var r = try FieldReader(try position(layers.count), line: line, owner: word, ownerColumn: head.column)
        layers.append(LayerInfo(name: try r.string("name"), opName: try r.string("op")))
        try r.finish()
      case ".host":
        var r = try FieldReader(try position(hostTasks.count), line: line, owner: word, ownerColumn: head.column)
        let name = try r.string("name")
        let reads = try rangeList(&r, "reads")
        let writes = try rangeList(&r, "writes")
        var operations: Int? = nil
        if let v = r.optionalRaw("ops") {
          let n = try r.parseInteger(v.text, column: v.column, key: "ops")
          guard n >= 0 else { throw error(v.column, "ops \(n) must be at least 0") }
          operations = n
        }
        try r.finish()
        hostTasks.append(HostTask(name: name, reads: reads, writes: writes, operations: operations))
      case ".input", ".output":
        let count = word == ".input" ? inputs.count : outputs.count
        var r = try FieldReader(try position(count), line: line, owner: word, ownerColumn: head.column)
        let name = try r.string("name")
        let type = try r.word("type", IOElementType.self)
        let (shapeText, shapeColumn) = try r.raw("shape")
        guard let shape = bracketed(shapeText, integer) else {
          throw error(shapeColumn, "expected a shape like [1,8,8,3] for 'shape', found '\(shapeText)'")
        }
        let binding = IOBinding(name: name, elementType: type, shape: shape, address: DRAMAddress(try r.int("dram")))
        try r.finish()
        if word == ".input" { inputs.append(binding) } else { outputs.append(binding) }
      case ".data":
        guard tokens.count == 3, let address = integer(tokens[1].string) else {
          throw error(head.column, "expected '.data ADDRESS HEXBYTES'")
        }
        let digits = tokens[2].text
        guard digits.count % 2 == 0 else { throw error(tokens[2].column, "expected an even number of hex digits") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for i in stride(from: 0, to: digits.count, by: 2) {
          guard let hi = hexValue(digits[i]), let lo = hexValue(digits[i + 1]) else {
            throw error(tokens[2].column + i, "expected hex digits, found '\(digits[i])\(digits[i + 1])'")
          }
          bytes.append(hi << 4 | lo)
        }
        guard address >= 0, address <= Int.max - bytes.count else {
          throw error(tokens[1].column, "DRAM address \(tokens[1].string) out of range")
        }
        image.write(bytes, at: DRAMAddress(address))
      default:
        throw error(
          head.column, "unknown directive '\(word)' (expected .program, .layer, .host, .input, .output or .data)")
      }
    }
    guard let header else {
      throw ISAError(.parse, "line \(lineNumber), column 1", "expected a .program directive")
    }
    return TileProgram(
      datapath: header.datapath, limits: header.limits, dramSize: ByteCount(header.dram),
      arenaSize: ByteCount(header.arena), dramImage: image,
      layers: layers, hostTasks: hostTasks, inputs: inputs, outputs: outputs, instructions: instructions,
      tiles: tiles)
  }
}

/// The tile coordinate in an instruction line's trailing `; tile m=… n=… k=…` comment, or nil
/// when the line has no comment or the comment does not start with the word `tile`.
func tileAnnotation(_ scalars: [Unicode.Scalar], line: Int) throws(ISAError) -> TileCoordinate? {
  // The first ';' outside a string (the tokenizer has already rejected unterminated strings).
  var i = 0
  var semicolon: Int?
  while i < scalars.count {
    if scalars[i] == "\"" {
      i += 1
      while i < scalars.count && scalars[i] != "\"" {
        if scalars[i] == "\\" { i += 1 }
        i += 1
      }
    } else if scalars[i] == ";" {
      semicolon = i
      break
    }
    i += 1
  }
  guard let semicolon else { return nil }
  let offset = semicolon + 1
  let tokens = try tokenize(Array(scalars[offset...]), line: line).map { token in
    Token(text: token.text, column: token.column + offset)
  }
  guard let head = tokens.first, head.string == "tile" else { return nil }
  var r = try FieldReader(tokens.dropFirst(), line: line, owner: "tile annotation", ownerColumn: head.column)
  func index(_ key: String) throws(ISAError) -> Int? {
    guard let (text, column) = r.optionalRaw(key) else { return nil }
    guard let v = integer(text), v >= 0 else {
      throw r.error(column, "expected a non-negative tile index for '\(key)', found '\(text)'")
    }
    return v
  }
  let tile = TileCoordinate(m: try index("m"), n: try index("n"), k: try index("k"))
  try r.finish()
  return tile
}

private func rangeList(_ r: inout FieldReader, _ key: String) throws(ISAError) -> [DRAMRange] {
  let (text, column) = try r.raw(key)
  let ranges = bracketed(text) { item -> DRAMRange? in
    let body = item.dropFirst()
    guard let plus = body.firstIndex(of: "+"), let start = integer(String(item[..<plus])),
      let count = integer(String(item[item.index(after: plus)...]))
    else { return nil }
    return DRAMRange(start: DRAMAddress(start), byteCount: count)
  }
  guard let ranges else {
    throw r.error(column, "expected a list like [0x100+64,0x200+32] for '\(key)', found '\(text)'")
  }
  return ranges
}

/// `[a,b,c]` with each item parsed by `item`; `[]` is empty.
private func bracketed<T>(_ text: String, _ item: (String) -> T?) -> [T]? {
  guard text.hasPrefix("["), text.hasSuffix("]"), text.count >= 2 else { return nil }
  let inner = text.dropFirst().dropLast()
  if inner.isEmpty { return [] }
  var out: [T] = []
  for part in inner.split(separator: ",", omittingEmptySubsequences: false) {
    guard let v = item(String(part)) else { return nil }
    out.append(v)
  }
  return out
}

private func hexValue(_ c: Unicode.Scalar) -> UInt8? {
  switch c {
  case "0"..."9": UInt8(c.value - 48)
  case "a"..."f": UInt8(c.value - 87)
  case "A"..."F": UInt8(c.value - 55)
  default: nil
  }
}
