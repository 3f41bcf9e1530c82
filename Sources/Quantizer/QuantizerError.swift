import GraphIR
import Support

/// An error raised while quantizing a model, calibrating it, or measuring its accuracy.
///
/// The description is one line naming the model, then the place (an operator, a calibration
/// file, an option) and what was expected:
///
/// ```
/// mlp_int8.tflite: op #0 FULLY_CONNECTED 'dense': input 'x' is int8 with quantization parameters; the model is already quantized (expected float32 activations)
/// attention_float.tflite: op #1 SQUARED_DIFFERENCE 'sq': no int16 kernel for SQUARED_DIFFERENCE (scheme int16x8); keep the op float (keepFloat) or allow fallback
/// mlp_float.tflite: calibration file 'calib/0003.bin': 100 bytes; input 0 'x' needs 256 (64 × float32)
/// ```
public struct QuantizerError: SystoleError, Equatable {
  /// What kind of problem this is.
  public enum Kind: Sendable, Hashable {
    /// The model already holds quantized activations or QUANTIZE/DEQUANTIZE ops.
    case alreadyQuantized
    /// An operator has no kernel in the precision the scheme (or an override) asks for.
    case unsupportedOperator
    /// The calibration folder (or sample list) holds no samples.
    case calibrationEmpty
    /// A calibration file has the wrong size, or a sample lacks one of the model's inputs.
    case calibrationMismatch
    /// A calibration folder or file cannot be read.
    case calibrationUnreadable
    /// An option names a layer the model does not have, or has a value out of range.
    case invalidOption
    /// Running a model in the golden model failed (calibration or accuracy measurement).
    case execution
    /// The model is not something the quantizer can rewrite (no graphs, inconsistent).
    case invalidModel
    /// The quantized model cannot be written as a `.tflite` file.
    case serialization
    /// A labels file is malformed (a line that is not a class number), its count differs from
    /// the number of inputs, or a label is outside the output's classes.
    case labelsMismatch
    /// Labels were given but the model's first output is not one row of class scores per input.
    case notClassifier
  }

  /// What kind of problem this is.
  public var kind: Kind
  /// The model's source (file name), as in ``GraphIR/Model/source``.
  public var model: String
  /// Where: `op #3 CONV_2D 'conv1'`, `calibration file '0003.bin'`, `option keepFloat`; may be empty.
  public var location: String
  /// What is wrong and what was expected.
  public var message: String

  /// Creates an error at `location`.
  public init(_ kind: Kind, model: String, _ location: String, _ message: String) {
    self.kind = kind
    self.model = model
    self.location = location
    self.message = message
  }

  /// Creates an error about the model as a whole.
  public init(_ kind: Kind, model: String, _ message: String) {
    self.init(kind, model: model, "", message)
  }

  /// `model: location: message` on one line.
  public var description: String {
    let place = location.isEmpty ? "" : "\(location): "
    return "\(model): \(place)\(message)"
  }
}

extension Operator {
  /// `op #3 CONV_2D 'conv1'`, naming the operator by index, TFLite name and first output.
  func location(index: Int, in graph: Graph, subgraph: Int = 0) -> String {
    let prefix = subgraph == 0 ? "" : "subgraph \(subgraph) "
    let name = outputs.first.flatMap { $0.index < graph.tensors.count ? " '\(shortName(graph[$0].name))'" : nil } ?? ""
    return "\(prefix)op #\(index) \(kind.tfliteName)\(name)"
  }
}
