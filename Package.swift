// swift-tools-version:6.0
//
// Systole: a simulator of a TPU-style int8 systolic-array accelerator and the compiler that
// feeds it. No third-party dependencies: Foundation and the toolchain's Testing/XCTest only.
//
// Module order (each depends only on modules above it in this list):
//   Support                      units, diagnostics, fixed-point helpers, seeded RNG
//   GraphIR                      quantized graph IR and its verifier
//   TFLiteImport                 the only module that knows the .tflite format
//   GoldenModel                  functional executor, bit-exact with TFLite reference kernels
//   Quantizer                    post-training quantization of float models; schemes; accuracy (SQNR)
//   ModelZoo                     published network shapes (ResNet-50, MobileNets, BERT layer, MLP0)
//   Architecture                 ArchSpec: array, memories, DRAM, energy table; presets; JSON
//   TileISA                      the tile instruction set: semantics, assembly, encoding, verifier
//   Lowering                     the compiler: graph → tile program (flat pipeline of named passes);
//                                uses the golden model's kernels to fill `vlut` tables
//   CycleSim                     the simulator: tile program → cycles, counters, energy (never sees the graph)
//   Pipeline                     compile → simulate → float32 baseline, as one library call; the
//                                quantization trade-off and the accuracy-targeted mixed-precision search
//   Reporting                    text/JSON/HTML reports, Perfetto trace writer and reader
//   Sweeps                       architecture what-if studies: cartesian sweeps, shards, Pareto fronts, plots
//   SystoleDriver                load → check → report; turns errors into text and exit codes
//   systole (executable)         thin CLI: parse flags, call the driver, print
//
// Expensive invariant checks compile only with `-Xswiftc -DSYSTOLE_INVARIANTS`.

import PackageDescription

let swiftSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
  name: "Systole",
  products: [
    .executable(name: "systole", targets: ["systole"]),
    .library(name: "SystoleDriver", targets: ["SystoleDriver"]),
  ],
  targets: [
    .target(name: "Support", swiftSettings: swiftSettings),
    .target(name: "GraphIR", dependencies: ["Support"], swiftSettings: swiftSettings),
    .target(name: "TFLiteImport", dependencies: ["Support", "GraphIR"], swiftSettings: swiftSettings),
    .target(name: "GoldenModel", dependencies: ["Support", "GraphIR"], swiftSettings: swiftSettings),
    .target(
      name: "Quantizer", dependencies: ["Support", "GraphIR", "TFLiteImport", "GoldenModel"], swiftSettings: swiftSettings),
    .target(name: "ModelZoo", dependencies: ["Support", "GraphIR"], swiftSettings: swiftSettings),
    .target(name: "Architecture", dependencies: ["Support"], swiftSettings: swiftSettings),
    .target(name: "TileISA", dependencies: ["Support"], swiftSettings: swiftSettings),
    .target(
      name: "Lowering", dependencies: ["Support", "GraphIR", "GoldenModel", "Architecture", "TileISA"],
      swiftSettings: swiftSettings),
    .target(name: "CycleSim", dependencies: ["Support", "Architecture", "TileISA"], swiftSettings: swiftSettings),
    .target(
      name: "Pipeline",
      dependencies: ["Support", "GraphIR", "GoldenModel", "Quantizer", "Architecture", "TileISA", "Lowering", "CycleSim"],
      swiftSettings: swiftSettings),
    .target(
      name: "Reporting",
      dependencies: ["Support", "GraphIR", "Quantizer", "Architecture", "TileISA", "Lowering", "CycleSim", "Pipeline"],
      swiftSettings: swiftSettings),
    .target(name: "Sweeps", dependencies: ["Support", "Architecture", "Reporting"], swiftSettings: swiftSettings),
    .target(
      name: "SystoleDriver",
      dependencies: [
        "Support", "GraphIR", "TFLiteImport", "GoldenModel", "ModelZoo", "Quantizer", "Architecture", "TileISA", "Lowering", "CycleSim", "Pipeline", "Reporting", "Sweeps",
      ],
      swiftSettings: swiftSettings),
    .executableTarget(name: "systole", dependencies: ["SystoleDriver"], swiftSettings: swiftSettings),

    .target(
      name: "SystoleTestSupport",
      dependencies: ["Support", "GraphIR", "TFLiteImport", "GoldenModel"],
      path: "Tests/SystoleTestSupport", swiftSettings: swiftSettings),
    .testTarget(name: "SupportTests", dependencies: ["Support", "SystoleTestSupport"]),
    .testTarget(name: "GraphIRTests", dependencies: ["GraphIR", "SystoleTestSupport"]),
    .testTarget(name: "TFLiteImportTests", dependencies: ["TFLiteImport", "SystoleTestSupport"]),
    .testTarget(name: "GoldenModelTests", dependencies: ["GoldenModel", "TFLiteImport", "SystoleTestSupport"]),
    .testTarget(name: "QuantizerTests", dependencies: ["Quantizer", "SystoleTestSupport"]),
    .testTarget(name: "ModelZooTests", dependencies: ["ModelZoo", "GoldenModel", "SystoleTestSupport"]),
    .testTarget(name: "ArchitectureTests", dependencies: ["Architecture", "SystoleTestSupport"]),
    .testTarget(name: "TileISATests", dependencies: ["TileISA", "SystoleTestSupport"]),
    .testTarget(
      name: "LoweringTests",
      dependencies: ["Lowering", "Pipeline", "GoldenModel", "TFLiteImport", "ModelZoo", "SystoleTestSupport"]),
    .testTarget(name: "CycleSimTests", dependencies: ["CycleSim", "SystoleTestSupport"]),
    .testTarget(
      name: "ReportingTests",
      dependencies: ["Reporting", "TFLiteImport", "Lowering", "Pipeline", "GoldenModel", "SystoleTestSupport"]),
    .testTarget(
      name: "PipelineTests",
      dependencies: ["Pipeline", "Quantizer", "TFLiteImport", "ModelZoo", "GoldenModel", "SystoleTestSupport"]),
    .testTarget(name: "SweepsTests", dependencies: ["Sweeps", "SystoleTestSupport"]),
    .testTarget(name: "CLITests", dependencies: ["SystoleDriver", "SystoleTestSupport"]),
  ]
)
