#!/usr/bin/env python3
"""Quantized SUM (issue 14): single-op models converted with TFLite's defaults, and the outputs of
the TFLite 2.21 kernel each one is bit-exact with.

Run from anywhere:
    venv/bin/python Programs/models/make_sum_models.py

What TF 2.21 computes (docs/quantization.md, "SUM"):
- int8, BUILTIN_REF: `EvalSum<kReference>` passes the int8 tensors to the uint8 instance of
  `reference_ops::QuantizedMeanOrSum` (`GetTensorData<uint8_t>` for input and output), so every
  byte is read as 0..255 and the clamp is 0..255: r = clamp(MBQM(sum(q & 0xFF) - zp_in * N, M, s)
  + zp_out, 0, 255), stored as a byte (M, s = QuantizeMultiplier(s_in / s_out)). Deterministic:
  the script checks every reference output against that formula and fails otherwise.
- int16, BUILTIN_REF: the same uint8 kernel runs on the first N bytes of the int16 buffer and
  writes only the first `outputs` bytes of the int16 output; the rest is whatever the arena held,
  so it changes with the allocation history (the script shows it: the same input through a fresh
  interpreter and through one created after other interpreters). The int16 reference outputs are
  therefore those of the BUILTIN resolver without delegates (the optimized kernel, what deployed
  TFLite computes): clamp(((sum(q) - zp_in * N) * M + 2^(30 - s)) >> (31 - s) + zp_out) to
  int16 (one rounding), which the script also checks, on the converter's files (equal scales) and
  on two copies whose output scale is patched (x3, x7.9: sum_{keepdims,hw}_rescaled_int16). Each manifest records its resolver under "resolver".

Files: transformers/sum/sum_<case>_{int8,int16}.tflite (converter defaults: Optimize.DEFAULT,
a seeded representative dataset, TFLITE_BUILTINS_INT8 with int8 I/O, or the 16x8 ops set with
int16 I/O); reference sets reference/<stem>/ listed in reference/index.json under "sum_ops".
Each int8 set has 8 invocations mixing uniform int8 values, small non-negative values (where the
byte reading does not saturate), values near the zero point and quantized seeded float data;
`sum_pairs_int8` holds every int8 value in each invocation. Everything is seeded; running the
script twice yields byte-identical files.
"""
import contextlib
import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_models as MM  # noqa: E402  (sets the TF environment before importing TensorFlow)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.lite.tools import flatbuffer_utils  # noqa: E402

HERE = MM.HERE
OUT_REL = "transformers/sum"
N_INV = 8
INDEX_KEY = "sum_ops"
# int16 files also written with the output scale multiplied (patched, not converter output) so
# that the rescale's rounding shows: BUILTIN rounds once, (x * M + 2^(30 - s)) >> (31 - s).
RESCALED = {"keepdims": 3.0, "hw": 7.9}


def reduce_sum(axes, keep):
    return lambda x: tf.reduce_sum(x, axes, keepdims=keep)


# (name, input shape, axes, keep_dims, modes). None is the converter's dynamic batch.
CASES = [
    ("keepdims", [1, 4, 6], [2], True, ("int8", "int16x8")),
    ("two_axes", [2, 3, 5], [0, -1], False, ("int8",)),
    ("hw", [1, 5, 5, 8], [1, 2], False, ("int8", "int16x8")),
    ("last_dynamic", [None, 8, 16], [-1], False, ("int8", "int16x8")),
    ("middle_keepdims", [1, 6, 4, 3], [1], True, ("int8",)),
    ("all", [1, 4, 8], [0, 1, 2], False, ("int8",)),
    ("pairs", [1, 256, 2], [2], False, ("int8",)),
]


def qm(real):
    """TFLite QuantizeMultiplier (double): Q0.31 mantissa, exponent; 0 flushes."""
    if real == 0:
        return 0, 0
    frac, exp = np.frexp(real)
    q = int(np.floor(abs(frac) * 2.0 ** 31 + 0.5))
    if q == 2 ** 31:
        q, exp = q // 2, exp + 1
    if exp < -31:
        return 0, 0
    return q, int(exp)


def mbqm(x, m, s):
    left, right = (s, 0) if s > 0 else (0, -s)
    return MM.rounding_divide_by_pot(MM.srdhm(x * (1 << left), m), right)


def mbqm_single_rounding(x, m, s):
    """MultiplyByQuantizedMultiplier with one rounding: (x * M + 2^(30 - s)) >> (31 - s)."""
    right = 31 - s
    return (x * m + (1 << (right - 1))) >> right


def wrap32(v):
    return ((int(v) + 2 ** 31) % 2 ** 32) - 2 ** 31


def expected(x, axes, keep, qin, qout, reading):
    """The formula the docs give: "uint8" (int8 on BUILTIN_REF) or "int16" (BUILTIN)."""
    (sin, zin), (sout, zout) = qin, qout
    vals = x.ravel().view(np.uint8).astype(np.int64).reshape(x.shape) if reading == "uint8" else x.astype(np.int64)
    sums = vals.sum(axis=tuple(a % x.ndim for a in axes), keepdims=keep)
    n = x.size // max(sums.size, 1)
    m, s = qm(float(np.float32(sin)) / float(np.float32(sout)))
    lo, hi = (0, 255) if reading == "uint8" else (-32768, 32767)
    rescale = mbqm if reading == "uint8" else mbqm_single_rounding
    out = np.array([min(max(rescale(wrap32(v - zin * n), m, s) + zout, lo), hi) for v in sums.ravel()], np.int64)
    out = out.reshape(sums.shape)
    return out.astype(np.uint8).view(np.int8) if reading == "uint8" else out.astype(np.int16)


def inputs_for(name, d, rng):
    """N_INV invocations of int8 or int16 values for input detail `d`."""
    shape = [int(v) for v in d["shape"]]
    dt = np.dtype(d["dtype"])
    q = d["quantization_parameters"]
    scale, zp = float(q["scales"][0]), int(q["zero_points"][0])
    info = np.iinfo(dt)
    out = []
    for inv in range(N_INV):
        kind = inv % 4
        if name == "pairs":
            a = np.stack([rng.permutation(np.arange(-128, 128)), rng.integers(-128, 128, 256)], axis=-1)[None]
        elif kind == 0:
            a = rng.integers(info.min, info.max + 1, shape)
        elif kind == 1:
            a = rng.integers(0, 13, shape) if dt == np.int8 else rng.integers(-4000, 4000, shape)
        elif kind == 2:
            a = zp + rng.integers(-3, 4, shape)
        else:
            a = np.round(rng.uniform(-3.0, 3.0, shape) / scale) + zp
        out.append([np.ascontiguousarray(np.clip(a, info.min, info.max).astype(dt))])
    return out


def stale_tail_differs(path, x):
    """int16 BUILTIN_REF: the output bytes past the first `outputs` ones after a fresh
    interpreter, and after three other interpreters were created and run first."""
    def run(warm):
        keep = []
        for w in range(warm):
            other = tf.lite.Interpreter(model_path=path, experimental_op_resolver_type=MM.REF, num_threads=1)
            other.allocate_tensors()
            d = other.get_input_details()[0]
            other.set_tensor(d["index"], np.full(d["shape"], 1000 + w, np.int16))
            other.invoke()
            keep.append(other)
        _, _, _, outs = MM.run_interp(path, [[x]], MM.REF)
        return outs[0][0]
    a, b = run(0), run(3)
    return a, b


def main():
    os.makedirs(os.path.join(HERE, OUT_REL), exist_ok=True)
    entries = []
    for name, shape, axes, keep, modes in CASES:
        for mode in modes:
            spec_name = "sum_%s" % name
            spec = MM.Spec(spec_name, MM.simple(reduce_sum(axes, keep), [shape]), modes=(mode,), op_model=True)
            MM.seed_all(MM.name_seed(spec_name))
            mod, shapes = spec.build(np.random.default_rng(MM.name_seed(spec_name)))
            with contextlib.redirect_stdout(io.StringIO()):
                data = MM.convert(spec, mod, shapes, mode)
            bits = "int8" if mode == "int8" else "int16"
            variants = [("%s_%s" % (spec_name, bits), data)]
            if bits == "int16" and name in RESCALED:
                variants.append(("%s_rescaled_int16" % spec_name, patch_output_scale(data, RESCALED[name])))
            for stem, data in variants:
                entries.append(write_set(name, axes, keep, bits, stem, data))
    MM.update_index({INDEX_KEY: entries})


def patch_output_scale(data, factor):
    """The same file with the SUM output's scale multiplied by `factor` (the converter gives int16
    SUM equal scales, where the rounding of the rescale cannot show)."""
    m = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    sg = m.subgraphs[0]
    (o,) = sg.operators
    t = sg.tensors[o.outputs[0]]
    t.quantization.scale = [float(np.float32(t.quantization.scale[0] * factor))]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(m))


def write_set(name, axes, keep, bits, stem, data):
    """Write the file and its reference set (checked against the formulas); return its index entry."""
    rel = "%s/%s.tflite" % (OUT_REL, stem)
    path = os.path.join(HERE, rel)
    with open(path, "wb") as f:
        f.write(data)
    opinfo = MM.inspect_model(data)
    assert [d["op"] for d in opinfo] == ["SUM"], (stem, [d["op"] for d in opinfo])

    probe = tf.lite.Interpreter(model_path=path, experimental_op_resolver_type=MM.REF)
    probe.allocate_tensors()
    ind = probe.get_input_details()
    del probe
    inputs = inputs_for(name, ind[0], np.random.default_rng(MM.name_seed(stem + "/inputs")))
    _, ind, outd, ref = MM.run_interp(path, inputs, MM.REF)
    _, _, _, opt = MM.run_interp(path, inputs, MM.OPT)
    qin = ind[0]["quantization"]
    qout = outd[0]["quantization"]
    if bits == "int8":
        resolver, outs = "BUILTIN_REF", ref
        for inv, (x, o) in enumerate(zip(inputs, outs)):
            want = expected(x[0], axes, keep, qin, qout, "uint8")
            assert np.array_equal(o[0], want), "%s invocation %d: BUILTIN_REF is not the uint8 reading" % (stem, inv)
        note = "ref=uint8 reading in all %d; ref-vs-opt differ in %d of %d" % (
            N_INV, sum(int(np.count_nonzero(a[0] != b[0])) for a, b in zip(ref, opt)),
            sum(a[0].size for a in ref))
    else:
        resolver, outs = "BUILTIN_WITHOUT_DEFAULT_DELEGATES", opt
        for inv, (x, o) in enumerate(zip(inputs, outs)):
            want = expected(x[0], axes, keep, qin, qout, "int16")
            assert np.array_equal(o[0], want), "%s invocation %d: BUILTIN is not the single-rounding rescaled sum" % (stem, inv)
        fresh, after = stale_tail_differs(path, inputs[0][0])
        k = fresh.size
        note = "opt=single-rounding rescaled sum in all %d; BUILTIN_REF written bytes %s, tail fresh %s vs after 3 interpreters %s" % (
            N_INV, fresh.ravel().view(np.uint8)[:k].tolist()[:4],
            fresh.ravel().view(np.uint8)[k:].tolist()[:6], after.ravel().view(np.uint8)[k:].tolist()[:6])
    vals = np.concatenate([o[0].ravel() for o in outs])
    assert len(np.unique(vals)) > 2, "%s: output nearly constant" % stem
    manifest = MM.save_reference(stem, rel, False, inputs, outs, ind, outd, opinfo)
    manifest["resolver"] = resolver
    with open(os.path.join(MM.REF_DIR, stem, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=False)
        f.write("\n")
    print("%-42s %5d B  in %s out %s  %s" % (rel, len(data), tuple(qin), tuple(qout), note))
    return {"stem": stem, "model": rel, "manifest": "reference/%s/manifest.json" % stem}


if __name__ == "__main__":
    main()
