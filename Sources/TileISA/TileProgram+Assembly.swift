/// The text form of programs and instructions. `docs/isa.md` §"Assembly" specifies the syntax;
/// `TileProgram(parsingAssembly:)` reads it back exactly.
extension TileProgram {
  /// The program as assembly text: header directives, the DRAM image as hex, then one
  /// instruction per line.
  public func assembly() -> String {
    var lines: [String] = []
    lines.append("; Systole tile program")
    lines.append(
      ".program datapath=\(datapath) dram=\(hex(Int(dramSize.count))) ub=\(hex(Int(limits.unifiedBuffer.count))) "
        + "wb=\(hex(Int(limits.weightBuffer.count))) acc_rows=\(limits.accumulatorRows) "
        + "array=\(limits.arrayRows)x\(limits.arrayColumns)"
        + (arenaSize.count == 0 ? "" : " arena=\(hex(Int(arenaSize.count)))"))
    for (i, layer) in layers.enumerated() {
      lines.append(".layer \(i) name=\(quoted(layer.name)) op=\(quoted(layer.opName))")
    }
    for (i, task) in hostTasks.enumerated() {
      lines.append(
        ".host \(i) name=\(quoted(task.name)) reads=\(rangeList(task.reads)) writes=\(rangeList(task.writes)) ops=\(task.operations)")
    }
    for (kind, bindings) in [("input", inputs), ("output", outputs)] {
      for (i, b) in bindings.enumerated() {
        let shape = "[" + b.shape.map(String.init).joined(separator: ",") + "]"
        lines.append(".\(kind) \(i) name=\(quoted(b.name)) type=\(b.elementType) shape=\(shape) dram=\(b.address)")
      }
    }
    for segment in dramImage.segments {
      var offset = 0
      while offset < segment.bytes.count {
        let chunk = segment.bytes[offset..<min(offset + Self.assemblyBytesPerDataLine, segment.bytes.count)]
        lines.append(".data \(segment.address + offset) \(hexBytes(chunk))")
        offset += chunk.count
      }
    }
    lines.append("; \(instructions.count) instructions")
    for (index, instruction) in instructions.enumerated() {
      if let tile = tiles[index] {
        lines.append(instruction.assembly() + " " + Self.tileAnnotation(tile))
      } else {
        lines.append(instruction.assembly())
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Bytes per `.data` line.
  static let assemblyBytesPerDataLine = 64

  /// The trailing comment that carries an instruction's tile coordinate: `; tile m=2 n=1 k=0`.
  /// A comment is one for every other reader (`Instruction(parsingAssembly:)` ignores it);
  /// `TileProgram(parsingAssembly:)` reads it back into `tiles`.
  static func tileAnnotation(_ tile: TileCoordinate) -> String {
    let fields = tile.description
    return fields.isEmpty ? "; tile" : "; tile " + fields
  }
}

extension Instruction {
  /// The instruction as one line of assembly, e.g.
  /// `matmul acc=0 slot=0 n=16 ub=0x100 h=8 w=8 ps=16 out=8x8 k=3x3 s=1x1 d=1x1 pad=1,1 c=0+16 zp=-3 g=1 df=ws accumulate layer=3 deps=pop_prev,push_next`.
  public func assembly() -> String {
    var words = [mnemonic]
    for (key, value) in operation.assemblyFields {
      words.append(value.isEmpty ? key : "\(key)=\(value)")
    }
    if let layer { words.append("layer=\(layer.value)") }
    if !dependencies.isEmpty { words.append("deps=\(dependencies)") }
    return words.joined(separator: " ")
  }
}

extension Operation {
  /// `(key, value)` pairs in printing order; an empty value prints a bare flag.
  var assemblyFields: [(String, String)] {
    switch self {
    case .load(let d), .store(let d):
      return [
        ("mem", d.memory.rawValue), ("sram", hex(d.sramAddress.byteOffset)), ("sram_stride", "\(d.sramStrideBytes)"),
        (d.backing.rawValue, hex(d.dramAddress.byteOffset)), ("\(d.backing.rawValue)_stride", "\(d.dramStrideBytes)"),
        ("rows", "\(d.rows)"),
        ("row_bytes", "\(d.rowBytes)"),
      ] + (d.resident ? [("resident", "")] : []) + (d.hostLink ? [("host_link", "")] : [])
    case .loadWeights(let w):
      var fields = [
        ("slot", "\(w.slot)"), ("wb", hex(w.wbAddress.byteOffset)), ("rows", "\(w.rows)"), ("cols", "\(w.columns)"),
        ("stride", "\(w.rowStrideBytes)"),
      ]
      if w.packing.isPacked { fields.append(("packing", w.packing.rawValue)) }
      if let levels = w.levels {
        fields += [("levels", hex(levels.address.byteOffset)), ("group", "\(levels.group)")]
        if levels.phase != 0 { fields.append(("phase", "\(levels.phase)")) }
      }
      return fields
    case .matmul(let m):
      var fields: [(String, String)] = [("acc", "\(m.accRow.index)"), ("slot", "\(m.weightSlot)"), ("n", "\(m.columns)")]
      fields += featureMapFields(m.input, m.window)
      fields += [("zp", "\(m.inputZeroPoint)"), ("g", "\(m.groups)"), ("df", m.dataflow.rawValue)]
      if m.accumulate { fields.append(("accumulate", "")) }
      return fields
    case .activate(let a):
      return [
        ("acc", "\(a.accRow.index)"), ("out", "\(a.height)x\(a.width)"), ("n", "\(a.columns)"),
        ("params", hex(a.paramAddress.byteOffset)), ("mode", a.mode.rawValue), ("zp", "\(a.outputZeroPoint)"),
        ("clamp", clampText(a.clamp)),
      ] + destinationFields(a.destination)
    case .vector(let v):
      switch v {
      case .add(let o, let q), .sub(let o, let q):
        return binaryFields(o) + [
          ("a_zp", "\(q.aZeroPoint)"), ("b_zp", "\(q.bZeroPoint)"), ("out_zp", "\(q.outputZeroPoint)"),
          ("lshift", "\(q.leftShift)"), ("a_mult", "\(q.aMultiplier)"), ("a_shift", "\(q.aShift)"),
          ("b_mult", "\(q.bMultiplier)"), ("b_shift", "\(q.bShift)"), ("out_mult", "\(q.outputMultiplier)"),
          ("out_shift", "\(q.outputShift)"), ("clamp", clampText(q.clamp)),
        ]
      case .mul(let o, let q):
        return binaryFields(o) + [
          ("a_zp", "\(q.aZeroPoint)"), ("b_zp", "\(q.bZeroPoint)"), ("out_zp", "\(q.outputZeroPoint)"),
          ("out_mult", "\(q.outputMultiplier)"), ("out_shift", "\(q.outputShift)"), ("clamp", clampText(q.clamp)),
        ]
      case .maxPool(let p), .avgPool(let p):
        return featureMapFields(p.input, p.window) + destinationFields(p.destination) + [("clamp", clampText(p.clamp))]
      case .requantize(let o, let q), .mean(let o, let q):
        return unaryFields(o) + [
          ("in_zp", "\(q.inputZeroPoint)"), ("out_zp", "\(q.outputZeroPoint)"), ("mult", "\(q.multiplier)"),
          ("shift", "\(q.shift)"), ("clamp", clampText(q.clamp)),
        ] + (q.unsignedBytes ? [("unsigned", "")] : [])  // issue 14: sum
      case .softmax(let o, let q):
        return unaryFields(o) + [
          ("mult", "\(q.inputMultiplier)"), ("shift", "\(q.inputShift)"), ("diff_min", "\(q.diffMin)"),
          ("clamp", clampText(q.outputRange)),
        ]
      case .copy(let o):
        return unaryFields(o)
      // issue 14: PRELU / L2_NORMALIZATION
      case .l2Normalize(let o, let zeroPoint):
        return unaryFields(o) + [("in_zp", "\(zeroPoint)")]
      case .lookup(let o, let table):
        return unaryFields(o) + [("table", hex(table.byteOffset))]
      // issue 14: resize
      case .resize(let z):
        return resizeFields(z)
      // issue 14: vector binary/reduce
      case .binary(let o, let f):
        var fields = [("fn", f.name.rawValue)] + binaryFields(o)
        if case .squaredDifference(let q) = f {
          fields += [
            ("a_zp", "\(q.aZeroPoint)"), ("b_zp", "\(q.bZeroPoint)"), ("out_zp", "\(q.outputZeroPoint)"),
            ("lshift", "\(q.leftShift)"), ("a_mult", "\(q.aMultiplier)"), ("a_shift", "\(q.aShift)"),
            ("b_mult", "\(q.bMultiplier)"), ("b_shift", "\(q.bShift)"), ("out_mult", "\(q.outputMultiplier)"),
            ("out_shift", "\(q.outputShift)"),
          ]
        }
        if case .prelu(let q) = f {
          fields += [
            ("in_zp", "\(q.inputZeroPoint)"), ("alpha_zp", "\(q.alphaZeroPoint)"), ("out_zp", "\(q.outputZeroPoint)"),
            ("pos_mult", "\(q.positiveMultiplier)"), ("pos_shift", "\(q.positiveShift)"),
            ("neg_mult", "\(q.negativeMultiplier)"), ("neg_shift", "\(q.negativeShift)"),
          ]
        }
        // issue 14: vops
        if case .divide(let q) = f {
          fields += [
            ("a_zp", "\(q.aZeroPoint)"), ("b_zp", "\(q.bZeroPoint)"), ("out_zp", "\(q.outputZeroPoint)"),
            ("mult", "\(q.multiplier)"), ("shift", "\(q.shift)"),
          ]
        }
        if case .less(let q) = f {
          fields += [
            ("a_zp", "\(q.aZeroPoint)"), ("b_zp", "\(q.bZeroPoint)"), ("lshift", "\(q.leftShift)"),
            ("a_mult", "\(q.aMultiplier)"), ("a_shift", "\(q.aShift)"), ("b_mult", "\(q.bMultiplier)"),
            ("b_shift", "\(q.bShift)"),
          ]
        }
        if case .select(let c) = f { return fields + [("cond", viewText(c))] }  // a copy: no clamp
        if f.name == .less || f.name == .logicalAnd { return fields }  // bool output: no clamp
        return fields + [("clamp", clampText(f.clamp))]
      case .reduce(let o, let f, let q):
        // issue 14: prod — fn=prod carries its requantization fields
        guard let q else { return [("fn", f.rawValue)] + unaryFields(o) }
        return [("fn", f.rawValue)] + unaryFields(o) + [
          ("in_zp", "\(q.inputZeroPoint)"), ("out_zp", "\(q.outputZeroPoint)"), ("mult", "\(q.multiplier)"),
          ("shift", "\(q.shift)"), ("clamp", clampText(q.clamp)),
        ]
      // issue 14: lstm
      case .lstmCell(let l):
        let p = l.parameters
        return [
          ("size", "\(l.outer)x\(l.inner)"), ("gates", viewText(l.gates)), ("gate_stride", "\(l.gateStrideBytes)"),
          ("cell", viewText(l.cell)), ("hidden", viewText(l.hidden)), ("cell_log2", "\(p.cellScaleLog2)"),
          ("clip", "\(p.cellClip)"), ("h_mult", "\(p.hiddenMultiplier)"), ("h_shift", "\(p.hiddenShift)"),
          ("h_zp", "\(p.hiddenZeroPoint)"), ("cifg", p.coupledInputForget ? "1" : "0"),
        ]
      }
    case .host(let index):
      return [("task", "\(index.value)")]
    case .nop(let queue):
      return [("queue", queue.rawValue)]
    case .finish:
      return []
    }
  }
}

private func featureMapFields(_ f: FeatureMap, _ w: Window) -> [(String, String)] {
  [
    ("ub", hex(f.address.byteOffset)), ("h", "\(f.height)"), ("w", "\(f.width)"), ("ps", "\(f.pixelStrideBytes)"),
    ("out", "\(w.outHeight)x\(w.outWidth)"), ("k", "\(w.kernelHeight)x\(w.kernelWidth)"),
    ("s", "\(w.strideHeight)x\(w.strideWidth)"), ("d", "\(w.dilationHeight)x\(w.dilationWidth)"),
    ("pad", "\(w.padTop),\(w.padLeft)"), ("c", "\(f.channelOffset)+\(f.channelCount)"),
  ]
}

private func destinationFields(_ d: PixelDestination) -> [(String, String)] {
  [("dst", hex(d.address.byteOffset)), ("dst_ps", "\(d.pixelStrideBytes)"), ("dst_rs", "\(d.rowStrideBytes)")]
}

private func viewText(_ v: VectorView) -> String {
  "\(hex(v.address.byteOffset))/\(v.outerStrideBytes)/\(v.innerStrideBytes)"
}

private func binaryFields(_ o: BinaryOperands) -> [(String, String)] {
  [("size", "\(o.outer)x\(o.inner)"), ("a", viewText(o.a)), ("b", viewText(o.b)), ("out", viewText(o.output))]
}

private func unaryFields(_ o: UnaryOperands) -> [(String, String)] {
  [("size", "\(o.outer)x\(o.inner)"), ("src", viewText(o.source)), ("out", viewText(o.output))]
}

private func clampText(_ r: ClosedRange<Int8>) -> String { "\(r.lowerBound),\(r.upperBound)" }

private func rangeList(_ ranges: [DRAMRange]) -> String {
  "[" + ranges.map { "\(hex($0.start.byteOffset))+\($0.byteCount)" }.joined(separator: ",") + "]"
}

private func hexBytes(_ bytes: ArraySlice<UInt8>) -> String {
  let digits = Array("0123456789abcdef".unicodeScalars)
  var s = String.UnicodeScalarView()
  for b in bytes {
    s.append(digits[Int(b >> 4)])
    s.append(digits[Int(b & 15)])
  }
  return String(s)
}

/// A double-quoted string literal: `"` and `\` escaped, control characters as `\u{hex}`, every
/// other character literal.
func quoted(_ text: String) -> String {
  var out = String.UnicodeScalarView()
  out.append("\"")
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": out.append(contentsOf: "\\\"".unicodeScalars)
    case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
    default:
      if scalar.value < 0x20 || scalar.value == 0x7F {
        out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
      } else {
        out.append(scalar)
      }
    }
  }
  out.append("\"")
  return String(out)
}

extension Instruction: CustomStringConvertible {
  /// The instruction's assembly line.
  public var description: String { assembly() }
}
