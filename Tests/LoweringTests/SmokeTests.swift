import Architecture
import GraphIR
import Lowering
import Testing

@Suite struct SmokeTests {
  @Test func fullyConnectedOnEveryPreset() throws {
    let model = TestModels.fullyConnected(m: 3, k: 20, n: 7)
    for arch in allPresets {
      let (problems, _) = try compileAndCompare(model, on: arch, inputs: randomInputs(model, seed: 1))
      #expect(problems.isEmpty, "\(problems)")
    }
  }

  @Test func convolutionOnEveryPreset() throws {
    let model = TestModels.conv(h: 6, w: 5, c: 3, n: 5)
    for arch in allPresets {
      let (problems, _) = try compileAndCompare(model, on: arch, inputs: randomInputs(model, seed: 2))
      #expect(problems.isEmpty, "\(problems)")
    }
  }
}
