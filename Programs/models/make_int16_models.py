#!/usr/bin/env python3
"""16x8 quantization of issue 14's operators (int16 activations, int8 weights): which operators
TFLite 2.21's converter writes in int16, which of those BUILTIN_REF runs, and reference outputs
for the ones it runs; plus one uint8-I/O fixture.

Run from anywhere:
    venv/bin/python Programs/models/make_int16_models.py             # everything
    venv/bin/python Programs/models/make_int16_models.py --ops-only  # not the networks

Single-op models: every op spec of make_vision_models.py and make_transformer_models.py (their
builders, imported), converted by make_models.py's op machinery in its "int16x8" mode:
optimizations=[Optimize.DEFAULT], a seeded representative dataset,
target_spec.supported_ops=[EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8] and int16
input and output. For each spec the script prints whether the conversion succeeded, the operand
types of every operator the file holds, and whether TFLite's BUILTIN_REF resolver prepares and
runs it (a "no 16x8 kernel" line when it does not). Files that run are written to
int16/ops/<name>_int16x8.tflite with reference sets (reference/<stem>/, 8 invocations);
int16 inputs are seeded uniform over the whole int16 range, with the edge values -32768, -32767,
-1, 0, 1, 32767 at the start of the first invocation (ops whose spec asks for positive data
(SQRT, DIV) draw from [1, 32767]). TANH, EXP and exact GELU also get a file each whose single
invocation holds all 65,536 int16 values (<name>_all_int16x8).

UNIDIRECTIONAL_SEQUENCE_LSTM: make_recurrent_models.py's first fused-LSTM spec is converted the
same way and the outcome printed (TF 2.21: no 16x8 quantization for it; nothing is written).

Networks: the tiny ViT and BERT blocks of make_transformer_models.py and the U-Net and DeepLab
head of make_vision_models.py converted the same way (float32 input and output, the converter's
default, so the files start with QUANTIZE float32->int16); files that convert and run are
written to int16/<name>_int16x8.tflite with 3 seeded invocations.

uint8: TF2's converter writes uint8 only at the model's edges (inference_input_type=tf.uint8
and inference_output_type=tf.uint8 give QUANTIZE uint8->int8 in front and int8->uint8 behind
an int8 body). int16/mlp_uint8io.tflite is make_models.py's MLP converted that way.

uint8 kernels inside a model come only from the TF1-compatible converter
(tf.compat.v1.lite.TFLiteConverter.from_session, inference_type=tf.uint8, default_ranges_stats
(-4, 4), inputs (q - 128) / 32): the issue-14 ops of UINT8_SPECS are converted that way to
int16/uint8/<name>_uint8.tflite, kept when BUILTIN_REF runs them (3 invocations; unary 4x64 inputs
hold every uint8 value in each invocation).

Reference sets are listed in reference/index.json under "int16_ops" (single-op files and the
uint8 fixtures) and "int16" (networks). make_models.py keeps index keys it does not own.

Everything is seeded; running the script twice yields byte-identical files.
"""
import contextlib
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_models as MM  # noqa: E402
import make_recurrent_models as MR  # noqa: E402
import make_transformer_models as MT  # noqa: E402
import make_vision_models as MV  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.lite.tools import flatbuffer_utils  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "int16")
EDGES = [-32768, -32767, -1, 0, 1, 32767]
MODE = "int16x8"

_chained_make_inputs = MM.make_inputs


def make_inputs(spec, in_details, n_inv, shared):
    """int16 inputs: uniform over the int16 range (or [1, 32767] for positive data), the edge
    values first in invocation 0; other types as make_models.make_inputs (and the vision/transformer wrappers)."""
    if any(np.dtype(d["dtype"]) != np.int16 for d in in_details):
        return _chained_make_inputs(spec, in_details, n_inv, shared)
    rng = np.random.default_rng(MM.name_seed(spec.name + "/int16"))
    positive = spec.data == "positive"
    per_inv = []
    for inv in range(n_inv):
        arrs = []
        for d in in_details:
            shape = [int(x) for x in d["shape"]]
            lo = 1 if positive else -32768
            a = rng.integers(lo, 32768, int(np.prod(shape)), dtype=np.int64)
            if inv == 0:
                edges = [e for e in EDGES if e >= lo]
                k = min(len(edges), a.size)
                a[:k] = edges[:k]
            arrs.append(np.ascontiguousarray(a.astype(np.int16).reshape(shape)))
        per_inv.append(arrs)
    return per_inv


MM.make_inputs = make_inputs


def operand_lines(data):
    """One line per operator: name, input and output tensor types."""
    m = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    lines = []
    for si, sg in enumerate(m.subgraphs):
        for i, o in enumerate(sg.operators):
            oc = m.operatorCodes[o.opcodeIndex]
            name = MM.OP_NAMES[max(oc.builtinCode, oc.deprecatedBuiltinCode)]
            ins = ",".join(MM.TT_NAMES[sg.tensors[t].type] for t in o.inputs if t >= 0)
            outs = ",".join(MM.TT_NAMES[sg.tensors[t].type] for t in o.outputs if t >= 0)
            lines.append("%s v%d %s -> %s" % (name, oc.version, ins, outs))
    return lines


def runs_on_ref(path):
    """None when BUILTIN_REF allocates and invokes the file, else the first error line."""
    try:
        it = tf.lite.Interpreter(model_path=path, experimental_op_resolver_type=MM.REF, num_threads=1)
        it.allocate_tensors()
        for d in it.get_input_details():
            it.set_tensor(d["index"], np.zeros([int(x) for x in d["shape"]], dtype=d["dtype"]))
        it.invoke()
        return None
    except Exception as e:  # RuntimeError / ValueError from the interpreter
        text = str(e).strip().splitlines()
        return text[0][:200] if text else type(e).__name__


N_INV_OPS = 8       # invocations of each single-op 16x8 file (seeds: make_inputs above)


def write_op_fixtures():
    """int16/ops/: every vision and transformer op spec in 16x8; returns (entries, table)."""
    os.makedirs(os.path.join(OUT_DIR, "ops"), exist_ok=True)
    saved, MM.N_INV = MM.N_INV, N_INV_OPS
    try:
        return write_op_fixtures_inner()
    finally:
        MM.N_INV = saved


def write_op_fixtures_inner():
    entries, table = [], []
    for family, spec in [("vision", s) for s in MV.OP_SPECS] + [("transformer", s) for s in MT.OP_SPECS]:
        MM.seed_all(MM.name_seed(spec.name))
        mod, shapes = spec.build(np.random.default_rng(MM.name_seed(spec.name)))
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                data = MM.convert(spec, mod, shapes, MODE)
        except Exception as e:  # ConverterError: an op without a 16x8 quantization
            first = str(e).strip().splitlines()
            msg = first[0][:160] if first else type(e).__name__
            print("%-36s conversion fails: %s" % (spec.name, msg))
            table.append((spec.name, "conversion fails", msg))
            continue
        stem = "%s_%s" % (spec.name, MODE)
        rel = "int16/ops/%s.tflite" % stem
        path = os.path.join(HERE, rel)
        with open(path, "wb") as f:
            f.write(data)
        ops = operand_lines(data)
        run_path = MV.reference_copy(data, path)
        error = runs_on_ref(run_path)
        if error is not None:
            print("%-36s converts (%s) but BUILTIN_REF fails: %s" % (spec.name, "; ".join(ops), error))
            table.append((spec.name, "no 16x8 kernel", "; ".join(ops) + " | " + error))
            os.remove(path)
            if run_path != path:
                os.remove(run_path)
            continue
        shared = {}
        try:
            stem, manifest, _, _, ndiff, sat = MM.write_reference(spec, rel, run_path, shared, MM.inspect_model(data))
        except AssertionError as e:  # make_models' sanity checks: outputs that ignore the input
            print("%-36s runs (%s) but its outputs fail the sanity check: %s" % (spec.name, "; ".join(ops), e))
            table.append((spec.name, "degenerate reference", "; ".join(ops) + " | " + str(e)))
            for leftover in {path, run_path}:
                os.remove(leftover)
            continue
        finally:
            if run_path != path and os.path.exists(run_path):
                os.remove(run_path)
        entries.append({"stem": stem, "model": rel, "manifest": "reference/%s/manifest.json" % stem})
        print("%-36s %6d B ref-vs-opt diff=%-5d %s  %s" % (spec.name, len(data), ndiff, " ".join(sat), "; ".join(ops)))
        table.append((spec.name, "runs", "; ".join(ops)))
    return entries, table


# Every int16 value once: the table-driven activations (TANH's interpolated sigmoid table, the
# 513-entry LUTs of EXP and GELU) over the whole input space, one invocation each.
EXHAUSTIVE_SPECS = [
    MM.Spec("tanh_all", MM.simple(tf.tanh, [[256, 256]]), op_model=True, data="wide"),
    MM.Spec("exp_all", MM.simple(tf.exp, [[256, 256]]), op_model=True, data="wide"),
    MM.Spec("gelu_exact_all", MM.simple(lambda x: tf.nn.gelu(x, approximate=False), [[256, 256]]), op_model=True,
            data="wide"),
]


def write_exhaustive_fixtures():
    """int16/ops/<name>_int16x8.tflite with one invocation holding all 65,536 int16 values in a
    seeded order; returns index entries."""
    entries = []
    for spec in EXHAUSTIVE_SPECS:
        MM.seed_all(MM.name_seed(spec.name))
        mod, shapes = spec.build(np.random.default_rng(MM.name_seed(spec.name)))
        with contextlib.redirect_stdout(io.StringIO()):
            data = MM.convert(spec, mod, shapes, MODE)
        stem = "%s_%s" % (spec.name, MODE)
        rel = "int16/ops/%s.tflite" % stem
        path = os.path.join(HERE, rel)
        with open(path, "wb") as f:
            f.write(data)
        values = np.random.default_rng(MM.name_seed(spec.name + "/all")).permutation(np.arange(-32768, 32768))
        inputs = [[values.astype(np.int16).reshape(256, 256)]]
        _, ind, outd, outs = MM.run_interp(path, inputs, MM.REF)
        _, _, _, opt = MM.run_interp(path, inputs, MM.OPT)
        ndiff = int(np.count_nonzero(outs[0][0] != opt[0][0]))
        assert len(np.unique(outs[0][0])) > 256, "%s: nearly constant output" % stem
        MM.save_reference(stem, rel, False, inputs, outs, ind, outd, MM.inspect_model(data))
        entries.append({"stem": stem, "model": rel, "manifest": "reference/%s/manifest.json" % stem})
        print("%-36s %6d B every int16 value, ref-vs-opt diff=%d  %s" % (
            spec.name, len(data), ndiff, "; ".join(operand_lines(data))))
    return entries


def convert_network(model, samples):
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: iter(samples)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    with contextlib.redirect_stdout(io.StringIO()):
        return conv.convert()


def write_networks():
    """int16/<name>_int16x8.tflite for the networks that convert and run; returns entries."""
    entries = []
    nets = []
    for build in (MT.build_vit, MT.build_bert):
        model, sample = build()
        rng = np.random.default_rng(MT.SEED)
        nets.append((model.name, model, [sample(rng) for _ in range(MT.N_REP)],
                     lambda rng, details: MT.network_inputs(rng, details)))
    for name, build in (("unet_mobilenet_v2", MV.build_unet), ("deeplab_head", MV.build_deeplab)):
        MM.seed_all(MM.name_seed(name))
        rng = np.random.default_rng(MM.name_seed(name + "/weights"))
        model = build(None if name == "unet_mobilenet_v2" else 1)
        MV.init_weights(model, rng, MV.synthetic_images(rng, MV.N_STATS))
        rep = MV.synthetic_images(np.random.default_rng(MM.name_seed(name + "/rep")), MV.N_REP)
        nets.append((name, model, [[rep[i:i + 1]] for i in range(len(rep))],
                     lambda rng, details: [MV.synthetic_images(rng, 1)]))
    for name, model, samples, inputs_of in nets:
        try:
            data = convert_network(model, samples)
        except Exception as e:
            first = str(e).strip().splitlines()
            print("%s: 16x8 conversion fails: %s" % (name, first[0][:200] if first else type(e).__name__))
            continue
        rel = "int16/%s_int16x8.tflite" % name
        path = os.path.join(HERE, rel)
        with open(path, "wb") as f:
            f.write(data)
        error = runs_on_ref(path)
        counts = MV.op_counts(data)
        types = sorted({line.split(" -> ")[0].split(" ", 2)[0] + " " + line.split(" ", 2)[2]
                        for line in operand_lines(data)})
        print("%s: 16x8, %d bytes, %s" % (name, len(data), rel))
        for op, n in sorted(counts.items()):
            print("  %-28s x%d" % (op, n))
        for t in types:
            print("    " + t)
        if error is not None:
            print("  BUILTIN_REF fails: %s (file not kept)" % error)
            os.remove(path)
            continue
        probe = tf.lite.Interpreter(model_path=path, experimental_op_resolver_type=MM.REF)
        probe.allocate_tensors()
        rng = np.random.default_rng(MM.name_seed(name + "/int16/inputs"))
        inputs = [inputs_of(rng, probe.get_input_details()) for _ in range(MM.N_INV)]
        del probe
        _, ind, outd, outs = MM.run_interp(path, inputs, MM.REF)
        assert any(not np.array_equal(outs[0][0], o[0]) for o in outs[1:]), "%s: constant output" % name
        stem = os.path.splitext(os.path.basename(rel))[0]
        MM.save_reference(stem, rel, False, inputs, outs, ind, outd, MM.inspect_model(data))
        entries.append({"stem": stem, "model": rel, "manifest": "reference/%s/manifest.json" % stem})
    return entries


def write_uint8_fixture():
    """int16/mlp_uint8io.tflite: make_models.py's MLP, int8 inside, uint8 input and output."""
    spec = next(s for s in MM.NET_SPECS if s.name == "mlp")
    MM.seed_all(MM.name_seed(spec.name))
    mod, shapes = spec.build(np.random.default_rng(MM.name_seed(spec.name)))
    fn = mod.fn.get_concrete_function() if not hasattr(mod, "keras_model") else None
    conv = (tf.lite.TFLiteConverter.from_keras_model(mod.keras_model) if fn is None
            else tf.lite.TFLiteConverter.from_concrete_functions([fn], mod))
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(MM.name_seed(spec.name + "/rep"))
    samples = [[MM.gen_float(spec.data, rng, s) for s in shapes] for _ in range(MM.N_REP)]
    conv.representative_dataset = lambda: iter(samples)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.uint8
    conv.inference_output_type = tf.uint8
    with contextlib.redirect_stdout(io.StringIO()):
        data = conv.convert()
    rel = "int16/mlp_uint8io.tflite"
    path = os.path.join(HERE, rel)
    with open(path, "wb") as f:
        f.write(data)
    print("%s: %d bytes: %s" % (rel, len(data), "; ".join(operand_lines(data))))
    probe = tf.lite.Interpreter(model_path=path, experimental_op_resolver_type=MM.REF)
    probe.allocate_tensors()
    rng = np.random.default_rng(MM.name_seed("mlp_uint8io/inputs"))
    inputs = [[rng.integers(0, 256, [int(x) for x in d["shape"]]).astype(np.uint8) for d in probe.get_input_details()]
              for _ in range(MM.N_INV)]
    del probe
    _, ind, outd, outs = MM.run_interp(path, inputs, MM.REF)
    stem = "mlp_uint8io"
    MM.save_reference(stem, rel, False, inputs, outs, ind, outd, MM.inspect_model(data))
    return {"stem": stem, "model": rel, "manifest": "reference/%s/manifest.json" % stem}


def probe_lstm():
    """make_recurrent_models.py's first fused-LSTM op spec converted in 16x8: printed, not written
    (TF 2.21's converter has no 16x8 quantization for UNIDIRECTIONAL_SEQUENCE_LSTM)."""
    name, time, features, units, classes, batch, gain = MR.OPS[0][:7]
    seed = MM.name_seed(name)
    _, module = MR.build_lstm(time, features, units, classes, seed % (2 ** 31), batch, gain)
    conv = tf.lite.TFLiteConverter.from_concrete_functions([module.__call__.get_concrete_function()], module)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(seed)
    samples = [[rng.standard_normal(module.input_shape).astype(np.float32)] for _ in range(MR.N_REP)]
    conv.representative_dataset = lambda: iter(samples)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    conv.inference_input_type = tf.int16
    conv.inference_output_type = tf.int16
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            data = conv.convert()
    except Exception as e:
        first = str(e).strip().splitlines()
        print("%s (UNIDIRECTIONAL_SEQUENCE_LSTM): 16x8 conversion fails: %s" % (
            name, first[0][:200] if first else type(e).__name__))
        return
    print("%s (UNIDIRECTIONAL_SEQUENCE_LSTM) converts in 16x8 (not written): %s" % (name, "; ".join(operand_lines(data))))


# uint8 inside a model: TF2's converter writes uint8 only at the edges, but the TF1-compatible
# converter (tf.compat.v1.lite.TFLiteConverter.from_session with inference_type=tf.uint8, the
# legacy quantized-training path) writes uint8 kernels throughout. Without fake-quant nodes it
# takes every activation's range from default_ranges_stats; inputs are (q - 128) / 32.
UINT8_RANGE = (-4.0, 4.0)
UINT8_SPECS = [
    ("resize_bilinear_half_pixel", [[1, 4, 5, 3]],
     lambda x: tf.compat.v1.image.resize_bilinear(x, (7, 10), half_pixel_centers=True)),
    ("resize_bilinear_align_corners", [[1, 4, 5, 3]],
     lambda x: tf.compat.v1.image.resize_bilinear(x, (7, 9), align_corners=True)),
    ("resize_bilinear_legacy", [[1, 4, 5, 3]], lambda x: tf.compat.v1.image.resize_bilinear(x, (9, 7))),
    ("resize_nearest_half_pixel", [[1, 4, 5, 3]],
     lambda x: tf.compat.v1.image.resize_nearest_neighbor(x, (7, 10), half_pixel_centers=True)),
    ("resize_nearest_align_corners", [[1, 4, 5, 3]],
     lambda x: tf.compat.v1.image.resize_nearest_neighbor(x, (9, 7), align_corners=True)),
    ("space_to_depth", [[1, 4, 6, 3]], lambda x: tf.nn.space_to_depth(x, 2)),
    ("depth_to_space", [[1, 2, 3, 12]], lambda x: tf.nn.depth_to_space(x, 2)),
    ("tile", [[1, 2, 3, 4]], lambda x: tf.tile(x, [1, 2, 3, 1])),
    ("unpack_axis1", [[1, 3, 4, 5]], lambda x: tuple(tf.unstack(x, axis=1))),
    ("maximum_broadcast", [[1, 4, 4, 5], [1, 1, 4, 1]], tf.maximum),
    ("minimum_broadcast", [[1, 4, 4, 5], [1, 4, 1, 5]], tf.minimum),
    ("leaky_relu", [[4, 64]], lambda x: tf.nn.leaky_relu(x, alpha=0.2)),
    ("arg_max", [[1, 4, 5, 6]], lambda x: tf.argmax(x, -1, output_type=tf.int32)),
    ("l2_normalization", [[1, 4, 8]], lambda x: tf.math.l2_normalize(x, axis=-1)),
    ("tanh", [[4, 64]], tf.tanh),
    ("exp", [[4, 64]], tf.exp),
    ("gelu", [[4, 64]], lambda x: tf.nn.gelu(x, approximate=True)),
    ("gather_axis1", [[1, 4, 6]], lambda x: tf.gather(x, [2, 0, 3, 3, 1], axis=1)),
    ("reduce_max", [[1, 4, 6]], lambda x: tf.reduce_max(x, [1], keepdims=True)),
    ("slice", [[1, 4, 6]], lambda x: tf.slice(x, [0, 1, 2], [1, 2, -1])),
    ("split", [[1, 4, 6]], lambda x: tuple(tf.split(x, 3, axis=-1))),
    ("transpose_conv", [[1, 4, 4, 3]], None),
]


def uint8_transpose_conv(x):
    rng = np.random.default_rng(MM.name_seed("transpose_conv_uint8/weights"))
    w = tf.constant((rng.standard_normal((3, 3, 5, 3)) * 0.3).astype(np.float32))
    b = tf.constant(rng.normal(0, 0.2, 5).astype(np.float32))
    return tf.nn.conv2d_transpose(x, w, [1, 8, 8, 5], 2, "SAME") + b


def write_uint8_ops():
    """int16/uint8/<name>_uint8.tflite through the TF1-compatible converter, for the ops
    BUILTIN_REF runs in uint8; returns (entries, table)."""
    os.makedirs(os.path.join(OUT_DIR, "uint8"), exist_ok=True)
    entries, table = [], []
    for name, shapes, fn in UINT8_SPECS:
        fn = fn or uint8_transpose_conv
        graph = tf.Graph()
        with graph.as_default():
            xs = [tf.compat.v1.placeholder(tf.float32, s, name="in%d" % i) for i, s in enumerate(shapes)]
            ys = fn(*xs)
            ys = list(ys) if isinstance(ys, tuple) else [ys]
            with tf.compat.v1.Session(graph=graph) as sess:
                conv = tf.compat.v1.lite.TFLiteConverter.from_session(sess, xs, ys)
                conv.inference_type = tf.uint8
                conv.quantized_input_stats = {"in%d" % i: (128.0, 32.0) for i in range(len(xs))}
                conv.default_ranges_stats = UINT8_RANGE
                try:
                    with contextlib.redirect_stdout(io.StringIO()):
                        data = conv.convert()
                except Exception as e:
                    first = str(e).strip().splitlines()
                    msg = first[0][:160] if first else type(e).__name__
                    print("%-36s uint8 conversion fails: %s" % (name, msg))
                    table.append((name, "conversion fails", msg))
                    continue
        stem = "%s_uint8" % name
        rel = "int16/uint8/%s.tflite" % stem
        path = os.path.join(HERE, rel)
        with open(path, "wb") as f:
            f.write(data)
        ops = operand_lines(data)
        run_path = MV.reference_copy(data, path)
        error = runs_on_ref(run_path)
        if error is not None:
            print("%-36s uint8 converts (%s) but BUILTIN_REF fails: %s" % (name, "; ".join(ops), error))
            table.append((name, "no uint8 kernel", "; ".join(ops) + " | " + error))
            for leftover in {path, run_path}:
                os.remove(leftover)
            continue
        probe = tf.lite.Interpreter(model_path=run_path, experimental_op_resolver_type=MM.REF)
        probe.allocate_tensors()
        details = probe.get_input_details()
        del probe
        rng = np.random.default_rng(MM.name_seed(stem + "/inputs"))
        inputs = []
        for _ in range(MM.N_INV):
            arrs = []
            for d in details:
                shape = [int(x) for x in d["shape"]]
                if int(np.prod(shape)) == 256:    # unary 4x64: every uint8 value once
                    arrs.append(rng.permutation(np.arange(256)).astype(np.uint8).reshape(shape))
                else:
                    arrs.append(rng.integers(0, 256, shape).astype(np.uint8))
            inputs.append(arrs)
        _, ind, outd, outs = MM.run_interp(run_path, inputs, MM.REF)
        if run_path != path:
            os.remove(run_path)
        MM.save_reference(stem, rel, False, inputs, outs, ind, outd, MM.inspect_model(data))
        entries.append({"stem": stem, "model": rel, "manifest": "reference/%s/manifest.json" % stem})
        print("%-36s %6d B uint8  %s" % (name, len(data), "; ".join(ops)))
        table.append((name, "runs", "; ".join(ops)))
    return entries, table


def write_index(networks, ops):
    MM.update_index({"int16": networks, "int16_ops": ops})


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    ops, table = write_op_fixtures()
    print("\nsummary (%d specs): %d run in 16x8 on BUILTIN_REF" % (len(table), len(ops)))
    for name, status, detail in table:
        if status != "runs":
            print("  %-36s %s: %s" % (name, status, detail))
    ops += write_exhaustive_fixtures()
    ops.append(write_uint8_fixture())
    uint8_ops, uint8_table = write_uint8_ops()
    ops += uint8_ops
    print("uint8 (TF1-compatible converter): %d of %d specs run on BUILTIN_REF" % (len(uint8_ops), len(uint8_table)))
    for name, status, detail in uint8_table:
        if status != "runs":
            print("  %-36s %s: %s" % (name, status, detail))
    probe_lstm()
    if "--ops-only" in sys.argv[1:]:
        # the single-op files only; the networks' entries stay as they are
        networks = MM.read_index().get("int16", [])
    else:
        networks = write_networks()
    write_index(networks, ops)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
