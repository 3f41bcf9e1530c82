import Architecture
import Foundation
import Support
import Sweeps
import Testing

@Suite struct SweepParsingTests {
  @Test func varyKinds() throws {
    let base = try smallBase()
    let axes = try SweepSpec.parseAxes(
      ["array.rows=32,64", "dataflow=ws,os,is", "double-buffering=on,off", "ub.kib = 256, 512"], base: base)
    #expect(axes.map(\.kind) == [.parameter, .parameter, .compilerOption, .parameter])
    #expect(axes[3].key == "ub.kib")
    #expect(axes[3].values == ["256", "512"])
    #expect(try SweepAxis.parse("array=32x32,64x64", base: base).kind == .arrayShape)
    #expect(try SweepAxis.parse("array=32x32", base: base).baseValue(in: base) == "64x64")
  }

  @Test(arguments: [
    ("array.rows", "--vary array.rows: expected KEY=V1,V2,... such as array.rows=32,64"),
    ("=32,64", "--vary =32,64: the key is empty; expected KEY=V1,V2,... such as array.rows=32,64"),
    ("array.rows=", "--vary array.rows=: array.rows: no values; expected at least one after '='"),
    ("array.rows=32,,64", "--vary array.rows=32,,64: array.rows: value 2 of 3 is empty"),
    ("array.rows=32,64,32", "--vary array.rows=32,64,32: array.rows: value '32' appears twice (values 1 and 3)"),
    ("array.rows=32,abc", "--vary array.rows=32,abc: array.rows: expected a positive integer, got \"abc\""),
    ("array.rows=0", "--vary array.rows=0: array.rows: expected a positive integer, got 0"),
    ("dataflow=ws,xs", "--vary dataflow=ws,xs: dataflow: expected one of ws, os, is, got \"xs\""),
    ("array=32x32,3y3", "--vary array=32x32,3y3: array: expected ROWSxCOLS such as 32x32, got \"3y3\""),
    ("ub.kib=0.1", "--vary ub.kib=0.1: ub.kib: expected a positive size in KiB (whole bytes), got 0.1 (102.4 bytes)"),
  ])
  func varyErrors(text: String, message: String) throws {
    #expect(throws: SweepError.self) { try SweepAxis.parse(text, base: try smallBase()) }
    do {
      _ = try SweepAxis.parse(text, base: try smallBase())
    } catch let error as SweepError {
      #expect(error.description == message)
      #expect(error.kind == .badAxis)
    }
  }

  @Test func unknownDottedKeyQuotesTheArchitectureMessage() throws {
    let arch = archMessageFor("array.rowz=32")
    do {
      _ = try SweepAxis.parse("array.rowz=32,64", base: try smallBase())
      Issue.record("expected an error")
    } catch let error as SweepError {
      #expect(error.description == "--vary array.rowz=32,64: " + arch)
      #expect(error.description.contains("array.rowz"))
    }
  }

  func archMessageFor(_ override: String) -> String {
    var spec = ArchSpec.defaults
    do {
      try spec.apply(override: override)
      return ""
    } catch {
      return String(error.description.dropFirst("--set \(override): ".count))
    }
  }

  @Test func overlappingAxesAreRejected() throws {
    let base = try smallBase()
    #expect(throws: SweepError.self) { try SweepSpec.parseAxes(["array=32x32", "array.cols=16"], base: base) }
    expectError("--vary dataflow=os: dataflow is already varied") {
      _ = try SweepSpec.parseAxes(["dataflow=ws", "dataflow=os"], base: base)
    }
    expectError("--vary array.cols=16: array.cols overlaps --vary array") {
      _ = try SweepSpec.parseAxes(["array=32x32", "array.cols=16"], base: base)
    }
  }

  @Test(arguments: [
    ("1/4", "1/4"), ("0/1", "0/1"),
  ])
  func shardParses(text: String, shown: String) throws {
    #expect(try SweepShard.parse(text).description == shown)
  }

  @Test(arguments: [
    ("4/4", "--shard 4/4: I must be in 0..<4 (shards count from 0), got 4"),
    ("1/0", "--shard 1/0: N must be at least 1, got 0"),
    ("a/b", "--shard a/b: expected I/N such as 0/4"),
    ("3", "--shard 3: expected I/N such as 0/4"),
  ])
  func shardErrors(text: String, message: String) {
    do {
      _ = try SweepShard.parse(text)
      Issue.record("expected an error for \(text)")
    } catch {
      #expect(error.description == message)
    }
  }

  @Test(arguments: [
    ("", "points.csv:1: empty file; expected a header of keys such as array,dataflow"),
    ("array,dataflow\n", "points.csv:1: no points after the header"),
    ("array,dataflow\n32x32,ws\n64x64\n", "points.csv:3: expected 2 cells, got 1"),
    ("array,dataflow\n32x32,ws\n\n64x64,qs\n", "points.csv:4: dataflow: expected one of ws, os, is, got \"qs\""),
    ("array,array\n32x32,32x32\n", "points.csv:1: key 'array' appears twice"),
    ("array,\n32x32,1\n", "points.csv:1: column 2 has an empty key"),
    ("array\n\"32x32\n", "points.csv:2: a quoted cell is never closed"),
  ])
  func pointsFileErrors(text: String, message: String) throws {
    do {
      _ = try SweepPointsFile.parse(text, file: "points.csv", base: try smallBase())
      Issue.record("expected an error")
    } catch let error as SweepError {
      #expect(error.description == message)
    }
  }

  @Test func csvRoundTrip() throws {
    let study = try SweepRunner.run(spec: try exampleSpec(), evaluator: FakeEvaluator())
    let text = study.csv()
    let parsed = try SweepCSV.parse(text, file: "study.csv")
    #expect(parsed.rows == study.rows)
    #expect(parsed.columns == study.columns)
    #expect(parsed.energyComponents == study.energyComponents)
    #expect(parsed.csv() == text)
  }

  @Test func csvQuotesCellsWithCommasAndQuotes() throws {
    let row = SweepRow(
      index: 0, id: "0123456789abcdef", model: "a,b", settings: ["x\"y"], metrics: nil,
      invalidReason: "bad, \"really\"", area: nil)
    let study = SweepStudy(columns: ["opt"], energyComponents: [], rows: [row])
    let text = study.csv()
    #expect(text.contains("0,0123456789abcdef,\"a,b\",\"x\"\"y\","))
    #expect(text.contains(",\"invalid: bad, \"\"really\"\"\",false,false\n"))
    #expect(try SweepCSV.parse(text, file: "q.csv").rows == [row])
  }

  @Test(arguments: [
    ("", "s.csv:1: empty file; expected a sweep CSV header starting with point,id,model"),
    ("a,b\n", "s.csv:1: not a sweep CSV: expected a header starting with point,id,model and a cycles column"),
  ])
  func csvHeaderErrors(text: String, message: String) {
    do {
      _ = try SweepCSV.parse(text, file: "s.csv")
      Issue.record("expected an error")
    } catch {
      #expect(error.description == message)
    }
  }

  @Test func csvCellErrorsNameFileLineAndColumn() throws {
    let text = try SweepRunner.run(spec: try exampleSpec(), evaluator: FakeEvaluator()).csv()
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var cells = lines[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    #expect(cells.count > 7)
    cells[6] = "many"  // the cycles column of an ok row
    lines[2] = cells.joined(separator: ",")
    do {
      _ = try SweepCSV.parse(lines.joined(separator: "\n"), file: "s.csv")
      Issue.record("expected an error")
    } catch {
      #expect(error.description == "s.csv:3: column 'cycles': expected an integer, got \"many\"")
    }
  }

  @Test func mergeRejectsConflictingParts() throws {
    let whole = try SweepRunner.run(spec: try exampleSpec(), evaluator: FakeEvaluator())
    let text = whole.csv()
    let tampered = text.replacingOccurrences(of: ",ok,", with: ",invalid: tampered,")
    do {
      _ = try SweepCSV.merge([("a.csv", text), ("b.csv", tampered)])
      Issue.record("expected an error")
    } catch {
      #expect(error.description.hasPrefix("b.csv: point "))
      #expect(error.description.hasSuffix(" differs from the same point in a.csv"))
    }
    // The same part twice merges to itself.
    #expect(try SweepCSV.merge([("a.csv", text), ("a2.csv", text)]).csv() == text)
  }
}
