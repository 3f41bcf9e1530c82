import GraphIR
import Reporting
import SystoleTestSupport
import TFLiteImport
import Testing

@Suite struct TextTableTests {
  @Test func alignsColumnsWithoutTrailingSpaces() {
    var t = TextTable(headers: ["op", "MACs"], alignments: [.left, .right])
    t.append(["CONV_2D", "110,592"])
    t.append(["ADD", ""])
    #expect(t.render() == "op          MACs\n-------  -------\nCONV_2D  110,592\nADD\n")
  }

  @Test func groupsDigits() {
    #expect(groupedDigits(0) == "0")
    #expect(groupedDigits(999) == "999")
    #expect(groupedDigits(1000) == "1,000")
    #expect(groupedDigits(-4_089_184_256) == "-4,089,184,256")
  }
}

@Suite struct ModelSummaryTests {
  @Test func totalsAreSumsOfRowsAndTensors() throws {
    for set in try Fixtures.referenceSets() where set.stem.hasSuffix("_int8") && !set.stem.contains("/") {
      let model = try set.loadResolved()
      let s = ModelSummary(model: model)
      #expect(s.rows.count == model.main.operators.count)
      #expect(s.macs == s.rows.reduce(0) { $0 + $1.macs })
      #expect(s.operatorCounts.reduce(0) { $0 + $1.1 } == s.rows.count)
      #expect(s.weightBytesFloat32 == s.parameters * 4)
      // int8 weights and int32 biases: stored bytes lie between 1 and 4 bytes per parameter.
      #expect(s.weightBytesStored >= s.parameters && s.weightBytesStored <= s.parameters * 4)
    }
  }

  /// The activation peak of a hand-built chain x → A → B → C is the largest pair of neighbours.
  @Test func activationPeakOfAChain() {
    let t = { (n: String, c: Int) in Tensor(name: n, shape: [1, c], elementType: .int8) }
    let tensors = [t("x", 10), t("a", 100), t("b", 7), t("c", 50)]
    let ops = (0..<3).map { Operator(kind: .relu, inputs: [TensorID($0)], outputs: [TensorID($0 + 1)]) }
    let g = Graph(name: "g", tensors: tensors, operators: ops, inputs: [TensorID(0)], outputs: [TensorID(3)])
    let s = ModelSummary(model: Model(source: "chain", graphs: [g]))
    #expect(s.activationPeakBytes == 10 + 100)
  }
}
