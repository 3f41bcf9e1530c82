import Architecture
import Lowering
import SystoleTestSupport
import TFLiteImport
import Testing
import TileISA

/// The compiler records each instruction's tile (`TileProgram.tiles`): which spatial tile,
/// n-tile and K chunk of its layer it works on, for traces. Reports only: the programs verify and
/// round-trip with it.
@Suite struct TileCoordinateTests {
  @Test(arguments: [
    ("mlp_int8", "toy-4x4"), ("convpool_int8", "toy-4x4"), ("kws_dscnn_int8", "gemmini"), ("attention_int8", "vta"),
  ])
  func compiledProgramsCarryTiles(_ network: String, _ archName: String) throws {
    let model = try loadResolvedModel(Fixtures.model("\(network).tflite"))
    let arch = try ArchSpec.preset(named: archName)
    // Verified once, here (the pipeline's own verifier pass off).
    let program = try LoweringPipeline(arch: arch, options: LoweringOptions(verifyProgram: false)).compile(model).program
    #expect(ProgramVerifier.verify(program).isEmpty)
    #expect(program.tiles.keys.allSatisfy { program.instructions.indices.contains($0) })
    // Per layer: its matmuls' spatial tiles count 0, 1, 2, … and, for each (m, n), their K
    // chunks 0, 1, 2, … (a BATCH_MATMUL correction pass repeats its chunk's coordinate).
    var mByLayer: [Int: Set<Int>] = [:]
    var kByTile: [[Int]: Set<Int>] = [:]
    var matmuls = 0
    for (pc, instruction) in program.instructions.enumerated() {
      let tile = program.tile(at: pc)
      switch instruction.operation {
      case .matmul, .loadWeights:
        let (m, n, k) = (try #require(tile?.m), try #require(tile?.n), try #require(tile?.k))
        let layer = try #require(instruction.layer?.value)
        if case .matmul = instruction.operation {
          matmuls += 1
          mByLayer[layer, default: []].insert(m)
          kByTile[[layer, m, n], default: []].insert(k)
        }
      case .activate:
        #expect(tile?.m != nil && tile?.n != nil && tile?.k == nil, "activate at pc \(pc): \(String(describing: tile))")
      case .finish, .host:
        #expect(tile == nil)
      default:
        break
      }
    }
    #expect(matmuls > 0)
    for (layer, ms) in mByLayer { #expect(ms == Set(0..<ms.count), "layer \(layer) spatial tiles \(ms.sorted())") }
    for (key, ks) in kByTile {
      #expect(ks == Set(0..<ks.count), "layer \(key[0]) m \(key[1]) n \(key[2]): chunks \(ks.sorted())")
    }
    // The side table survives both forms.
    #expect(try TileProgram(parsingAssembly: program.assembly()) == program)
    #expect(try TileProgram(decoding: program.encoded()) == program)
  }
}
