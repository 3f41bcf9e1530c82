import Support

@testable import TileISA

/// Seeded random programs with every instruction and field extremes, for round-trip tests.
///
/// `encodable` keeps every instruction field inside its binary encoding's width (so
/// `decode(encode(p)) == p` must hold); otherwise integer fields range over all of `Int`, which
/// only the assembly form can carry.
struct RandomProgramGenerator {
  var rng: SeededGenerator
  let encodable: Bool

  init(seed: UInt64, encodable: Bool) {
    rng = SeededGenerator(seed: seed)
    self.encodable = encodable
  }

  /// The minimum, the maximum, zero, or a random value of `range`, with equal odds.
  mutating func extreme(_ range: ClosedRange<Int>) -> Int {
    switch Int.random(in: 0..<4, using: &rng) {
    case 0: range.lowerBound
    case 1: range.upperBound
    case 2: range.contains(0) ? 0 : range.lowerBound
    default: Int.random(in: range, using: &rng)
    }
  }

  /// A field the encoding stores as `T` (any `Int` in assembly-only mode).
  mutating func field<T: FixedWidthInteger>(_ type: T.Type) -> Int {
    encodable ? extreme(Int(T.min)...Int(T.max > Int.max ? Int.max : Int(T.max))) : extreme(Int.min...Int.max)
  }

  mutating func u64() -> Int { encodable ? extreme(0...Int.max) : extreme(Int.min...Int.max) }
  mutating func int8() -> Int8 { Int8(extreme(-128...127)) }
  mutating func int32() -> Int32 { Int32(extreme(Int(Int32.min)...Int(Int32.max))) }
  mutating func clamp() -> ClosedRange<Int8> {
    let a = int8()
    let b = int8()
    return min(a, b)...max(a, b)
  }
  mutating func pick<T>(_ choices: [T]) -> T { choices[Int.random(in: 0..<choices.count, using: &rng)] }

  mutating func view() -> VectorView {
    VectorView(
      address: SRAMAddress(field(UInt32.self)), outerStrideBytes: field(UInt32.self), innerStrideBytes: field(UInt16.self))
  }

  mutating func featureMap() -> (FeatureMap, Window) {
    (
      FeatureMap(
        address: SRAMAddress(field(UInt32.self)), height: field(UInt16.self), width: field(UInt16.self),
        pixelStrideBytes: field(UInt32.self), channelOffset: field(UInt16.self), channelCount: field(UInt16.self)),
      Window(
        outHeight: field(UInt16.self), outWidth: field(UInt16.self), kernelHeight: field(UInt16.self),
        kernelWidth: field(UInt16.self), strideHeight: field(UInt16.self), strideWidth: field(UInt16.self),
        dilationHeight: field(UInt16.self), dilationWidth: field(UInt16.self), padTop: field(Int16.self),
        padLeft: field(Int16.self))
    )
  }

  mutating func destination() -> PixelDestination {
    PixelDestination(address: SRAMAddress(field(UInt32.self)), pixelStrideBytes: field(UInt32.self), rowStrideBytes: field(UInt32.self))
  }

  mutating func addParameters() -> AddParameters {
    AddParameters(
      aZeroPoint: int8(), bZeroPoint: int8(), outputZeroPoint: int8(), leftShift: field(UInt8.self), aMultiplier: int32(),
      aShift: field(Int8.self), bMultiplier: int32(), bShift: field(Int8.self), outputMultiplier: int32(),
      outputShift: field(Int8.self), clamp: clamp())
  }

  /// One operation of kind `kind` (0..<17 covers every operation and vector case).
  mutating func operation(_ kind: Int) -> Operation {
    switch kind {
    case 0, 1:
      let d = DMA2D(
        memory: pick(OnChipMemory.allCases), sramAddress: SRAMAddress(field(UInt32.self)), sramStrideBytes: field(UInt32.self),
        dramAddress: DRAMAddress(u64()), dramStrideBytes: field(UInt32.self), rows: field(UInt32.self),
        rowBytes: field(UInt32.self))
      return kind == 0 ? .load(d) : .store(d)
    case 2:
      var w = LoadWeights(
        slot: pick(WeightSlot.allCases), wbAddress: SRAMAddress(field(UInt32.self)), rows: field(UInt16.self),
        columns: field(UInt16.self), rowStrideBytes: field(UInt32.self), packing: pick(WeightPacking.allCases))
      // A ternary-grouped tile's table from fields already drawn (no extra draws keep the
      // stream, and so every later instruction, as it was before the packing existed).
      if w.packing.hasLevels {
        w.levels = GroupLevels(address: SRAMAddress(w.rowStrideBytes), group: w.columns, phase: w.rows)
      }
      return .loadWeights(w)
    case 3:
      let (input, window) = featureMap()
      return .matmul(
        Matmul(
          input: input, window: window, inputZeroPoint: int8(), weightSlot: pick(WeightSlot.allCases), columns: field(UInt16.self),
          groups: field(UInt16.self), accRow: AccumulatorRow(field(UInt32.self)), accumulate: pick([false, true]),
          dataflow: pick(Matmul.Dataflow.allCases)))
    case 4:
      return .activate(
        Activate(
          accRow: AccumulatorRow(field(UInt32.self)), height: field(UInt16.self), width: field(UInt16.self),
          columns: field(UInt16.self), paramAddress: SRAMAddress(field(UInt32.self)), mode: pick(RequantMode.allCases),
          outputZeroPoint: int8(), clamp: clamp(), destination: destination()))
    case 5, 6:
      let o = BinaryOperands(a: view(), b: view(), output: view(), outer: field(UInt32.self), inner: field(UInt32.self))
      return .vector(kind == 5 ? .add(o, addParameters()) : .sub(o, addParameters()))
    case 7:
      let o = BinaryOperands(a: view(), b: view(), output: view(), outer: field(UInt32.self), inner: field(UInt32.self))
      return .vector(
        .mul(
          o,
          MulParameters(
            aZeroPoint: int8(), bZeroPoint: int8(), outputZeroPoint: int8(), outputMultiplier: int32(),
            outputShift: field(Int8.self), clamp: clamp())))
    case 8, 9:
      let (input, window) = featureMap()
      let pool = Pool(input: input, window: window, destination: destination(), clamp: clamp())
      return .vector(kind == 8 ? .maxPool(pool) : .avgPool(pool))
    case 10:
      let o = UnaryOperands(source: view(), output: view(), outer: field(UInt32.self), inner: field(UInt32.self))
      return .vector(
        .requantize(
          o,
          RequantizeParameters(
            inputZeroPoint: int8(), outputZeroPoint: int8(), multiplier: int32(), shift: field(Int8.self), clamp: clamp())))
    case 11:
      return .vector(.copy(UnaryOperands(source: view(), output: view(), outer: field(UInt32.self), inner: field(UInt32.self))))
    case 12:
      return .host(HostTaskIndex(field(UInt32.self)))
    case 13:
      return .nop(pick(Queue.allCases))
    case 14:
      let o = UnaryOperands(source: view(), output: view(), outer: field(UInt32.self), inner: field(UInt32.self))
      return .vector(
        .softmax(
          o, SoftmaxParameters(inputMultiplier: int32(), inputShift: field(UInt8.self), diffMin: int32(), outputRange: clamp())))
    case 15:
      let o = UnaryOperands(source: view(), output: view(), outer: field(UInt32.self), inner: field(UInt32.self))
      return .vector(
        .mean(
          o,
          RequantizeParameters(
            inputZeroPoint: int8(), outputZeroPoint: int8(), multiplier: int32(), shift: field(Int8.self), clamp: clamp())))
    case 16:
      let o = UnaryOperands(source: view(), output: view(), outer: field(UInt32.self), inner: field(UInt32.self))
      return .vector(.lookup(o, table: SRAMAddress(field(UInt32.self))))
    default:
      return .finish
    }
  }

  static let operationKinds = 18

  mutating func instruction(_ kind: Int) -> Instruction {
    let op = operation(kind)
    let layer: LayerIndex? = pick([true, false]) ? LayerIndex(field(UInt16.self)) : nil
    return Instruction(op, dependencies: DependencyFlags(rawValue: UInt8(Int.random(in: 0..<16, using: &rng))), layer: layer)
  }

  /// Names exercising the string syntax: quotes, escapes, separators, control characters, Unicode.
  mutating func name() -> String {
    pick([
      "", "conv1", "a b", "quote\"d", "back\\slash", "semi;colon", "eq=uals", "[br,ack]", "tab\tnew\nline\r",
      "ünïcødé 🧮", "e\u{301}", "\u{7f}del", "model/conv_2d/Conv2D;bias+x", "0x10+3",
    ])
  }

  mutating func program(instructions count: Int) -> TileProgram {
    var image = DRAMImage()
    for _ in 0..<Int.random(in: 0...4, using: &rng) {
      let bytes = (0..<Int.random(in: 1...150, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
      image.write(bytes, at: DRAMAddress(Int.random(in: 0...1 << 40, using: &rng)))
    }
    var instructions = (0..<Self.operationKinds).map { instruction($0) }  // every kind at least once
    for _ in 0..<count { instructions.append(instruction(Int.random(in: 0..<Self.operationKinds, using: &rng))) }
    instructions.shuffle(using: &rng)
    var program = TileProgram(
      datapath: pick(TileProgram.Datapath.allCases),
      limits: MemoryLimits(
        unifiedBuffer: ByteCount(Int64(extreme(Int.min...Int.max))), weightBuffer: ByteCount(Int64(extreme(Int.min...Int.max))),
        accumulatorRows: extreme(Int.min...Int.max), arrayRows: extreme(Int.min...Int.max),
        arrayColumns: extreme(Int.min...Int.max)),
      dramSize: ByteCount(Int64(extreme(Int.min...Int.max))), dramImage: image,
      layers: (0..<Int.random(in: 0...4, using: &rng)).map { _ in LayerInfo(name: name(), opName: name()) },
      hostTasks: (0..<Int.random(in: 0...3, using: &rng)).map { _ in
        HostTask(
          name: name(),
          reads: (0..<Int.random(in: 0...2, using: &rng)).map { _ in
            DRAMRange(start: DRAMAddress(extreme(Int.min...Int.max)), byteCount: extreme(Int.min...Int.max))
          },
          writes: (0..<Int.random(in: 0...2, using: &rng)).map { _ in
            DRAMRange(start: DRAMAddress(extreme(Int.min...Int.max)), byteCount: extreme(Int.min...Int.max))
          },
          operations: extreme(0...Int.max))
      },
      inputs: (0..<Int.random(in: 0...3, using: &rng)).map { _ in binding() },
      outputs: (0..<Int.random(in: 0...3, using: &rng)).map { _ in binding() },
      instructions: instructions)
    // Tile coordinates on about a third of the instructions (drawn last, so the rest of the
    // program is what it was before tiles existed).
    for index in program.instructions.indices where Int.random(in: 0..<3, using: &rng) == 0 {
      func component() -> Int? {
        Int.random(in: 0..<2, using: &rng) == 0 ? nil : extreme(0...(encodable ? Int(UInt32.max) : Int.max))
      }
      program.tiles[index] = TileCoordinate(m: component(), n: component(), k: component())
    }
    return program
  }

  mutating func binding() -> IOBinding {
    IOBinding(
      name: name(), elementType: pick(IOElementType.allCases),
      shape: (0..<Int.random(in: 0...5, using: &rng)).map { _ in extreme(Int.min...Int.max) },
      address: DRAMAddress(extreme(Int.min...Int.max)))
  }
}
