import Foundation
import GoldenModel
import GraphIR
import Support
import SystoleTestSupport
import TFLiteImport
import Testing

/// SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND (issue 14), one op per file, and the dynamic-batch
/// DeepLab head that uses them around its dilated convolutions, against TFLite's reference-kernel
/// outputs (`make_space_batch_models.py`): int8 byte for byte, float32 within 1e-5 relative;
/// plus a seeded round trip and the importer's and kernels' one-line errors.
@Suite struct SpaceBatchOpTests {
  static let opSets: [ReferenceSet] = (try? Fixtures.referenceSets(key: "space_batch_ops")) ?? []
  static let networkSets: [ReferenceSet] = (try? Fixtures.referenceSets(key: "space_batch")) ?? []

  @Test func fixturesArePresent() throws {
    let ops = Set(try Fixtures.referenceSets(key: "space_batch_ops").map(\.stem))
    for op in [
      "space_to_batch_pad", "space_to_batch_nopad", "space_to_batch_batch2", "space_to_batch_3d",
      "batch_to_space_crop", "batch_to_space_nocrop", "batch_to_space_batch2", "batch_to_space_3d",
    ] {
      #expect(ops.contains(op + "_int8"), "missing reference set \(op)_int8")
      #expect(ops.contains(op + "_float"), "missing reference set \(op)_float")
    }
    #expect(Set(try Fixtures.referenceSets(key: "space_batch").map(\.stem)) == ["deeplab_head_dynamic_int8"])
  }

  @Test(arguments: opSets + networkSets)
  func matchesTFLiteReference(_ set: ReferenceSet) throws {
    let model = try set.loadResolved()
    let problems = try set.goldenMismatches(model)
    #expect(problems.isEmpty, "\(problems.prefix(3))")
  }

  /// The padded fixtures exercise the fill: some reference output elements are the output zero
  /// point where the input holds none (batch2's positive data puts the zero point at -128).
  @Test func paddedFixturesHoldTheZeroPoint() throws {
    func outputZeroPoint(_ set: ReferenceSet) throws -> Int64? {
      let graph = try TFLiteImporter.load(contentsOf: set.model).main
      return graph[graph.outputs[0]].quantization?.zeroPoint
    }
    for stem in ["space_to_batch_pad_int8", "space_to_batch_batch2_int8"] {
      let set = try ReferenceSet(stem: stem)
      let zp = try #require(try outputZeroPoint(set))
      let input = try set.inputs(invocation: 0)[0].integerValues
      let output = try set.outputs(invocation: 0)[0].integerValues
      #expect(output.count > input.count, "\(stem): no padding")
      #expect(
        output.filter { $0 == zp }.count >= output.count - input.count,
        "\(stem): fewer zero points than padded elements")
    }
    #expect(try outputZeroPoint(try ReferenceSet(stem: "space_to_batch_batch2_int8")) == -128)
  }

  /// The file's operators are the ones the converter writes for the dilated convolutions.
  @Test func dynamicDeepLabHasTheOps() throws {
    let model = try TFLiteImporter.load(contentsOf: try ReferenceSet(stem: "deeplab_head_dynamic_int8").model)
    let names = model.main.operators.map(\.kind.tfliteName)
    #expect(names.filter { $0 == "SPACE_TO_BATCH_ND" }.count == 2)
    #expect(names.filter { $0 == "BATCH_TO_SPACE_ND" }.count == 2)
    #expect(model.main.inputs.map { model.main[$0].declaredSignature?.first ?? 0 } == [-1])
  }

  /// The writer round-trips both ops.
  @Test(arguments: opSets.filter { $0.stem.hasSuffix("_int8") })
  func writerRoundTrips(_ set: ReferenceSet) throws {
    let model = try TFLiteImporter.load(contentsOf: set.model)
    let again = try TFLiteImporter.parse(try TFLiteWriter.serialize(model), source: set.stem)
    #expect(again.main.operators.map(\.kind) == model.main.operators.map(\.kind))
    var a = Interpreter(model: model)
    var b = Interpreter(model: again)
    let inputs = try set.inputs(invocation: 0)
    #expect(try a.invoke(inputs) == (try b.invoke(inputs)))
  }

  // MARK: - Graphs built in code

  static func graph(
    _ kind: OpKind, input: [Int], block: [Int32], edges: [Int32], edgeShape: [Int]? = nil, output: [Int],
    type: ElementType = .int32
  ) -> Model {
    let tensors = [
      Tensor(name: "x", shape: input, elementType: type),
      Tensor(
        name: "block", shape: [block.count], elementType: .int32,
        data: TensorData(shape: [block.count], storage: .int32(block))),
      Tensor(
        name: "edges", shape: edgeShape ?? [edges.count / 2, 2], elementType: .int32,
        data: TensorData(shape: edgeShape ?? [edges.count / 2, 2], storage: .int32(edges))),
      Tensor(name: "y", shape: output, elementType: type),
    ]
    let op = Operator(kind: kind, inputs: [TensorID(0), TensorID(1), TensorID(2)], outputs: [TensorID(3)])
    return Model(
      source: "edge",
      graphs: [Graph(name: "main", tensors: tensors, operators: [op], inputs: [TensorID(0)], outputs: [TensorID(3)])])
  }

  /// BATCH_TO_SPACE_ND with crops equal to SPACE_TO_BATCH_ND's paddings undoes it, for seeded
  /// shapes, blocks and paddings (rank 3 and 4); every input element appears once in between.
  @Test func seededRoundTrips() throws {
    var rng = SeededGenerator(seed: 14)
    for _ in 0..<40 {
      let rank = Int.random(in: 3...4, using: &rng)
      let spatial = rank - 2
      let n = Int.random(in: 1...2, using: &rng)
      let ch = Int.random(in: 1...3, using: &rng)
      var input = [n]
      var block: [Int32] = []
      var edges: [Int32] = []
      var out = [0]
      var product = 1
      for _ in 0..<spatial {
        let b = Int.random(in: 1...3, using: &rng)
        let size = Int.random(in: 1...5, using: &rng)
        let before = Int.random(in: 0...2, using: &rng)
        let after = (b - (size + before) % b) % b + b * Int.random(in: 0...1, using: &rng)
        input.append(size)
        block.append(Int32(b))
        edges += [Int32(before), Int32(after)]
        out.append((size + before + after) / b)
        product *= b
      }
      input.append(ch)
      out[0] = n * product
      out.append(ch)
      let count = input.reduce(1, *)
      let x = TensorData(shape: input, storage: .int32((0..<count).map { Int32($0 + 1) }))
      var s2b = Interpreter(
        model: Self.graph(.spaceToBatchND, input: input, block: block, edges: edges, output: out))
      let moved = try s2b.invoke([x])[0]
      #expect(moved.shape == out)
      let values = moved.integerValues
      #expect(values.filter { $0 != 0 }.sorted() == (1...Int64(count)).map { $0 }, "\(input) \(block) \(edges)")
      var b2s = Interpreter(
        model: Self.graph(.batchToSpaceND, input: out, block: block, edges: edges, output: input))
      #expect(try b2s.invoke([moved])[0] == x, "\(input) \(block) \(edges)")
    }
  }

  @Test func kernelErrorsNameTheOperator() throws {
    func message(_ model: Model, _ feed: [Int]) -> String {
      var interpreter = Interpreter(model: model)
      do {
        _ = try interpreter.invoke([TensorData(zeros: .int32, shape: feed)])
        return "accepted"
      } catch {
        return "\(error)"
      }
    }
    let notDividing = message(
      Self.graph(.spaceToBatchND, input: [1, 5, 4, 1], block: [2, 2], edges: [0, 0, 0, 0], output: [4, 2, 2, 1]),
      [1, 5, 4, 1])
    #expect(notDividing.contains("SPACE_TO_BATCH_ND"), "\(notDividing)")
    #expect(notDividing.contains("does not divide by block 2"), "\(notDividing)")
    #expect(!notDividing.contains("\n"))
    let badBatch = message(
      Self.graph(.batchToSpaceND, input: [3, 2, 2, 1], block: [2, 2], edges: [0, 0, 0, 0], output: [1, 4, 4, 1]),
      [3, 2, 2, 1])
    #expect(badBatch.contains("BATCH_TO_SPACE_ND"), "\(badBatch)")
    #expect(badBatch.contains("input batch 3 does not divide by the block product 4"), "\(badBatch)")
    let bigCrops = message(
      Self.graph(.batchToSpaceND, input: [4, 2, 2, 1], block: [2, 2], edges: [3, 2, 0, 0], output: [1, 0, 4, 1]),
      [4, 2, 2, 1])
    #expect(bigCrops.contains("crops 3 + 2 exceed dimension 1 (2 × block 2)"), "\(bigCrops)")
    // Huge blocks and paddings from a file: an error, never an allocation or a trap.
    let huge = message(
      Self.graph(
        .spaceToBatchND, input: [1, 1, 1, 1], block: [1 << 30, 1 << 30], edges: [0, (1 << 30) - 1, 0, (1 << 30) - 1],
        output: [1, 1, 1, 1]),
      [1, 1, 1, 1])
    #expect(huge.contains("has more than 2^31 - 1 elements"), "\(huge)")
  }

  @Test func importerRejectsMalformedOperands() throws {
    func importMessage(_ model: Model) throws -> String {
      let bytes = try TFLiteWriter.serialize(model)
      do {
        _ = try TFLiteImporter.parse(bytes, source: "s2b.tflite")
        return "accepted"
      } catch {
        return "\(error)"
      }
    }
    let wrongBlockCount = try importMessage(
      Self.graph(.spaceToBatchND, input: [1, 4, 4, 1], block: [2], edges: [0, 0, 0, 0], output: [2, 2, 4, 1]))
    #expect(wrongBlockCount.contains("SPACE_TO_BATCH_ND"), "\(wrongBlockCount)")
    #expect(wrongBlockCount.contains("expected 2 entries ≥ 1 for a rank-4 input"), "\(wrongBlockCount)")
    #expect(!wrongBlockCount.contains("\n"))
    let negativeCrops = try importMessage(
      Self.graph(.batchToSpaceND, input: [4, 2, 2, 1], block: [2, 2], edges: [0, -1, 0, 0], output: [1, 4, 4, 1]))
    #expect(negativeCrops.contains("BATCH_TO_SPACE_ND"), "\(negativeCrops)")
    #expect(negativeCrops.contains("crops is [0, -1, 0, 0] of shape [2, 2]; expected [2, 2] entries ≥ 0"), "\(negativeCrops)")
    let rank2 = try importMessage(
      Self.graph(.spaceToBatchND, input: [4, 4], block: [2], edges: [0, 0], output: [8, 2]))
    #expect(rank2.contains("input has rank 2; expected 3 or 4"), "\(rank2)")
  }
}
