import Architecture
import Lowering
import ModelZoo
import Testing
import TileISA

/// In-place arena reads (`memory.arena_in_place`, docs/compiler.md §9): the array reads an
/// on-chip input where the arena holds it, results stay bit-exact with the golden model, and
/// the report counts the bytes not copied or names why a copy was kept.
@Suite struct ArenaInPlaceLoweringTests {
  /// Arena → unified-buffer load bytes and matmuls whose input lies in the arena.
  func arenaUse(_ p: TileProgram) -> (loads: Int, inPlaceMatmuls: Int) {
    let arenaBase = Int(p.limits.unifiedBuffer.count - p.arenaSize.count)
    var loads = 0
    var inPlace = 0
    for instruction in p.instructions {
      switch instruction.operation {
      case .load(let d) where d.memory == .unifiedBuffer && d.backing == .arena: loads += d.totalBytes
      case .matmul(let m) where p.arenaSize.count > 0 && m.input.address.byteOffset >= arenaBase: inPlace += 1
      default: break
      }
    }
    return (loads, inPlace)
  }

  @Test(arguments: [true, false])
  func mobileNetOnChipIsBitExactEitherWay(_ inPlace: Bool) throws {
    let model = try ModelZoo.model(named: "mobilenet_v2", inputSize: 32)
    var arch = ArchSpec.edgeTPU
    arch.memory.arenaInPlace = inPlace
    let (problems, compiled) = try compileAndCompare(
      model, on: arch, options: LoweringOptions(depthwise: .array), inputs: randomInputs(model, seed: 21, count: 1),
      label: "in place \(inPlace)")
    #expect(problems.isEmpty, "\(problems.prefix(3))")
    let use = arenaUse(compiled.program)
    let matrix = compiled.report.operators.filter { $0.placement == .systolicArray }
    let onChipInput = matrix.filter { $0.inputs.contains { $0.storage == .arena } }
    #expect(!onChipInput.isEmpty)
    if inPlace {
      #expect(use.inPlaceMatmuls > 0)
      #expect(onChipInput.allSatisfy { $0.arenaBytesReadInPlace > 0 || $0.arenaCopyReason != nil })
      #expect(compiled.report.rendered().contains("arena inputs read in place:"))
    } else {
      #expect(use.inPlaceMatmuls == 0)
      #expect(onChipInput.allSatisfy { $0.arenaBytesReadInPlace == 0 })
      #expect(onChipInput.allSatisfy { $0.arenaCopyReason == "memory.arena_in_place = false" })
    }
  }

  @Test func inPlaceRemovesInputCopies() throws {
    let model = try ModelZoo.model(named: "mobilenet_v2", inputSize: 32)
    var copy = ArchSpec.edgeTPU
    copy.memory.arenaInPlace = false
    let options = LoweringOptions(depthwise: .array)
    let with = try LoweringPipeline(arch: .edgeTPU, options: options).compile(model)
    let without = try LoweringPipeline(arch: copy, options: options).compile(model)
    #expect(arenaUse(with.program).loads < arenaUse(without.program).loads)
    #expect(with.report.totals.arrayMACs == without.report.totals.arrayMACs)
  }
}
