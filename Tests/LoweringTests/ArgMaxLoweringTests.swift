import Architecture
import Foundation
import GoldenModel
import GraphIR
import Support
import SystoleTestSupport
import Testing
import TileISA

@testable import Lowering

// issue 14: argmax

/// int8 ARG_MAX placement: `vreduce fn=argmax32|argmax64` on the vector unit on every preset,
/// bit-exact with the committed TFLite outputs (int32 and int64 indices) and with the golden
/// model's `argMax` on seeded shapes full of ties; float32 input, a run-time axis and columns
/// that do not fit the unified buffer stay on the host.
@Suite struct ArgMaxLoweringTests {
  static func isArgMax(_ i: Instruction) -> Bool {
    if case .vector(.reduce(_, let f, _)) = i.operation { return f.indexBytes != nil }
    return false
  }

  @Test("the committed ARG_MAX fixtures: int8 on the vector unit on every preset, float32 on the host, bit-exact with TFLite")
  func fixturesOnEveryPreset() throws {
    let sets = try Fixtures.referenceSets(key: "vision_ops").filter { $0.stem.hasPrefix("arg_max_") }
    #expect(sets.map(\.stem).sorted() == ["arg_max_int32_float", "arg_max_int32_int8", "arg_max_int64_float", "arg_max_int64_int8"])
    var runs = 0
    for set in sets {
      let model = try set.loadResolved()
      let int8 = set.stem.hasSuffix("_int8")
      for arch in allPresets {
        let compiled = try LoweringPipeline(arch: arch).compile(model)
        let ops = compiled.report.operators.filter { $0.opName == "ARG_MAX" }
        #expect(ops.count == 1, "\(set.stem) on \(arch.name)")
        if int8 {
          #expect(
            ops.allSatisfy { $0.placement == .vectorUnit && $0.reason.contains("vreduce fn=argmax") },
            "\(set.stem) on \(arch.name): \(ops.map(\.reason))")
          #expect(compiled.program.instructions.contains(where: Self.isArgMax), "\(set.stem) on \(arch.name)")
          #expect(ProgramVerifier.verify(compiled.program).isEmpty, "\(set.stem) on \(arch.name)")
        } else {
          #expect(ops.allSatisfy { $0.placement == .host }, "\(set.stem) on \(arch.name): \(ops.map(\.reason))")
        }
        let mismatches = try mismatchesWithTFLite(
          set, model, compiled, label: "\(set.stem) on \(arch.name)", relativeTolerance: 0)
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
        runs += 1
      }
    }
    #expect(runs == 4 * 5)
    let reasons = try sets.filter { $0.stem.hasSuffix("_int8") }.sorted { $0.stem < $1.stem }.map { set in
      try LoweringPipeline(arch: .edgeTPU).compile(set.loadResolved()).report.operators.filter { $0.opName == "ARG_MAX" }
        .map(\.reason)
    }
    #expect(
      reasons == [
        [
          "ARG_MAX: vreduce fn=argmax32 on the vector unit over axis 3 (20 rows of 6, one row per lane); the first index of the maximum, as int32"
        ],
        [
          "ARG_MAX: vreduce fn=argmax64 on the vector unit over axis 1 (1 × 5 reduced × 7 inner); the first index of the maximum, as int64"
        ],
      ])
  }

  /// One int8 ARG_MAX over `axis` of `shape` with an `type` index output.
  static func model(_ shape: [Int], axis: Int32, type: ElementType, constantAxis: Bool = true) -> Model {
    var g = GraphBuilder(seed: 14)
    let x = g.activation("x", shape, scale: 0.04, zeroPoint: -3)
    let a: TensorID
    if constantAxis {
      a = g.int32("axis", [1], [axis])
    } else {
      g.tensors.append(Tensor(name: "axis", shape: [1], elementType: .int32))
      a = TensorID(g.tensors.count - 1)
    }
    let r = axis < 0 ? Int(axis) + shape.count : Int(axis)
    var outShape = shape
    outShape.remove(at: r)
    g.tensors.append(Tensor(name: "y", shape: outShape, elementType: type))
    let y = TensorID(g.tensors.count - 1)
    g.op(.argMax(outputType: type), [x, a], [y])
    return g.model("arg_max", inputs: constantAxis ? [x] : [x, a], outputs: [y])
  }

  /// Seeded int8 values from a few codes (ties everywhere), with some whole tensors of one code
  /// (every row all-equal, −128 included).
  static func tiedInputs(_ shape: [Int], seed: UInt64) -> [[TensorData]] {
    var rng = SeededGenerator(seed: seed)
    let n = shape.reduce(1, *)
    let codes: [Int8] = [-128, -5, 0, 7, 127]
    let mixed = (0..<n).map { _ in codes[Int(rng.next() % UInt64(codes.count))] }
    let lowTies = (0..<n).map { _ in Int8(-128 + Int(rng.next() % 2)) }
    return [mixed, lowTies, [Int8](repeating: -128, count: n), [Int8](repeating: 42, count: n)].map {
      [TensorData(shape: shape, storage: .int8($0))]
    }
  }

  @Test("seeded shapes, axes and ties equal the golden model's argMax on every preset")
  func seededTies() throws {
    var rng = SeededGenerator(seed: 1415)
    // A column of 300 (indices past one byte) on the 600-byte `tight-8x8` needs a block per column.
    var cases: [([Int], Int32, ElementType)] = [([2, 300, 3], 1, .int64), ([1, 1, 6], 1, .int32)]
    for trial in 0..<5 {
      let rank = [2, 3, 4][trial % 3]
      let shape = (0..<rank).map { _ in [1, 2, 3, 5, 9][Int(rng.next() % 5)] }
      let axis = Int(rng.next() % UInt64(rank))
      cases.append((shape, Int32(Bool.random(using: &rng) ? axis : axis - rank), trial % 2 == 0 ? .int32 : .int64))
    }
    var compared = 0
    for (n, (shape, axis, type)) in cases.enumerated() {
      let model = Self.model(shape, axis: axis, type: type)
      for arch in allPresets + [oddArchs[1]] {
        let (problems, compiled) = try compileAndCompare(
          model, on: arch, inputs: Self.tiedInputs(shape, seed: UInt64(n)), label: "ARG_MAX \(shape) axis \(axis)")
        // All-equal inputs give all-zero indices: the harness calls those outputs degenerate.
        #expect(problems.filter { !$0.contains("degenerate") }.isEmpty, "\(problems)")
        #expect(compiled.report.operators[0].placement == .vectorUnit, "\(compiled.report.operators[0].reason)")
        #expect(compiled.program.instructions.contains(where: Self.isArgMax))
        compared += 1
      }
    }
    #expect(compared == 7 * 6)
  }

  @Test("a run-time axis and a column larger than the unified buffer stay on the host, with the reason")
  func hostCases() throws {
    let runtime = try LoweringPipeline(arch: .edgeTPU).compile(
      Self.model([2, 8], axis: 1, type: .int32, constantAxis: false)
    ).report.operators[0]
    #expect(runtime.placement == .host)
    #expect(runtime.reason == "ARG_MAX: the axis is not constant; runs on the host")
    let long = try LoweringPipeline(arch: oddArchs[1]).compile(Self.model([2, 700], axis: 1, type: .int64))
      .report.operators[0]
    #expect(long.placement == .host)
    #expect(
      long.reason
        == "ARG_MAX: one column of 700 elements and its index need 708 B of unified buffer; tight-8x8 has 600 B; runs on the host"
    )
  }
}
