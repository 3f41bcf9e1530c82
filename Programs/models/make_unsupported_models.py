#!/usr/bin/env python3
"""Generate a tiny model whose operators Systole does not (yet) support, for issue 14's
"the whole gap at once" tests: `inspect` lists every unsupported operator with counts, and every
model-loading command names them all in one line (exit 65).

Run from anywhere:
    venv/bin/python Programs/models/make_unsupported_models.py

Writes Programs/models/unsupported/gap_int8.tflite: a Keras model with tf.reduce_min (REDUCE_MIN
×3), tf.reverse (REVERSE_V2 ×2), tf.pad(mode="REFLECT") (MIRROR_PAD ×1) and tf.math.cumsum
(CUMSUM ×1, which TFLite has only for int32/int64/float32, so the converter leaves it in a float
island between DEQUANTIZE and QUANTIZE) and supported layers (FULLY_CONNECTED, ADD, RESHAPE)
between them, converted to int8 with the converter's defaults (Optimize.DEFAULT and a seeded
representative dataset; float input and output). A custom operator `FlexRoll` (the kind of
custom op the converter emits for a TensorFlow op under SELECT_TF_OPS) is then appended to the
graph with TFLite's flatbuffer utilities: it consumes the last output and produces a new one.
The script prints the operator counts it wrote; the Swift tests compute theirs from the file.

The operators are ones no part of issue 14 implements yet; until session 2026-12-06 the model
used LEAKY_RELU, RESIZE_BILINEAR and a TFLite_Detection_PostProcess custom op, which became
supported.

Everything is seeded; running the script twice yields byte-identical files.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["TF_DETERMINISTIC_OPS"] = "1"
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import collections
import logging
import warnings

warnings.filterwarnings("ignore")
logging.getLogger("absl").setLevel(logging.ERROR)

import numpy as np
import tensorflow as tf

tf.get_logger().setLevel(logging.ERROR)
from tensorflow.lite.python import schema_py_generated as S  # noqa: E402
from tensorflow.lite.tools import flatbuffer_utils  # noqa: E402

keras = tf.keras
L = keras.layers
HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "unsupported")
SEED = 20261206
OP_NAMES = {v: k for k, v in S.BuiltinOperator.__dict__.items() if not k.startswith("_")}


def build():
    keras.utils.set_random_seed(SEED)
    image = keras.Input(shape=(4, 4, 2), batch_size=1, name="image")
    x = L.Reshape((16, 2))(image)
    x = L.Dense(8)(x)
    x = L.Lambda(lambda t: tf.math.cumsum(t, axis=1))(x)
    x = L.Lambda(lambda t: tf.reduce_min(tf.reshape(t, (1, 16, 4, 2)), axis=3))(x)
    y = L.Lambda(lambda t: tf.reduce_min(tf.reshape(t, (1, 16, 4, 2)), axis=3))(L.Dense(8)(x))
    x = L.Add()([x, y])
    x = L.Lambda(lambda t: tf.reverse(t, axis=[1]))(x)
    x = L.Lambda(lambda t: tf.reduce_min(tf.reshape(t, (1, 4, 4, 4)), axis=2))(x)
    x = L.Reshape((2, 2, 4))(x)
    x = L.Lambda(lambda t: tf.pad(t, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT"))(x)
    x = L.Lambda(lambda t: tf.reverse(t, axis=[2]))(x)
    x = L.Dense(4)(L.Reshape((64,))(x))
    return keras.Model(image, x)


def convert(model):
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(SEED)
    samples = [[rng.standard_normal((1, 4, 4, 2)).astype(np.float32)] for _ in range(32)]
    conv.representative_dataset = lambda: iter(samples)
    return conv.convert()


def append_custom_op(data, code="FlexRoll"):
    m = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    oc = S.OperatorCodeT()
    oc.builtinCode = S.BuiltinOperator.CUSTOM
    oc.deprecatedBuiltinCode = S.BuiltinOperator.CUSTOM
    oc.customCode = code
    oc.version = 1
    m.operatorCodes.append(oc)
    sg = m.subgraphs[0]
    last = sg.outputs[0]
    out = S.TensorT()
    out.name = b"rolled"
    out.shape = np.array(sg.tensors[last].shape, dtype=np.int32)
    out.type = S.TensorType.FLOAT32
    empty = S.BufferT()
    m.buffers.append(empty)
    out.buffer = len(m.buffers) - 1
    sg.tensors.append(out)
    op = S.OperatorT()
    op.opcodeIndex = len(m.operatorCodes) - 1
    op.inputs = np.array([last], dtype=np.int32)
    op.outputs = np.array([len(sg.tensors) - 1], dtype=np.int32)
    sg.operators.append(op)
    sg.outputs = np.array([len(sg.tensors) - 1], dtype=np.int32)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(m))


def counts(data):
    m = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    c = collections.Counter()
    for sg in m.subgraphs:
        for o in sg.operators:
            oc = m.operatorCodes[o.opcodeIndex]
            b = max(oc.builtinCode, oc.deprecatedBuiltinCode)
            c[oc.customCode.decode() if b == S.BuiltinOperator.CUSTOM else OP_NAMES[b]] += 1
    return c


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    data = append_custom_op(convert(build()))
    path = os.path.join(OUT_DIR, "gap_int8.tflite")
    with open(path, "wb") as f:
        f.write(data)
    print(path, len(data), "bytes")
    for name, n in sorted(counts(data).items()):
        print("  %-32s %d" % (name, n))


if __name__ == "__main__":
    main()
