import Architecture
import Support
import Testing
import TileISA

@testable import CycleSim

/// Each unit's state machine on its own, without the engine.
@Suite("unit state machines")
struct UnitTests {
  @Test("DRAM channel: one transfer waits the latency, then streams at min(bandwidth, port)")
  func dramAlone() {
    // 340/7 B/cycle (TPU started1), latency 70.
    var channel = DRAMChannel(bytesPerCycle: Rational(340, 7), latency: 70)
    let started1 = channel.start(.load, instruction: 5, bytes: 1000, portBytesPerCycle: 256)
    #expect(started1)
    #expect(channel.isBusy(.load) && !channel.isBusy(.store))
    #expect(channel.nextEvent == 70)
    let completed2 = channel.advance(to: 70)
    #expect(completed2.isEmpty)
    let end = 70 + (7 * 1000 + 339) / 340  // ⌈1000 / (340/7)⌉
    #expect(channel.nextEvent == Int64(end))
    let completed3 = channel.advance(to: Int64(end) - 1)
    #expect(completed3.isEmpty, "not done one cycle early")
    let completed4 = channel.advance(to: Int64(end))
    #expect(completed4.load == 5, "done exactly at latency + ⌈B / bw⌉")
    #expect(channel.nextEvent == nil && !channel.isBusy(.load))
  }

  @Test("DRAM channel: a port narrower than the bandwidth sets the rate")
  func dramPortCap() {
    var channel = DRAMChannel(bytesPerCycle: Rational(16), latency: 0)
    let started5 = channel.start(.store, instruction: 1, bytes: 100, portBytesPerCycle: 3)
    #expect(started5)
    #expect(channel.nextEvent == 34)  // ⌈100 / 3⌉
    let completed6 = channel.advance(to: 34)
    #expect(completed6.store == 1)
  }

  @Test("DRAM channel: a transfer joining later shares from then on")
  func dramLateJoin() {
    var channel = DRAMChannel(bytesPerCycle: Rational(8), latency: 2)
    let started7 = channel.start(.load, instruction: 0, bytes: 80, portBytesPerCycle: 64)
    #expect(started7)
    let completed8 = channel.advance(to: 2)
    #expect(completed8.isEmpty)  // streaming from 2 at 8 B/cycle
    let completed9 = channel.advance(to: 4)
    #expect(completed9.isEmpty)  // 16 bytes moved, 64 left
    let started10 = channel.start(.store, instruction: 1, bytes: 24, portBytesPerCycle: 64)
    #expect(started10)  // streams from 6
    #expect(channel.nextEvent == 6)
    let completed11 = channel.advance(to: 6)
    #expect(completed11.isEmpty)  // load: 48 left; both now at 4 B/cycle
    #expect(channel.nextEvent == 12)  // store: 24 / 4
    let completed12 = channel.advance(to: 12)
    #expect(completed12.store == 1)  // load: 24 left, alone again at 8
    #expect(channel.nextEvent == 15)
    let completed13 = channel.advance(to: 15)
    #expect(completed13.load == 0)
  }

  @Test("DRAM channel: overflowing byte counts are refused, not trapped")
  func dramOverflow() {
    var channel = DRAMChannel(bytesPerCycle: Rational(340, 7), latency: 0)
    let started14 = channel.start(.load, instruction: 0, bytes: Int64.max / 3, portBytesPerCycle: 1)
    #expect(!started14)
    #expect(!channel.isBusy(.load))
  }

  @Test("serial unit: idle → busy → idle at exactly its completion")
  func serialUnit() {
    var unit = SerialUnit()
    #expect(!unit.isBusy && unit.nextEvent == nil)
    unit.issue(RunningInstruction(instruction: 3, queued: 0, start: 10, busyUntil: 15, done: 15, footprint: .none))
    #expect(unit.isBusy && unit.nextEvent == 15)
    let retired15 = unit.retire(at: 14)
    #expect(retired15 == nil)
    let retired16 = unit.retire(at: 15)
    #expect(retired16?.instruction == 3)
    #expect(!unit.isBusy)
  }

  @Test("array unit: accepts the next matmul after the stream, completes in order after fill and drain")
  func arrayUnit() {
    var array = ArrayUnit()
    #expect(array.canIssue(at: 0) && !array.isActive)
    array.issue(RunningInstruction(instruction: 1, queued: 0, start: 0, busyUntil: 4, done: 10, footprint: .none))
    #expect(!array.canIssue(at: 3) && array.canIssue(at: 4))
    #expect(array.nextEvent(after: 0) == 4)
    array.issue(RunningInstruction(instruction: 2, queued: 0, start: 4, busyUntil: 6, done: 12, footprint: .none))
    #expect(array.nextEvent(after: 4) == 6)
    #expect(array.nextEvent(after: 6) == 10)
    let retired17 = array.retire(at: 9)
    #expect(retired17 == nil)
    let retired18 = array.retire(at: 10)
    #expect(retired18?.instruction == 1)
    let retired19 = array.retire(at: 10)
    #expect(retired19 == nil && array.isActive)
    let retired20 = array.retire(at: 12)
    #expect(retired20?.instruction == 2)
    #expect(!array.isActive && array.nextEvent(after: 12) == nil)
  }

  @Test("ring buffer keeps order across growth and wrap-around")
  func ring() {
    var ring = Ring<Int>()
    var expected: [Int] = []
    for round in 0..<5 {
      for i in 0..<(round * 13 + 3) {
        ring.append(round * 1000 + i)
        expected.append(round * 1000 + i)
      }
      for _ in 0..<(round * 7 + 1) {
        let removed21 = ring.removeFirst()
        #expect(removed21 == expected.removeFirst())
      }
      #expect(ring.count == expected.count)
    }
    while let x = ring.removeFirst() { #expect(x == expected.removeFirst()) }
    #expect(expected.isEmpty && ring.isEmpty)
  }

  @Test("bandwidths become exact fractions")
  func rationals() {
    for arch in ArchSpec.presets.map(\.spec) {
      guard let r = Rational.approximating(arch.dramBytesPerCycle) else {
        Issue.record("\(arch.name): no fraction")
        continue
      }
      #expect(abs(r.doubleValue - arch.dramBytesPerCycle) <= 1e-12 * arch.dramBytesPerCycle, "\(arch.name)")
    }
    #expect(Rational.approximating(34 * 1000 / 700.0) == Rational(340, 7))
    #expect(Rational.approximating(0.4 * 1000 / 100) == Rational(4))
    #expect(Rational.approximating(15.75 * 1000 / 700) == Rational(45, 2))
    #expect(Rational.approximating(0) == nil && Rational.approximating(.infinity) == nil)
  }

  @Test("in-image taps per axis match counting every (output, tap) pair")
  func taps() {
    var rng = SeededGenerator(seed: 3)
    for _ in 0..<500 {
      let out = Int.random(in: 1...9, using: &rng), stride = Int.random(in: 1...3, using: &rng)
      let pad = Int.random(in: -2...3, using: &rng), kernel = Int.random(in: 1...5, using: &rng)
      let dilation = Int.random(in: 1...3, using: &rng), size = Int.random(in: 1...12, using: &rng)
      var brute: Int64 = 0
      for o in 0..<out {
        for t in 0..<kernel {
          let i = o * stride - pad + t * dilation
          if i >= 0 && i < size { brute += 1 }
        }
      }
      #expect(axisTaps(out: out, stride: stride, pad: pad, kernel: kernel, dilation: dilation, size: size) == brute)
    }
  }

  @Test("footprints: conflicts are writes meeting reads or writes; reads never conflict with reads")
  func footprints() {
    let mm = Footprint(
      Instruction(.matmul(gemm(ub: 0x100, pixels: 4, k: 4, n: 4, acc: 4))), elementBytes: 1, arrayColumns: 4,
      doubleBuffered: true)
    let act = Footprint(
      Instruction(.activate(activation(acc: 4, pixels: 2, n: 4, params: 0, ub: 0x200))), elementBytes: 1,
      arrayColumns: 4, doubleBuffered: true)
    let otherAct = Footprint(
      Instruction(.activate(activation(acc: 8, pixels: 2, n: 4, params: 0, ub: 0x200))), elementBytes: 1,
      arrayColumns: 4, doubleBuffered: true)
    let overwriteInput = Footprint(
      Instruction(.activate(activation(acc: 8, pixels: 2, n: 4, params: 0, ub: 0x108))), elementBytes: 1,
      arrayColumns: 4, doubleBuffered: true)
    let load0 = Footprint(
      Instruction(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: 4, columns: 4))), elementBytes: 1,
      arrayColumns: 4, doubleBuffered: true)
    let load1 = Footprint(
      Instruction(.loadWeights(LoadWeights(slot: .second, wbAddress: 0, rows: 4, columns: 4))), elementBytes: 1,
      arrayColumns: 4, doubleBuffered: true)
    #expect(act.conflicts(with: mm) && mm.conflicts(with: act), "accumulator rows 4..<6")
    #expect(!otherAct.conflicts(with: mm) && !mm.conflicts(with: otherAct))
    #expect(overwriteInput.conflicts(with: mm), "writes the matmul's input")
    #expect(load0.conflicts(with: mm) && mm.conflicts(with: load0), "slot 0")
    #expect(!load1.conflicts(with: mm), "double buffering: the other slot is free")
    let single = Footprint(
      Instruction(.loadWeights(LoadWeights(slot: .second, wbAddress: 0, rows: 4, columns: 4))), elementBytes: 1,
      arrayColumns: 4, doubleBuffered: false)
    #expect(single.conflicts(with: mm), "without double buffering every load waits")
    #expect(!Footprint.none.conflicts(with: mm))
  }

  @Test("every instruction class has exactly one timing rule, in declaration order")
  func timingTable() {
    #expect(TimingRule.table.map(\.instructionClass) == InstructionClass.allCases)
    for c in InstructionClass.allCases {
      #expect(TimingRule.rule(for: c).instructionClass == c)
    }
  }
}
