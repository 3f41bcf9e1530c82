#!/usr/bin/env python3
"""Convert a tiny ViT block and a tiny BERT-style encoder block with TFLite's converter defaults
and print the builtin operators each file contains (issue 14: establish the transformer op list by
converting, not from memory); then write single-op models for the operators those files added to
Systole, and TFLite BUILTIN_REF reference outputs for all of them.

Run from anywhere:
    venv/bin/python Programs/models/make_transformer_models.py

Both models use only standard Keras layers (MultiHeadAttention, LayerNormalization,
Dense(activation="gelu"), Embedding for BERT). Conversion: TFLiteConverter.from_keras_model,
optimizations=[Optimize.DEFAULT] and a seeded representative dataset. The script first tries
target_spec.supported_ops=[TFLITE_BUILTINS_INT8] (full int8); when that fails it falls back to the
default int8 post-training quantization, which leaves float islands, and says so. Files are written
to Programs/models/transformers/<name>_int8.tflite.

Reference sets (Programs/models/reference/<stem>/, the layout make_models.py writes) are listed
in reference/index.json under "transformers" (the two blocks, 3 invocations each: seeded images,
seeded token ids) and "transformer_ops" (single-op files in transformers/ops/, built and
converted by make_models.py's op machinery: int8 in and out with TFLITE_BUILTINS_INT8, and a
float32 twin). make_models.py keeps index keys it does not own.

Everything is seeded; running the script twice yields byte-identical files.
"""
import collections
import contextlib
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_models as MM  # noqa: E402  (sets TF's environment before importing it)
from make_models import S, flatbuffer_utils, np, tf  # noqa: E402

keras = tf.keras
L = keras.layers
HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "transformers")
SEED = 20261206
N_REP = 32
OP_NAMES = {v: k for k, v in S.BuiltinOperator.__dict__.items() if not k.startswith("_")}


def encoder_block(x, dim, heads, mlp):
    """Pre-norm transformer block: LN → MHA → add, LN → Dense(gelu) → Dense → add."""
    h = L.LayerNormalization(epsilon=1e-6)(x)
    h = L.MultiHeadAttention(num_heads=heads, key_dim=dim // heads)(h, h)
    x = L.Add()([x, h])
    h = L.LayerNormalization(epsilon=1e-6)(x)
    h = L.Dense(mlp, activation="gelu")(h)
    h = L.Dense(dim)(h)
    return L.Add()([x, h])


def build_vit():
    """ViT-style: 8x8x3 image, 4x4 patches (conv stem), class token, position embedding, one block."""
    keras.utils.set_random_seed(SEED)
    image = keras.Input(shape=(8, 8, 3), batch_size=1, name="image")
    x = L.Conv2D(16, 4, strides=4)(image)            # 2x2 patches of 16 channels
    x = L.Reshape((4, 16))(x)
    x = L.Dense(16)(x)
    x = encoder_block(x, 16, 2, 32)
    x = L.LayerNormalization(epsilon=1e-6)(x)
    x = L.GlobalAveragePooling1D()(x)
    x = L.Dense(4)(x)
    return keras.Model(image, x, name="vit_tiny"), lambda rng: [rng.standard_normal((1, 8, 8, 3)).astype(np.float32)]


def build_bert():
    """BERT-style: token ids → Embedding + position embedding → LN → one block → tanh pooler."""
    keras.utils.set_random_seed(SEED)
    tokens = keras.Input(shape=(8,), batch_size=1, dtype="int32", name="tokens")
    x = L.Embedding(32, 16)(tokens)
    pos = L.Embedding(8, 16)(tf.range(8)[tf.newaxis, :])
    x = L.Add()([x, pos])
    x = L.LayerNormalization(epsilon=1e-12)(x)
    x = encoder_block(x, 16, 2, 32)
    cls = L.Lambda(lambda t: t[:, 0, :])(x)
    x = L.Dense(16, activation="tanh")(cls)
    x = L.Dense(2)(x)
    return keras.Model(tokens, x, name="bert_tiny"), lambda rng: [rng.integers(0, 32, (1, 8)).astype(np.int32)]


class NoNorm(L.Layer):
    """MobileBERT's NoNorm: an elementwise affine map in place of LayerNormalization."""

    def build(self, shape):
        self.gamma = self.add_weight(shape=(shape[-1],), initializer="ones")
        self.beta = self.add_weight(shape=(shape[-1],), initializer="zeros")

    def call(self, x):
        return x * self.gamma + self.beta


def build_mobilebert():
    """MobileBERT-style (op list only, no file): embedding → Dense 32, a 16-wide bottleneck with
    MultiHeadAttention, NoNorm and two stacked ReLU feed-forward layers, bottleneck out, tanh pooler."""
    keras.utils.set_random_seed(SEED)
    tokens = keras.Input(shape=(8,), batch_size=1, dtype="int32", name="tokens")
    x = L.Dense(32)(L.Embedding(32, 16)(tokens))
    h = L.Dense(16)(x)
    a = NoNorm()(L.Add()([L.MultiHeadAttention(num_heads=2, key_dim=8)(h, h), h]))
    for _ in range(2):
        a = NoNorm()(L.Add()([a, L.Dense(16)(L.Dense(32, activation="relu")(a))]))
    x = NoNorm()(L.Add()([x, L.Dense(32)(a)]))
    cls = L.Lambda(lambda t: t[:, 0, :])(x)
    x = L.Dense(2)(L.Dense(32, activation="tanh")(cls))
    return keras.Model(tokens, x, name="mobilebert_tiny"), lambda rng: [rng.integers(0, 32, (1, 8)).astype(np.int32)]


def convert(model, sample, full_int8):
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(SEED)
    samples = [sample(rng) for _ in range(N_REP)]
    conv.representative_dataset = lambda: iter(samples)
    if full_int8:
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    return conv.convert()


def op_counts(data):
    m = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    counts = collections.Counter()
    for sg in m.subgraphs:
        for o in sg.operators:
            oc = m.operatorCodes[o.opcodeIndex]
            code = max(oc.builtinCode, oc.deprecatedBuiltinCode)
            counts["%s (%d)" % (OP_NAMES.get(code, "?"), code)] += 1
    return counts


def gelu_op(approximate):
    return MM.simple(lambda x: tf.nn.gelu(x, approximate=approximate), [[4, 64]])


def select_v1(a, c):
    return tf.raw_ops.Select(condition=a < c, x=a, y=c)


# Single-op files for the operators the two blocks need (GELU both ways, TANH, GATHER, LESS,
# SELECT, SELECT_V2). The table-driven ops (EXHAUSTIVE) take 4x64 int8 inputs holding every
# int8 value once, in a seeded order per invocation: each reference invocation checks the whole
# 256-entry table; the float twins see the same values dequantized.
OP_SPECS = [
    MM.Spec("gelu_exact", gelu_op(False), op_model=True, data="wide"),
    MM.Spec("gelu_approximate", gelu_op(True), op_model=True, data="wide"),
    MM.Spec("tanh", MM.simple(tf.tanh, [[4, 64]]), op_model=True, data="wide"),
    MM.Spec("gather_axis1", MM.simple(lambda x: tf.gather(x, [2, 0, 3, 3, 1], axis=1), [[1, 4, 6]]), op_model=True),
    MM.Spec("gather_axis2_2d", MM.simple(lambda x: tf.gather(x, [[0, 4], [2, 2], [1, 3]], axis=2), [[1, 3, 5, 2]]),
            op_model=True),
    MM.Spec("gather_batch_dims", MM.simple(lambda x: tf.gather(x, [[1, 0, 2], [2, 2, 0]], axis=1, batch_dims=1),
                                           [[2, 3, 4]]), op_model=True),
    MM.Spec("less_select_v2", MM.simple(lambda a, c: tf.where(a < c, a, c), [[1, 4, 8], [1, 1, 8]]), op_model=True),
    MM.Spec("less_select", MM.simple(select_v1, [[1, 4, 8], [1, 4, 8]]), op_model=True),
    # Further ops issue 14 lists for transformers (the two blocks above do not emit them).
    MM.Spec("exp", MM.simple(tf.exp, [[4, 64]]), op_model=True),
    MM.Spec("reduce_max_keepdims", MM.simple(lambda x: tf.reduce_max(x, [1], keepdims=True), [[1, 4, 6]]),
            op_model=True),
    MM.Spec("reduce_max_hw", MM.simple(lambda x: tf.reduce_max(x, [1, -2]), [[1, 3, 4, 5]]), op_model=True),
    # A static EXPAND_DIMS becomes RESHAPE; a dynamic batch keeps the op.
    MM.Spec("expand_dims_dynamic", MM.simple(lambda x: tf.expand_dims(x, -2), [[None, 4, 6]]), op_model=True),
    MM.Spec("slice", MM.simple(lambda x: tf.slice(x, [0, 1, 2], [1, 2, -1]), [[1, 4, 6]]), op_model=True),
    MM.Spec("split", MM.simple(lambda x: tuple(tf.split(x, 3, axis=-1)), [[1, 4, 6]]), op_model=True),
    MM.Spec("broadcast_to", MM.simple(lambda x: tf.broadcast_to(x, [2, 4, 6]), [[1, 1, 6]]), op_model=True),
    # issue 14 part 2 (SUM, REDUCE_PROD, DIV, SQRT, POW, CAST). The converter emits int8 SUM,
    # REDUCE_PROD, DIV and SQRT and keeps POW and CAST in float. Systole's golden model has the
    # int8 SQRT and DIV kernels; int8 REDUCE_PROD is a float-only fixture until it has one. SUM
    # is float-only here: the quantized SUM files are make_sum_models.py's (TF 2.21's BUILTIN_REF
    # int8 SUM runs the uint8 kernel on the int8 bytes, docs/quantization.md).
    MM.Spec("sum_keepdims", MM.simple(lambda x: tf.reduce_sum(x, [2], keepdims=True), [[1, 4, 6]]), op_model=True,
            modes=("float",)),
    MM.Spec("sum_two_axes", MM.simple(lambda x: tf.reduce_sum(x, [0, -1]), [[2, 3, 5]]), op_model=True,
            modes=("float",)),
    MM.Spec("sqrt", MM.simple(tf.sqrt, [[4, 64]]), op_model=True, data="positive"),
    MM.Spec("reduce_prod", MM.simple(lambda x: tf.reduce_prod(x, [1]), [[1, 3, 5]]), op_model=True,
            data="positive"),
    MM.Spec("div_broadcast", MM.simple(lambda a, c: a / c, [[1, 4, 6], [1, 1, 6]]), op_model=True,
            data="positive"),
    MM.Spec("pow", MM.simple(lambda a, c: tf.pow(a, c), [[1, 4, 6], [1, 4, 6]]), op_model=True,
            data="positive", modes=("float",)),
    MM.Spec("cast_roundtrip", MM.simple(lambda x: tf.cast(tf.cast(x * 4, tf.int32), tf.float32) + x, [[1, 4, 6]]),
            op_model=True, modes=("float",)),
]


EXHAUSTIVE = {"gelu_exact", "gelu_approximate", "tanh", "exp"}
_make_inputs = MM.make_inputs


def make_inputs(spec, in_details, n_inv, shared):
    """make_models.make_inputs, except every int8 value once per invocation for EXHAUSTIVE ops."""
    if spec.name not in EXHAUSTIVE or np.dtype(in_details[0]["dtype"]) != np.int8:
        return _make_inputs(spec, in_details, n_inv, shared)
    (d,) = in_details
    q = d["quantization_parameters"]
    scale, zp = float(q["scales"][0]), int(q["zero_points"][0])
    shape = [int(x) for x in d["shape"]]
    assert int(np.prod(shape)) == 256, shape
    rng = np.random.default_rng(MM.name_seed(spec.name + "/exhaustive"))
    per_inv = []
    for inv in range(n_inv):
        a = rng.permutation(np.arange(-128, 128)).astype(np.int8).reshape(shape)
        shared[(inv, 0)] = (a.astype(np.float64) - zp) * scale
        per_inv.append([a])
    return per_inv


MM.make_inputs = make_inputs


def write_op_fixtures():
    """Single-op models in transformers/ops/ and their reference sets; returns index entries."""
    return MM.write_op_fixture_set(OP_SPECS, "transformers/ops")


def write_network_reference(name, rel, data, inputs_of):
    """reference/<stem>/ for a block: three seeded invocations through BUILTIN_REF."""
    path = os.path.join(HERE, rel)
    probe = tf.lite.Interpreter(model_path=path, experimental_op_resolver_type=MM.REF)
    probe.allocate_tensors()
    rng = np.random.default_rng(MM.name_seed(name + "/inputs"))
    inputs = [inputs_of(rng, probe.get_input_details()) for _ in range(MM.N_INV)]
    del probe
    _, ind, outd, outs = MM.run_interp(path, inputs, MM.REF)
    assert any(not np.array_equal(outs[0][0], o[0]) for o in outs[1:]), "%s: constant output" % name
    stem = os.path.splitext(os.path.basename(rel))[0]
    MM.save_reference(stem, rel, False, inputs, outs, ind, outd, MM.inspect_model(data))
    return {"stem": stem, "model": rel, "manifest": "reference/%s/manifest.json" % stem}


def network_inputs(rng, details):
    arrs = []
    for d in details:
        shape = [int(x) for x in d["shape"]]
        if d["dtype"] == np.int32:
            arrs.append(rng.integers(0, 32, shape).astype(np.int32))
        else:
            arrs.append(rng.standard_normal(shape).astype(np.float32))
    return arrs


def write_index(networks, ops):
    MM.update_index({"transformers": networks, "transformer_ops": ops})


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    networks = []
    for build in (build_vit, build_bert):
        model, sample = build()
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # keras export chatter
                data, how = convert(model, sample, True), "TFLITE_BUILTINS_INT8"
        except Exception as e:  # the converter raises ConverterError for ops without int8 kernels
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            print("%s: full-int8 conversion failed (%s); using default int8 PTQ" % (model.name, first[:200]))
            with contextlib.redirect_stdout(io.StringIO()):
                data, how = convert(model, sample, False), "default PTQ"
        path = os.path.join(OUT_DIR, "%s_int8.tflite" % model.name)
        with open(path, "wb") as f:
            f.write(data)
        print("%s: %s, %d bytes, %s" % (model.name, how, len(data), os.path.relpath(path, HERE)))
        for name, n in sorted(op_counts(data).items()):
            print("  %-28s x%d" % (name, n))
        networks.append(write_network_reference(model.name, os.path.relpath(path, HERE), data, network_inputs))
    # MobileBERT-style: the op list only (issue 14 asks which ops such encoders need).
    model, sample = build_mobilebert()
    with contextlib.redirect_stdout(io.StringIO()):
        data = convert(model, sample, True)
    print("%s: TFLITE_BUILTINS_INT8, %d bytes (not written)" % (model.name, len(data)))
    for name, n in sorted(op_counts(data).items()):
        print("  %-28s x%d" % (name, n))
    write_index(networks, write_op_fixtures())
    sys.stdout.flush()


if __name__ == "__main__":
    main()
