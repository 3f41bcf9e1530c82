#!/usr/bin/env bash
# Builds the libFuzzer target for the TFLite importer and runs it on a copy of the committed
# models as seed corpus. Not part of the SwiftPM package, so normal builds are unaffected.
#
#   Programs/fuzz/run.sh                       # 5 minutes
#   Programs/fuzz/run.sh -max_total_time=600   # any libFuzzer flags
#
# Environment: FUZZ_BUILD_DIR (default .build/fuzz), FUZZ_MODELS_DIR (default Programs/models),
# FUZZ_CORPUS_DIR (default: a fresh temporary directory; Programs/models is never written).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${FUZZ_BUILD_DIR:-$ROOT/.build/fuzz}
MODELS=${FUZZ_MODELS_DIR:-$ROOT/Programs/models}
mkdir -p "$BUILD"

FLAGS=(-sanitize=fuzzer,address -parse-as-library -O -g -enable-upcoming-feature ExistentialAny)

# Each module is compiled on its own (the sources `import` each other by module name).
module() {
  local name=$1
  shift
  echo "compiling $name" >&2
  swiftc "${FLAGS[@]}" -module-name "$name" -I "$BUILD" -wmo -c "$@" \
    -emit-module -emit-module-path "$BUILD/$name.swiftmodule" -o "$BUILD/$name.o"
}
module Support "$ROOT"/Sources/Support/*.swift
module GraphIR "$ROOT"/Sources/GraphIR/*.swift
module TFLiteImport "$ROOT"/Sources/TFLiteImport/*.swift
echo "linking fuzz-tflite-import" >&2
swiftc "${FLAGS[@]}" -I "$BUILD" "$ROOT/Programs/fuzz/FuzzTFLiteImport.swift" \
  "$BUILD/Support.o" "$BUILD/GraphIR.o" "$BUILD/TFLiteImport.o" -o "$BUILD/fuzz-tflite-import"

CORPUS=${FUZZ_CORPUS_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/systole-fuzz-corpus.XXXXXX")}
mkdir -p "$CORPUS"
find "$MODELS" -name '*.tflite' -exec cp {} "$CORPUS/" \;
echo "corpus: $CORPUS ($(ls "$CORPUS" | wc -l) files)" >&2

cd "$BUILD"  # crash-* and leak-* reproducers land here
exec "$BUILD/fuzz-tflite-import" "$CORPUS" -max_total_time=300 -rss_limit_mb=2048 -print_final_stats=1 "$@"
