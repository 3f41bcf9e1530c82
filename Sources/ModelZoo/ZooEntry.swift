/// Where a zoo model's shape comes from and the counts published for it.
public struct ZooCitation: Sendable, Hashable {
  /// The paper (and where needed the implementation) the layer table follows.
  public var source: String
  /// Multiply-accumulates per inference as published, `nil` when the source gives none.
  public var publishedMACs: Int?
  /// Parameters (weights and biases) as published, `nil` when the source gives none.
  public var publishedParameters: Int?
  /// Relative difference allowed between the built graph's counts and the published ones
  /// (`0.03` = 3 %): published figures are rounded and count slightly different things.
  public var tolerance: Double
  /// How the published numbers relate to ours (rounding, classes, what they include).
  public var note: String

  /// Creates a citation.
  public init(source: String, publishedMACs: Int?, publishedParameters: Int?, tolerance: Double, note: String) {
    self.source = source
    self.publishedMACs = publishedMACs
    self.publishedParameters = publishedParameters
    self.tolerance = tolerance
    self.note = note
  }
}

/// One model of the zoo: its name, what it is, where its shape comes from, and its input.
public struct ZooEntry: Sendable, Hashable {
  /// The zoo name (`systole run zoo:<name>`).
  public var name: String
  /// One line: the network and the variant built.
  public var description: String
  /// Source paper and published counts.
  public var citation: ZooCitation
  /// Shape of the single int8 input at the default input size, outermost first.
  public var inputShape: [Int]
  /// The default of the `inputSize` knob of ``ModelZoo/model(named:seed:inputSize:)``.
  public var defaultInputSize: Int
  /// What `inputSize` scales and which values are allowed.
  public var inputSizeMeaning: String

  /// Creates an entry.
  public init(
    name: String, description: String, citation: ZooCitation, inputShape: [Int], defaultInputSize: Int,
    inputSizeMeaning: String
  ) {
    self.name = name
    self.description = description
    self.citation = citation
    self.inputShape = inputShape
    self.defaultInputSize = defaultInputSize
    self.inputSizeMeaning = inputSizeMeaning
  }
}
