#!/usr/bin/env python3
"""Recurrent keyword spotters (issue 14): what TFLite's converter writes for Keras LSTM and GRU
layers, and reference outputs for the UNIDIRECTIONAL_SEQUENCE_LSTM files Systole runs.

Run from anywhere:
    venv/bin/python Programs/models/make_recurrent_models.py

What the converter does with keras 3.15 / TF 2.21 (printed again on every run, see
docs/tflite-import.md):
- keras.layers.LSTM / GRU with the converter's defaults and a dynamic batch: conversion fails
  ("'tf.TensorListReserve' op requires element_shape to be static").
- The same layers with batch_size=1: float32 converts to a WHILE loop (cond and body subgraphs of
  FULLY_CONNECTED, SPLIT, LOGISTIC, TANH, MUL, ADD, GATHER, ...); int8 with TFLITE_BUILTINS_INT8
  crashes the converter (segmentation fault, so the script probes it in a child process).
- Keras 3 no longer tags its LSTM with the `api_implements="lstm_..."` function attribute that
  Keras 2 used, which is what makes the converter fuse it into UNIDIRECTIONAL_SEQUENCE_LSTM. The
  KWS networks below therefore take the Keras LSTM layer's own trained-shape weights (kernel,
  recurrent kernel, bias; gate order i, f, c, o) and run them through a tf.function carrying
  that attribute (`lstm_tagged`), the Keras 2 interface. With a static batch of 1 the converter
  fuses it: float32 and full int8 (int8 activations, int16 cell state, 5 intermediates) both
  convert. (With a dynamic batch it does not fuse and unrolls the 49 steps into plain ops.)

Files: recurrent/kws_lstm_{int8,float}.tflite (49x10 MFCC-like frames -> LSTM(32) -> Dense(4)
softmax), recurrent/ops/lstm_<name>_{int8,float}.tflite (the fused op alone, returning the
whole sequence), and two GRU spotters from keras.layers.GRU(32) as the converter writes them:
recurrent/kws_gru_float.tflite (49x10, the default WHILE loop with cond and body subgraphs) and
recurrent/kws_gru_unrolled_int8.tflite (GRU(unroll=True), full int8 plain ops; 10x10 frames
because the unrolled file repeats the weights per step). Reference sets (reference/<stem>/) under index.json keys "recurrent" and
"recurrent_ops": 3 invocations on ONE interpreter, because TFLite keeps the LSTM's output and
cell state in variable tensors across invocations (it resets them only on allocate_tensors or
reset_all_variables); the manifests say "stateful": true
(the GRU files have no state tensors; they are marked stateful too, which changes nothing).

Everything is seeded; running the script twice yields byte-identical files.
"""
import collections
import contextlib
import io
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_models as MM  # noqa: E402  (sets TF's environment before importing it)
from make_models import S, flatbuffer_utils, np, tf  # noqa: E402

keras = tf.keras
L = keras.layers
HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "recurrent")
SEED = 20261206
N_REP = 32
N_INV = 3
OP_NAMES = {v: k for k, v in S.BuiltinOperator.__dict__.items() if not k.startswith("_")}


def lstm_tagged(units, time_major=False):
    """The Keras 2 fused-LSTM interface: a tf.function tagged api_implements="lstm_...".

    Arguments (inputs [batch, time, features], init_h, init_c, kernel [features, 4u],
    recurrent_kernel [u, 4u], bias [4u]); results (last output, whole sequence, h, c, runtime).
    The converter replaces the body with UNIDIRECTIONAL_SEQUENCE_LSTM; the body is the same
    arithmetic as keras.layers.LSTM (sigmoid gates, tanh cell), so the float model matches it."""
    attrs = {"api_implements": "lstm_systole_%d%s" % (units, "_tm" if time_major else ""), "time_major": time_major,
             "go_backwards": False}
    axis = 0 if time_major else 1

    @tf.function(experimental_attributes=attrs)
    def standard_lstm(inputs, init_h, init_c, kernel, recurrent_kernel, bias):
        h, c = init_h, init_c
        outs = []
        for x in tf.unstack(inputs, axis=axis):
            z = tf.matmul(x, kernel) + tf.matmul(h, recurrent_kernel) + bias
            i, f, g, o = tf.split(z, 4, axis=1)
            c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
            h = tf.sigmoid(o) * tf.tanh(c)
            outs.append(h)
        return h, tf.stack(outs, axis=axis), h, c, tf.constant(0.0)

    return standard_lstm


class LSTMModule(tf.Module):
    """A Keras LSTM layer's weights through the tagged function; optional Dense softmax head."""

    def __init__(self, time, features, units, layer, head=None, batch=1, time_major=False):
        super().__init__()
        kernel, recurrent, bias = [w.numpy() for w in layer.weights]
        self.k, self.r, self.b = tf.constant(kernel), tf.constant(recurrent), tf.constant(bias)
        self.units = units
        self.fn = lstm_tagged(units, time_major)
        self.head = None if head is None else (tf.constant(head.kernel.numpy()), tf.constant(head.bias.numpy()))
        self.batch = batch
        self.input_shape = [time, batch, features] if time_major else [batch, time, features]
        self.__call__ = tf.function(self._call, input_signature=[tf.TensorSpec(self.input_shape, tf.float32)])

    def _call(self, x):
        z = tf.zeros([self.batch, self.units])
        last, seq, _, _, _ = self.fn(x, z, z, self.k, self.r, self.b)
        if self.head is None:
            return seq
        return tf.nn.softmax(tf.matmul(last, self.head[0]) + self.head[1])


def build_lstm(time, features, units, head_classes, seed, batch=1, gain=1.5, time_major=False):
    """A Keras LSTM layer (and Dense head) with seeded weights scaled by `gain`."""
    keras.utils.set_random_seed(seed)
    layer = L.LSTM(units)
    head = L.Dense(head_classes, activation="softmax") if head_classes else None
    layers = [keras.Input((time, features)), layer] + ([head] if head else [])
    model = keras.Sequential(layers)
    rng = np.random.default_rng(seed)
    # Non-zero biases (Keras starts them at 0 and the forget bias at 1) so every gate's bias path
    # is exercised.
    k, r, b = layer.get_weights()
    layer.set_weights([k * gain, r * gain, b + rng.normal(0, 0.3, b.shape).astype(np.float32)])
    return model, LSTMModule(time, features, units, layer, head, batch, time_major)


def convert(module, int8, seed):
    fn = module.__call__.get_concrete_function()
    conv = tf.lite.TFLiteConverter.from_concrete_functions([fn], module)
    if int8:
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        rng = np.random.default_rng(seed)
        samples = [[rng.standard_normal(module.input_shape).astype(np.float32)] for _ in range(N_REP)]
        conv.representative_dataset = lambda: iter(samples)
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
    with contextlib.redirect_stdout(io.StringIO()):
        return conv.convert()


def op_lists(data):
    m = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    lists = []
    for sg in m.subgraphs:
        names = []
        for o in sg.operators:
            oc = m.operatorCodes[o.opcodeIndex]
            names.append(OP_NAMES.get(max(oc.builtinCode, oc.deprecatedBuiltinCode), "?"))
        lists.append(names)
    return lists


def describe(label, data):
    for g, names in enumerate(op_lists(data)):
        counts = collections.Counter(names)
        print("  %s subgraph %d: %s" % (label, g, ", ".join("%s x%d" % kv for kv in sorted(counts.items()))))


PROBE = r"""
import os, sys, contextlib, io
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, tensorflow as tf
keras = tf.keras
kind, batch, int8 = sys.argv[1], sys.argv[2] == "1", sys.argv[3] == "1"
keras.utils.set_random_seed(1)
x = keras.Input((49, 10), batch_size=1 if batch else None)
h = (keras.layers.LSTM(32) if kind == "lstm" else keras.layers.GRU(32))(x)
m = keras.Model(x, keras.layers.Dense(4, activation="softmax")(h))
c = tf.lite.TFLiteConverter.from_keras_model(m)
if int8:
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    s = [[rng.standard_normal((1, 49, 10)).astype(np.float32)] for _ in range(8)]
    c.representative_dataset = lambda: iter(s)
    c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
try:
    with contextlib.redirect_stdout(io.StringIO()):
        d = c.convert()
except Exception as e:
    msg = [l for l in str(e).splitlines() if "error:" in l]
    print("FAILED: " + (msg[0].split("error:")[-1].strip() if msg else type(e).__name__)[:160])
    sys.exit(0)
from tensorflow.lite.python import schema_py_generated as S
from tensorflow.lite.tools import flatbuffer_utils
names = {v: k for k, v in S.BuiltinOperator.__dict__.items() if not k.startswith("_")}
m = flatbuffer_utils.convert_bytearray_to_object(bytearray(d))
for g, sg in enumerate(m.subgraphs):
    ops = [names[max(m.operatorCodes[o.opcodeIndex].builtinCode, m.operatorCodes[o.opcodeIndex].deprecatedBuiltinCode)] for o in sg.operators]
    print("subgraph %d: %s" % (g, " ".join(ops)))
"""


def probe_keras_layers():
    """Converts plain keras.layers.LSTM/GRU KWS models in child processes (the int8 conversion
    of the WHILE form crashes the converter) and prints what happens."""
    for kind in ("lstm", "gru"):
        for batch in (False, True):
            for int8 in (False, True):
                r = subprocess.run([sys.executable, "-c", PROBE, kind, "1" if batch else "0", "1" if int8 else "0"],
                                   capture_output=True, text=True)
                what = r.stdout.strip() or ("converter crashed (exit %d)" % r.returncode)
                if "TensorListReserve" in what and "element_shape" in r.stdout + r.stderr:
                    what = "FAILED: 'tf.TensorListReserve' op requires element_shape to be static"
                if r.returncode < 0:
                    what = "converter crashed (signal %d)" % -r.returncode
                print("keras.layers.%s, %s batch, %s:" % (kind.upper(), "static" if batch else "dynamic",
                                                          "int8" if int8 else "float32"))
                for line in what.splitlines():
                    print("    " + line)


# (name, time steps, features, units, head classes or 0, batch, weight gain, time major); the
# single-op files return the whole sequence. The gain-4 file drives gates into saturation and the
# cell state to a larger calibrated scale (a different tanh format); the batch-2 file checks
# per-sequence state; the time-major file has [time, batch, features] input (time_major = true).
NETWORKS = [("kws_lstm", 49, 10, 32, 4, 1, 1.5)]
OPS = [("lstm_t5_i3_u4", 5, 3, 4, 0, 1, 1.5), ("lstm_t8_i10_u16", 8, 10, 16, 0, 1, 1.5),
       ("lstm_t3_i24_u40", 3, 24, 40, 0, 1, 1.5), ("lstm_t12_i6_u8_gain4", 12, 6, 8, 0, 1, 4.0),
       ("lstm_t6_i5_u6_batch2", 6, 5, 6, 0, 2, 1.5), ("lstm_t7_i4_u5_timemajor", 7, 4, 5, 0, 2, 1.5, True)]


def write_reference(stem, rel, path, data, seed):
    """reference/<stem>/: N_INV seeded invocations on one interpreter (state carries over)."""
    probe = tf.lite.Interpreter(model_path=path, experimental_op_resolver_type=MM.REF)
    probe.allocate_tensors()
    rng = np.random.default_rng(seed)
    inputs = []
    for _ in range(N_INV):
        arrs = []
        for d in probe.get_input_details():
            shape = [int(x) for x in d["shape"]]
            if d["dtype"] == np.int8:
                arrs.append(rng.integers(-128, 128, shape).astype(np.int8))
            else:
                arrs.append(rng.standard_normal(shape).astype(np.float32))
        inputs.append(arrs)
    del probe
    _, ind, outd, outs = MM.run_interp(path, inputs, MM.REF)
    assert any(not np.array_equal(outs[0][0], o[0]) for o in outs[1:]), "%s: constant output" % stem
    MM.save_reference(stem, rel, True, inputs, outs, ind, outd, MM.inspect_model(data))
    return {"stem": stem, "model": rel, "manifest": "reference/%s/manifest.json" % stem}


def write_models(specs, subdir):
    entries = []
    for k, (name, time, features, units, classes, batch, gain, *rest) in enumerate(specs):
        time_major = bool(rest and rest[0])
        seed = MM.name_seed(name)
        keras_model, module = build_lstm(time, features, units, classes, seed % (2 ** 31), batch, gain, time_major)
        x = np.random.default_rng(seed).standard_normal((batch, time, features)).astype(np.float32)
        want = keras_model(x).numpy()
        got = module.__call__(tf.constant(x.transpose(1, 0, 2) if time_major else x)).numpy()
        if classes == 0:
            got = got[-1] if time_major else got[:, -1, :]
        assert np.allclose(want, got, atol=1e-5), "%s: tagged function differs from keras.layers.LSTM" % name
        for int8 in (True, False):
            data = convert(module, int8, seed)
            stem = "%s_%s" % (name, "int8" if int8 else "float")
            rel = os.path.join("recurrent", subdir, stem + ".tflite") if subdir else os.path.join("recurrent", stem + ".tflite")
            path = os.path.join(HERE, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            print("%-44s %7d B" % (rel, len(data)))
            describe(stem, data)
            entries.append(write_reference(stem, rel, path, data, seed + 1))
    return entries


def build_gru(time, features, units, classes, seed, unroll):
    """keras.layers.GRU (reset_after, Keras 3's default) + Dense softmax head, batch 1, seeded
    weights with non-zero biases."""
    keras.utils.set_random_seed(seed)
    x = keras.Input((time, features), batch_size=1)
    layer = L.GRU(units, unroll=unroll)
    model = keras.Model(x, L.Dense(classes, activation="softmax")(layer(x)))
    rng = np.random.default_rng(seed)
    k, r, b = layer.get_weights()
    layer.set_weights([k * 1.5, r * 1.5, b + rng.normal(0, 0.3, b.shape).astype(np.float32)])
    return model


def convert_keras(model, time, features, int8, seed):
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if int8:
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        rng = np.random.default_rng(seed)
        samples = [[rng.standard_normal((1, time, features)).astype(np.float32)] for _ in range(N_REP)]
        conv.representative_dataset = lambda: iter(samples)
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
    with contextlib.redirect_stdout(io.StringIO()):
        return conv.convert()


# GRU keyword spotters: (stem, time steps, features, units, classes, unroll, int8). The converter's
# default form of keras.layers.GRU is a WHILE loop (float32 only: its int8 conversion crashes);
# unroll=True gives plain ops and converts to full int8. The unrolled file repeats the gate
# weights once per step, so it uses 10 frames to stay small.
GRUS = [("kws_gru_float", 49, 10, 32, 4, False, False), ("kws_gru_unrolled_int8", 10, 10, 32, 4, True, True)]


def write_grus():
    entries = []
    for stem, time, features, units, classes, unroll, int8 in GRUS:
        seed = MM.name_seed(stem)
        model = build_gru(time, features, units, classes, seed % (2 ** 31), unroll)
        data = convert_keras(model, time, features, int8, seed)
        rel = os.path.join("recurrent", stem + ".tflite")
        path = os.path.join(HERE, rel)
        with open(path, "wb") as f:
            f.write(data)
        print("%-44s %7d B" % (rel, len(data)))
        describe(stem, data)
        entries.append(write_reference(stem, rel, path, data, seed + 1))
    return entries


def write_index(networks, ops):
    MM.update_index({"recurrent": networks, "recurrent_ops": ops})


def main():
    if "--skip-probe" not in sys.argv:
        probe_keras_layers()
    networks = write_models(NETWORKS, "") + write_grus()
    ops = write_models(OPS, "ops")
    write_index(networks, ops)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
