import GraphIR
import Support

/// Parses `text` as a whole number in `range` for `--option` of `command`: a count or size that
/// must be checked where it enters (`--samples 0` is an error, not "1").
///
/// The message names the option and the range: `option '--samples' expects an integer from 1
/// to 10000; got '0'`.
func parseInteger(
  _ text: String, option: String, command: String, in range: ClosedRange<Int>
) throws(UsageError) -> Int {
  guard let v = Int(text), range.contains(v) else {
    let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
    throw UsageError(
      "option '--\(option)' expects an integer from \(range.lowerBound) to \(range.upperBound); got '\(shown)'",
      command: command)
  }
  return v
}

/// Refuses `count` synthetic samples of `model`'s inputs (float32, as `quantize` and `compare`
/// generate them) when holding them would take more than `ModelLoader.tensorBudget` (a quarter
/// of physical memory, at most 4 GiB): the estimate and the limit, before anything is allocated.
func checkSampleMemory(_ count: Int, model: Model, command: String) throws(UsageError) {
  let perSample = model.main.inputs.reduce(0) { $0.addingSaturating(model.main[$1].elementCount.multipliedSaturating(by: 4)) }
  let total = perSample.multipliedSaturating(by: count)
  let budget = ModelLoader.tensorBudget
  guard total <= budget else {
    throw UsageError(
      "--samples \(count): \(count) inputs of \(ByteCount(perSample)) need \(ByteCount(total)); at most \(ByteCount(budget)) "
        + "(a quarter of physical memory, 4 GiB at most); use fewer samples",
      command: command)
  }
}
