#!/usr/bin/env python3
"""Check Systole-quantized models against TensorFlow Lite and TensorFlow's own quantizer.

Run from anywhere, with the pinned environment of Programs/models/requirements.txt:

    venv/bin/python Programs/quantizer/check_with_tflite.py

Inputs (committed):
  config.json              models, input distributions, seeds, sample counts
  models/*.tflite          files quantized by Systole (`SYSTOLE_RECORD_QUANTIZER=1 swift test
                           --filter TFLiteFixtureTests/record` writes them)
  models/index.json        which file holds which scheme, and fingerprints of the calibration
                           and test inputs Systole generated
  ../models/*_float.tflite the float models

For every model this script
  1. regenerates the calibration and test inputs with a port of Systole's seeded generator
     (SplitMix64, exact arithmetic) and checks their FNV-1a fingerprints against Systole's;
  2. runs the float model (BUILTIN_REF) on the test inputs;
  3. quantizes the float model with TensorFlow's own post-training quantizer on the *same*
     calibration inputs (the converter's path: Calibrator + mlir_quantize for int8, the
     calibrator's quantizer for 16x8), runs it, and measures output SQNR against float;
  4. checks how each Systole file stores sub-byte weights (int4: TFLite INT4 tensors; ternary:
     INT8 tensors listed in the `systole_packed_bits` metadata) and records the counts;
     loads every Systole-quantized file in TensorFlow Lite with the BUILTIN_REF resolver, runs it
     on the same test inputs, measures output SQNR, and writes TFLite's outputs on the first
     `fixture_invocations` inputs to reference/<model>.<scheme>/ (inputs, outputs, manifest);
     the Swift test TFLiteFixtureTests compares Systole's golden model with these, byte for byte;
  5. writes results.json and results.md, and exits non-zero if an int8 file fails to load or
     Systole's int8 SQNR is more than 0.5 dB below TensorFlow's.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["TF_DETERMINISTIC_OPS"] = "1"
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import contextlib
import io
import json
import logging
import shutil
import sys
import warnings

warnings.filterwarnings("ignore")
logging.getLogger("absl").setLevel(logging.ERROR)

import numpy as np
import tensorflow as tf

tf.get_logger().setLevel(logging.ERROR)
from tensorflow.lite.python import convert as tfl_convert  # noqa: E402
from tensorflow.lite.python.optimize import calibrator as tfl_calibrator  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FLOAT_DIR = os.path.join(HERE, "..", "models")
REF_DIR = os.path.join(HERE, "reference")
REF = tf.lite.experimental.OpResolverType.BUILTIN_REF
TOLERANCE_DB = 0.5


# ----------------------------------------------------------------------------
# Systole's seeded inputs (Sources/Quantizer/Calibration.swift), ported exactly
# ----------------------------------------------------------------------------
class SplitMix64:
    """SplitMix64 (Steele, Lea, Flood 2014): draw k is mix(seed + (k+1)·γ)."""

    GAMMA = np.uint64(0x9E3779B97F4A7C15)

    def __init__(self, seed):
        self.seed = np.uint64(seed)
        self.count = 0

    def next(self, n):
        k = np.arange(self.count + 1, self.count + n + 1, dtype=np.uint64)
        self.count += n
        with np.errstate(over="ignore"):
            z = self.seed + k * self.GAMMA
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))

    def uniform(self, n):
        return (self.next(n) >> np.uint64(11)).astype(np.float64) * (2.0 ** -53)

    def irwin_hall(self, n):
        u = self.uniform(12 * n).reshape(n, 12)
        s = u[:, 0].copy()
        for j in range(1, 12):
            s = s + u[:, j]
        return s - 6.0


def draw(dist, shape, rng):
    n = int(np.prod(shape))
    if dist == "normal":
        return (0.0 + 1.0 * rng.irwin_hall(n)).astype(np.float32).reshape(shape)
    if dist == "image":
        if len(shape) != 4:
            return draw("normal", shape, rng)
        b, h, w, c = shape
        out = np.zeros(shape, np.float32)
        bh, bw = (h + 3) // 4, (w + 3) // 4
        for i in range(b):
            gain = 0.5 + rng.uniform(1)[0]
            offset = 0.8 * rng.irwin_hall(c)
            blocks = rng.irwin_hall(bh * bw * c).reshape(bh, bw, c)
            noise = rng.irwin_hall(h * w * c).reshape(h, w, c)
            block = np.repeat(np.repeat(blocks, 4, axis=0), 4, axis=1)[:h, :w, :]
            out[i] = (gain * ((offset[None, None, :] + block) + 0.5 * noise)).astype(np.float32)
        return out
    raise ValueError(dist)


def generate(dist, shapes, count, seed):
    rng = SplitMix64(seed)
    return [[draw(dist, s, rng) for s in shapes] for _ in range(count)]


def fnv1a(samples):
    h = 0xCBF29CE484222325
    for sample in samples:
        for a in sample:
            for byte in np.ascontiguousarray(a).tobytes():
                h ^= byte
                h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%x" % h


# ----------------------------------------------------------------------------
# TFLite helpers
# ----------------------------------------------------------------------------
def quantize_input(x, d):
    """TFLite's QUANTIZE rule: round(x / scale) half away from zero, + zero point, clamp."""
    if d["dtype"] == np.float32:
        return x.astype(np.float32)
    scale = np.float32(d["quantization_parameters"]["scales"][0])
    zp = int(d["quantization_parameters"]["zero_points"][0])
    v = x.astype(np.float32) / scale
    r = np.sign(v) * np.floor(np.abs(v) + np.float32(0.5))
    info = np.iinfo(d["dtype"])
    return np.clip(r.astype(np.int64) + zp, info.min, info.max).astype(d["dtype"])


def dequantize(y, d):
    if y.dtype == np.float32:
        return y.astype(np.float64)
    q = d["quantization_parameters"]
    scale = float(q["scales"][0]) if len(q["scales"]) else 1.0
    zp = int(q["zero_points"][0]) if len(q["zero_points"]) else 0
    return (y.astype(np.float64) - zp) * scale


def run(model, samples, n_raw=0):
    """Runs every sample in order on one interpreter (state carries, as in Systole).

    Returns (dequantized outputs per sample, raw (inputs, outputs) of the first n_raw, details)."""
    kw = {"model_path": model} if isinstance(model, str) else {"model_content": bytes(model)}
    it = tf.lite.Interpreter(experimental_op_resolver_type=REF, num_threads=1, **kw)
    it.allocate_tensors()
    ind, outd = it.get_input_details(), it.get_output_details()
    deq, raw = [], []
    for k, sample in enumerate(samples):
        inputs = [quantize_input(x, d) for x, d in zip(sample, ind)]
        for x, d in zip(inputs, ind):
            it.set_tensor(d["index"], x)
        it.invoke()
        outs = [np.array(it.get_tensor(d["index"])) for d in outd]
        deq.append([dequantize(y, d) for y, d in zip(outs, outd)])
        if k < n_raw:
            raw.append((inputs, outs))
    return deq, raw, ind, outd


def sqnr(reference, approx):
    s = np.concatenate([np.ravel(o) for sample in reference for o in sample])
    a = np.concatenate([np.ravel(o) for sample in approx for o in sample])
    noise = np.sum((s - a) ** 2)
    return float("inf") if noise == 0 else float(10 * np.log10(np.sum(s ** 2) / noise))


def tf_quantize(float_bytes, calib, mode, stateful):
    """TensorFlow's post-training quantizer on the given calibration samples.

    The converter's own path (lite.py `_quantize`): add intermediate tensors, calibrate, then
    mlir_quantize (int8) or the calibrator's quantizer (16x8). On the committed models and
    make_models.py's data this reproduces the committed *_int8.tflite files exactly."""
    model = tfl_calibrator.add_intermediate_tensors(float_bytes)
    cal = tfl_calibrator.Calibrator(model)
    gen = lambda: iter(calib)  # noqa: E731
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        if mode == "int16x8":
            return cal.calibrate_and_quantize(gen, tf.int16, tf.int16, False, tf.int16, tf.int64)
        calibrated = cal.calibrate(gen)
        return tfl_convert.mlir_quantize(
            calibrated, disable_per_channel=(mode == "int8-per-tensor"), input_data_type=tf.int8,
            output_data_type=tf.int8, enable_variable_quantization=stateful)


def tensor_info(d):
    return {"name": d["name"], "shape": [int(x) for x in d["shape"]], "dtype": np.dtype(d["dtype"]).name}


def write_reference(stem, rel_model, scheme, raw, ind, outd):
    out_dir = os.path.join(REF_DIR, stem)
    os.makedirs(out_dir, exist_ok=True)
    for n, (inputs, outputs) in enumerate(raw):
        for i, x in enumerate(inputs):
            np.ascontiguousarray(x).tofile(os.path.join(out_dir, "in.%d.%d.bin" % (n, i)))
        for o, y in enumerate(outputs):
            np.ascontiguousarray(y).tofile(os.path.join(out_dir, "out.%d.%d.bin" % (n, o)))
    manifest = {"model": rel_model, "scheme": scheme, "invocations": len(raw),
                "inputs": [tensor_info(d) for d in ind], "outputs": [tensor_info(d) for d in outd]}
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


def storage(path):
    """How a Systole file stores its constants: INT4 tensors, and the systole_packed_bits entries.

    int4 weights must be TFLite INT4 tensors (TensorType 17) and ternary weights INT8 tensors
    listed in the `systole_packed_bits` metadata (u32 version, u32 count, then count x
    (u32 subgraph, u32 tensor, u32 bits) in version 1, or x (..., u32 group size) in version 2;
    docs/tflite-import.md). A group size N > 0 means one magnitude per group of N consecutive
    elements of each channel (fine-grained ternary)."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model(path)
    int4 = sum(1 for g in model.subgraphs for t in g.tensors if t.type == schema.TensorType.INT4)
    packed = []
    grouped = 0
    for m in model.metadata or []:
        name = m.name.decode() if isinstance(m.name, bytes) else m.name
        if name == "systole_packed_bits":
            words = np.frombuffer(bytes(model.buffers[m.buffer].data), dtype="<u4")
            width = {1: 3, 2: 4}.get(int(words[0]))
            assert width and len(words) == 2 + width * words[1], "malformed systole_packed_bits"
            for entry in words[2:].reshape(-1, width).tolist():
                g, t, bits = entry[:3]
                group = entry[3] if width == 4 else 0
                tensor = model.subgraphs[g].tensors[t]
                assert tensor.type == schema.TensorType.INT8, "metadata lists a non-INT8 tensor"
                values = np.frombuffer(bytes(model.buffers[tensor.buffer].data), dtype=np.int8)
                if group:
                    axis = tensor.quantization.quantizedDimension if tensor.quantization else 0
                    per_channel = np.moveaxis(values.reshape(tensor.shape), axis, 0).reshape(tensor.shape[axis], -1)
                    for channel in per_channel.astype(np.int32):
                        for start in range(0, len(channel), group):
                            mags = set(np.abs(channel[start:start + group]).tolist()) - {0}
                            assert len(mags) <= 1 and max(mags, default=0) <= 127, "a group holds two magnitudes"
                    grouped += 1
                else:
                    assert values.min() >= -(1 << (bits - 1)) and values.max() < (1 << (bits - 1)), "value outside the width"
                packed.append(int(bits))
    return {"int4_tensors": int4, "packed_bits_metadata_entries": len(packed), "grouped_entries": grouped}


def systole_golden_sqnr():
    """(model, scheme) → output SQNR measured by Systole's golden model (systole_accuracy.json)."""
    path = os.path.join(HERE, "systole_accuracy.json")
    out = {}
    if os.path.exists(path):
        for comparison in json.load(open(path)):
            model = comparison["model"].replace("_float.tflite", "")
            for r in comparison["reports"]:
                values = [o["sqnr_db"] for o in r["outputs"] if o["sqnr_db"] is not None]
                if values:
                    out[(model, r["scheme"])] = min(values)
    return out


def fmt(x):
    return "inf" if x == float("inf") else ("n/a" if x is None else "%.2f" % x)


def main():
    cfg = json.load(open(os.path.join(HERE, "config.json")))
    index = {m["name"]: m for m in json.load(open(os.path.join(HERE, "models", "index.json")))["models"]}
    shutil.rmtree(REF_DIR, ignore_errors=True)
    results, failures = [], []
    for entry in cfg["models"]:
        name = entry["name"]
        float_path = os.path.join(FLOAT_DIR, name + "_float.tflite")
        float_bytes = open(float_path, "rb").read()
        probe = tf.lite.Interpreter(model_path=float_path)
        shapes = [[int(x) for x in d["shape"]] for d in probe.get_input_details()]
        stateful = name == "streaming"
        calib = generate(entry["distribution"], shapes, cfg["calibration_count"], entry["seed"])
        test = generate(entry["distribution"], shapes, cfg["test_count"], entry["seed"] + 1)
        sys_index = index.get(name, {})
        data_match = (fnv1a(calib) == sys_index.get("calibration_fnv1a")
                      and fnv1a(test) == sys_index.get("test_fnv1a"))
        if not data_match:
            failures.append("%s: calibration/test data differ from Systole's (fingerprints)" % name)
        reference, _, _, _ = run(float_path, test)
        row = {"model": name, "data_matches_systole": data_match, "tensorflow": {}, "systole": {}}
        for mode in ("int8-per-channel", "int8-per-tensor", "int16x8"):
            try:
                q = tf_quantize(float_bytes, calib, mode, stateful)
                deq, _, _, _ = run(q, test)
                row["tensorflow"][mode] = {"sqnr_db": sqnr(reference, deq), "bytes": len(q)}
            except Exception as e:  # noqa: BLE001
                row["tensorflow"][mode] = {"error": str(e).splitlines()[0][:200]}
        for scheme, rel in sys_index.get("files", {}).items():
            path = os.path.join(HERE, rel)
            r = {"file": rel, "bytes": os.path.getsize(path)}
            r.update(storage(path))
            if scheme == "int4" and (r["int4_tensors"] == 0 or r["packed_bits_metadata_entries"]):
                failures.append("%s: the int4 file does not store its weights as TFLite INT4" % rel)
            if scheme == "ternary" and (r["int4_tensors"] or r["packed_bits_metadata_entries"] == 0):
                failures.append("%s: the ternary file has no systole_packed_bits metadata" % rel)
            if scheme == "ternary-fine-grained" and r["grouped_entries"] == 0:
                failures.append("%s: the fine-grained ternary file has no grouped systole_packed_bits entry" % rel)
            try:
                deq, raw, ind, outd = run(path, test, cfg["fixture_invocations"])
                r.update({"loads": True, "runs": True, "sqnr_db": sqnr(reference, deq)})
                write_reference("%s.%s" % (name, scheme), rel, scheme, raw, ind, outd)
            except Exception as e:  # noqa: BLE001
                r.update({"loads": False, "runs": False, "error": str(e).splitlines()[0][:300]})
            row["systole"][scheme] = r
        sy = row["systole"].get("int8-per-channel", {})
        tfr = row["tensorflow"].get("int8-per-channel", {})
        if not sy.get("runs"):
            failures.append("%s: Systole's int8 file does not run in TFLite: %s" % (name, sy.get("error")))
        elif "sqnr_db" in tfr:
            row["int8_delta_db"] = sy["sqnr_db"] - tfr["sqnr_db"]
            row["int8_within_tolerance"] = row["int8_delta_db"] >= -TOLERANCE_DB
            if not row["int8_within_tolerance"]:
                failures.append("%s: Systole int8 SQNR %.2f dB is %.2f dB below TensorFlow's %.2f dB"
                                % (name, sy["sqnr_db"], -row["int8_delta_db"], tfr["sqnr_db"]))
        results.append(row)
        print("%-14s TF int8 %6s dB  Systole int8 %6s dB  data %s" % (
            name, fmt(tfr.get("sqnr_db")), fmt(sy.get("sqnr_db")), "ok" if data_match else "MISMATCH"), flush=True)

    summary = {"tensorflow": tf.__version__, "numpy": np.__version__, "tolerance_db": TOLERANCE_DB,
               "calibration_count": cfg["calibration_count"], "test_count": cfg["test_count"],
               "models": results, "failures": failures}
    with open(os.path.join(HERE, "results.json"), "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    with open(os.path.join(HERE, "results.md"), "w") as f:
        f.write(markdown(summary, cfg))
    for msg in failures:
        print("FAIL", msg)
    return 1 if failures else 0


def markdown(summary, cfg):
    lines = ["<!-- written by check_with_tflite.py; do not edit -->",
             "Output SQNR (dB) against the float model, over %d test inputs; both quantizers calibrated on the same %d inputs (TensorFlow %s, BUILTIN_REF kernels)."
             % (summary["test_count"], summary["calibration_count"], summary["tensorflow"]), "",
             "| model | TF int8 | Systole int8 | Δ | TF int8 per-tensor | Systole int8 per-tensor | TF 16x8 | Systole 16x8 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]

    def cell(d, key="sqnr_db"):
        if not d:
            return "—"
        if "error" in d:
            return "fails"
        return fmt(d.get(key))

    golden = systole_golden_sqnr()

    def systole_cell(model, scheme, d):
        if d:
            return cell(d)
        value = golden.get((model, scheme))
        return "—" if value is None else fmt(value) + "*"

    for r in summary["models"]:
        t, s = r["tensorflow"], r["systole"]
        delta = r.get("int8_delta_db")
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["model"], cell(t.get("int8-per-channel")), cell(s.get("int8-per-channel")),
            "—" if delta is None else "%+.2f" % delta, cell(t.get("int8-per-tensor")),
            systole_cell(r["model"], "int8-per-tensor", s.get("int8-per-tensor")),
            cell(t.get("int16x8")), systole_cell(r["model"], "int16x8", s.get("int16x8"))))
    lines += ["", "`fails`: TensorFlow's quantizer rejects the model (an op without a 16x8 kernel); Systole "
              "keeps such ops in int8 (`allowFallback`). `*`: no committed file; the value is Systole's "
              "golden-model measurement on the same inputs (systole_accuracy.json), which equals TFLite's "
              "wherever both ran (see the file-based rows)."]
    lines += ["", "TensorFlow Lite loading and running each Systole-quantized file (BUILTIN_REF):", "",
              "| model | " + " | ".join(cfg["all_schemes"]) + " |", "|---|" + "---|" * len(cfg["all_schemes"])]
    for r in summary["models"]:
        cells = []
        for scheme in cfg["all_schemes"]:
            d = r["systole"].get(scheme)
            cells.append("—" if d is None else ("runs, %s dB" % fmt(d["sqnr_db"]) if d.get("runs") else "FAILS"))
        lines.append("| %s | %s |" % (r["model"], " | ".join(cells)))
    if summary["failures"]:
        lines += ["", "Failures:", ""] + ["- " + m for m in summary["failures"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
