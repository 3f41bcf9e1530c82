import Support

extension ModelSummary {
  /// The text report of `systole inspect`.
  public func renderText() -> String {
    var table = TextTable(
      headers: ["#", "op", "inputs", "output", "quantization", "act", "geometry", "MACs", "weight B"],
      alignments: [.right, .left, .left, .left, .left, .left, .left, .right, .right])
    for r in rows {
      table.append([
        String(r.index), r.op, r.inputs.joined(separator: ", "), r.outputs.joined(separator: ", "), r.quantization,
        r.activation == "NONE" ? "" : r.activation, r.geometry, r.macs > 0 ? groupedDigits(r.macs) : "",
        r.weightBytes > 0 ? groupedDigits(r.weightBytes) : "",
      ])
    }
    var out = "\(source): \(rows.count) operators"
    if subgraphs > 1 { out += " (+\(subgraphs - 1) subgraph\(subgraphs > 2 ? "s" : ""))" }
    out += "\n"
    out += "inputs:  " + inputs.joined(separator: ", ") + "\n"
    out += "outputs: " + outputs.joined(separator: ", ") + "\n\n"
    out += table.render() + "\n"
    out += "operators:        " + operatorCounts.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + "\n"
    out += "parameters:       \(groupedDigits(parameters))\n"
    out += "MACs:             \(groupedDigits(macs))\n"
    let ratio = weightBytesStored > 0 ? Double(weightBytesFloat32) / Double(weightBytesStored) : 0
    out += "weight bytes:     \(groupedDigits(weightBytesStored)) as stored, \(groupedDigits(weightBytesFloat32)) as float32"
    out += weightBytesStored > 0 ? String(format: " (%.2fx)\n", ratio) : "\n"
    out += "activation peak:  \(groupedDigits(activationPeakBytes)) bytes\n"
    if !unsupported.isEmpty {
      out += "\nnot imported (Systole does not support these operators; the rows and totals above leave them out):\n"
      for line in unsupported { out += "  unsupported: \(line)\n" }
    }
    return out
  }

  /// The JSON form of `systole inspect --json`; keys are documented in `docs/cli.md`.
  public func json() -> JSONValue {
    guard case .object(var fields) = baseJSON() else { preconditionFailure("the summary is an object") }
    // Only a partially shown model has the key (scripts reading whole models see no change).
    if !unsupported.isEmpty { fields.append(("unsupported", .array(unsupported.map { .string($0) }))) }
    return .object(fields)
  }

  func baseJSON() -> JSONValue {
    .object([
      ("source", .string(source)),
      ("subgraphs", .int(subgraphs)),
      ("inputs", .array(inputs.map { .string($0) })),
      ("outputs", .array(outputs.map { .string($0) })),
      (
        "operators",
        .array(
          rows.map { r in
            .object([
              ("index", .int(r.index)), ("op", .string(r.op)), ("name", .string(r.name)),
              ("inputs", .array(r.inputs.map { .string($0) })), ("outputs", .array(r.outputs.map { .string($0) })),
              ("quantization", .string(r.quantization)), ("activation", .string(r.activation)),
              ("geometry", .string(r.geometry)), ("macs", .int(r.macs)), ("weight_bytes", .int(r.weightBytes)),
            ])
          })
      ),
      (
        "totals",
        .object([
          ("operator_counts", .object(operatorCounts.map { ($0.0, .int($0.1)) })),
          ("parameters", .int(parameters)),
          ("macs", .int(macs)),
          ("weight_bytes_stored", .int(weightBytesStored)),
          ("weight_bytes_float32", .int(weightBytesFloat32)),
          ("activation_peak_bytes", .int(activationPeakBytes)),
        ])
      ),
    ])
  }
}
