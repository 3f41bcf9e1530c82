#!/usr/bin/env python3
"""Generate Systole's test models and their TFLite *reference-kernel* outputs.

Run from anywhere:
    venv/bin/python Programs/models/make_models.py

Everything is seeded; running the script twice yields byte-identical files.
See README.md next to this file for the list of models and the file layout.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"  # no oneDNN re-ordering of float sums
os.environ["TF_DETERMINISTIC_OPS"] = "1"
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import contextlib
import io
import json
import logging
import random
import shutil
import sys
import warnings
import zlib

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
OPS_DIR = os.path.join(HERE, "ops")
REF_DIR = os.path.join(HERE, "reference")
BASE_SEED = 20240601
N_REP = 64          # representative-dataset samples
N_INV = 3           # reference invocations for stateless models
N_INV_STATEFUL = 4  # reference invocations for the streaming model
N_INV_BATCHED = 2   # invocations of each batch-N reference set (reference/<stem>_b<N>/)

OP_NAMES = {v: k for k, v in S.BuiltinOperator.__dict__.items() if not k.startswith("_")}
ACT_NAMES = {v: k for k, v in S.ActivationFunctionType.__dict__.items() if not k.startswith("_")}
PAD_NAMES = {v: k for k, v in S.Padding.__dict__.items() if not k.startswith("_")}
TT_NAMES = {v: k for k, v in S.TensorType.__dict__.items() if not k.startswith("_")}
REF = tf.lite.experimental.OpResolverType.BUILTIN_REF
OPT = tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES


def log(*a):
    print(*a, flush=True)


def name_seed(name):
    return (BASE_SEED + zlib.crc32(name.encode())) % (2 ** 31)


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
    keras.backend.clear_session()   # stable layer / tensor names
    keras.utils.set_random_seed(seed)


# ----------------------------------------------------------------------------
# Model specification
# ----------------------------------------------------------------------------
class Spec:
    """One model family.

    build(rng) -> (tf.Module holding `fn`, list of input shapes)
    modes: subset of {"int8", "float", "int8_floatio", "int16x8"}
    """

    def __init__(self, name, build, modes=("int8", "float"), op_model=False,
                 stateful=False, data=None, int_inputs=None, batches=()):
        self.name = name
        # extra reference sets of the int8 file at these batch sizes (dynamic-batch models)
        self.batches = batches
        self.build = build
        self.modes = modes
        self.op_model = op_model
        self.stateful = stateful
        self.data = data or ("uniform" if op_model else "normal")  # see gen_float
        # int8 reference inputs: "full" = uniform over [-128,127];
        # "float" = quantized seeded float data (realistic range)
        self.int_inputs = int_inputs or ("full" if op_model else "float")


def gen_float(kind, rng, shape):
    shape = [1 if (d is None or d < 0) else d for d in shape]
    if kind == "normal":
        return rng.standard_normal(shape).astype(np.float32)
    if kind == "positive":  # for RSQRT
        return rng.uniform(0.05, 4.0, shape).astype(np.float32)
    if kind == "image":
        # per-sample channel offsets + smooth low-frequency pattern + noise, so
        # that global statistics (which survive global pooling) vary per sample
        n, h, wd, c = shape
        base = rng.normal(0.0, 0.8, (n, 1, 1, c))
        gh, gw = -(-h // 4), -(-wd // 4)
        low = rng.standard_normal((n, gh, gw, c))
        low = np.repeat(np.repeat(low, 4, axis=1), 4, axis=2)[:, :h, :wd, :]
        gain = rng.uniform(0.5, 1.5, (n, 1, 1, 1))
        return (gain * (base + low + 0.5 * rng.standard_normal(shape))).astype(np.float32)
    if kind == "uniform":
        return rng.uniform(-3.0, 3.0, shape).astype(np.float32)
    if kind == "wide":
        return rng.uniform(-8.0, 8.0, shape).astype(np.float32)
    raise ValueError(kind)


# ----------------------------------------------------------------------------
# Weight helpers
# ----------------------------------------------------------------------------
def randomize_keras(model, rng):
    """Seeded random weights, biases and BN statistics for every Keras layer."""
    for layer in model.layers:
        for v in layer.weights:
            n = v.name.split("/")[-1].split(":")[0]
            shp = tuple(v.shape)
            if n in ("kernel", "depthwise_kernel", "pointwise_kernel"):
                if n == "depthwise_kernel":
                    fan_in = shp[0] * shp[1]
                else:
                    fan_in = int(np.prod(shp[:-1]))
                val = rng.standard_normal(shp) * np.sqrt(2.0 / fan_in)
            elif n == "bias":
                val = rng.normal(0.0, 0.2, shp)
            elif n == "gamma":
                val = rng.uniform(0.6, 1.4, shp)
            elif n == "beta":
                val = rng.normal(0.0, 0.25, shp)
            elif n == "moving_mean":
                val = rng.normal(0.0, 0.3, shp)
            elif n == "moving_variance":
                val = rng.uniform(0.5, 1.8, shp)
            else:
                raise ValueError("unexpected weight %s in %s" % (v.name, layer.name))
            v.assign(val.astype(np.float32))


def w(rng, *shape, fan_in=None, scale=1.0):
    fan_in = fan_in or int(np.prod(shape[:-1]))
    return tf.constant((rng.standard_normal(shape) * scale * np.sqrt(2.0 / fan_in)).astype(np.float32))


def b(rng, n, std=0.2):
    return tf.constant(rng.normal(0.0, std, (n,)).astype(np.float32))


def module_fn(fn, shapes, obj=None, dtype=tf.float32):
    m = tf.Module()
    if obj is not None:
        m.obj = obj
    # explicit names: multi-input calibration data is fed by signature name
    m.fn = tf.function(fn, input_signature=[tf.TensorSpec(s, dtype, name="in%d" % i)
                                            for i, s in enumerate(shapes)])
    return m, shapes


def keras_fn(model, shape):
    """`shape` is the batch-1 shape of the calibration samples. The model itself is built
    with `keras.Input(shape[1:])`, the converter's default: a dynamic batch (-1 in the
    shape signature, 1 in the stored shape)."""
    m, shapes = module_fn(lambda x: model(x, training=False), [shape], obj=model)
    m.keras_model = model   # converted with from_keras_model (freezes variables)
    return m, shapes


# ----------------------------------------------------------------------------
# Network models
# ----------------------------------------------------------------------------
def build_mobilenet_v2(rng):
    def conv_bn(x, c, k, s, act=True):
        x = L.Conv2D(c, k, strides=s, padding="same", use_bias=False)(x)
        x = L.BatchNormalization()(x)
        return L.ReLU(6.0)(x) if act else x

    def inv_res(x, expand, c_out, stride):
        c_in = x.shape[-1]
        y = x
        if expand != 1:
            y = conv_bn(y, c_in * expand, 1, 1)
        y = L.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(y)
        y = L.BatchNormalization()(y)
        y = L.ReLU(6.0)(y)
        y = conv_bn(y, c_out, 1, 1, act=False)          # linear bottleneck
        if stride == 1 and c_in == c_out:
            y = L.Add()([x, y])
        return y

    inp = keras.Input((32, 32, 3))
    x = conv_bn(inp, 16, 3, 2)                 # 16x16x16
    x = inv_res(x, 1, 8, 1)                    # 16x16x8
    x = inv_res(x, 4, 12, 2)                   # 8x8x12
    x = inv_res(x, 4, 12, 1)                   # residual
    x = inv_res(x, 4, 16, 2)                   # 4x4x16
    x = inv_res(x, 4, 16, 1)                   # residual
    x = conv_bn(x, 48, 1, 1)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dense(10)(x)
    out = L.Softmax()(x)
    model = keras.Model(inp, out)
    randomize_keras(model, rng)
    return keras_fn(model, [1, 32, 32, 3])


def build_resnet_small(rng):
    def conv_bn(x, c, k, s, relu=True):
        x = L.Conv2D(c, k, strides=s, padding="same", use_bias=False)(x)
        x = L.BatchNormalization()(x)
        return L.ReLU()(x) if relu else x

    inp = keras.Input((32, 32, 3))
    x = conv_bn(inp, 12, 3, 1)
    x = L.MaxPooling2D(2)(x)                   # 16x16x12
    y = conv_bn(x, 12, 3, 1)
    y = conv_bn(y, 12, 3, 1, relu=False)
    x = L.ReLU()(L.Add()([x, y]))              # identity block
    y = conv_bn(x, 24, 3, 2)
    y = conv_bn(y, 24, 3, 1, relu=False)
    sc = conv_bn(x, 24, 1, 2, relu=False)      # 1x1 strided projection
    x = L.ReLU()(L.Add()([sc, y]))             # 8x8x24
    y = conv_bn(x, 24, 3, 1)
    y = conv_bn(y, 24, 3, 1, relu=False)
    x = L.ReLU()(L.Add()([x, y]))
    x = L.GlobalAveragePooling2D()(x)
    out = L.Dense(10)(x)
    model = keras.Model(inp, out)
    randomize_keras(model, rng)
    return keras_fn(model, [1, 32, 32, 3])


def build_kws_dscnn(rng):
    inp = keras.Input((49, 10, 1))
    x = L.Conv2D(16, (10, 4), strides=(2, 2), padding="same", use_bias=False)(inp)
    x = L.BatchNormalization()(x)
    x = L.ReLU()(x)                            # 25x5x16

    def ds(x, c_out, mult=1):
        x = L.DepthwiseConv2D(3, padding="same", depth_multiplier=mult, use_bias=False)(x)
        x = L.BatchNormalization()(x)
        x = L.ReLU()(x)
        x = L.Conv2D(c_out, 1, use_bias=False)(x)
        x = L.BatchNormalization()(x)
        return L.ReLU()(x)

    x = ds(x, 16)
    x = ds(x, 16)
    x = ds(x, 24, mult=2)                      # depthwise 16 -> 32 channels
    x = L.AveragePooling2D(pool_size=(25, 5))(x)
    x = L.Flatten()(x)
    x = L.Dense(12)(x)
    out = L.Softmax()(x)
    model = keras.Model(inp, out)
    randomize_keras(model, rng)
    return keras_fn(model, [1, 49, 10, 1])


def build_mlp(rng):
    inp = keras.Input((64,))
    x = L.Dense(32, activation="relu")(inp)
    x = L.Dense(32, activation="relu")(x)
    out = L.Dense(10)(x)
    model = keras.Model(inp, out)
    randomize_keras(model, rng)
    return keras_fn(model, [1, 64])


def hard_swish(x):
    return x * tf.nn.relu6(x + 3.0) * (1.0 / 6.0)


class DilatedConv2D(L.Layer):
    """Conv2D SAME with a dilation, computed by `tf.nn.conv2d(dilations=...)`.

    Keras's own `Conv2D(dilation_rate=2)` goes through `tf.nn.convolution`, which writes a
    dilated convolution as SPACE_TO_BATCH_ND → CONV_2D → BATCH_TO_SPACE_ND (+ ADD for the
    bias). The converter folds that back into one dilated CONV_2D only when the batch is
    static; with the default dynamic batch the three ops stay. The raw op keeps convpool a
    single dilated CONV_2D with a fused RELU6, as it was with a static batch. Weights are
    named like Conv2D's, so `randomize_keras` draws the same values."""

    def __init__(self, filters, kernel_size, dilation, **kw):
        super().__init__(**kw)
        self.filters, self.kernel_size, self.dilation = filters, kernel_size, dilation

    def build(self, input_shape):
        k = self.kernel_size
        self.kernel = self.add_weight(name="kernel", shape=(k, k, input_shape[-1], self.filters))
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")

    def call(self, x):
        y = tf.nn.conv2d(x, self.kernel, 1, "SAME", dilations=self.dilation) + self.bias
        return tf.nn.relu6(y)


def build_convpool(rng):
    inp = keras.Input((16, 16, 3))
    x = L.Conv2D(8, 3, padding="same", activation="relu")(inp)        # SAME, 16x16x8
    a = L.MaxPooling2D(2, strides=2, padding="valid")(x)              # 8x8x8
    # symmetric (1,1) padding != SAME padding for stride 2 on 16x16 (which is
    # (0,1)), so the converter cannot fold it into the conv: PAD survives
    c = L.ZeroPadding2D(((1, 1), (1, 1)))(x)                          # PAD 18x18
    c = L.Conv2D(8, 3, strides=2, padding="valid")(c)                 # VALID stride 2
    c = L.Lambda(hard_swish)(c)                                       # HARD_SWISH
    x = L.Concatenate()([a, c])                                       # 8x8x16
    x = DilatedConv2D(12, 3, 2)(x)                                    # dilation 2 SAME relu6
    x = L.AveragePooling2D(3, strides=2, padding="same")(x)           # 4x4x12
    x = L.MaxPooling2D(3, strides=1, padding="same")(x)
    g = L.Conv2D(12, 1, activation="sigmoid")(x)                      # LOGISTIC
    x = L.Multiply()([x, g])                                          # gating
    x = L.Flatten()(x)
    out = L.Dense(10)(x)
    model = keras.Model(inp, out)
    randomize_keras(model, rng)
    return keras_fn(model, [1, 16, 16, 3])


def layer_norm(x, gamma, beta, eps=1e-3):
    mean = tf.reduce_mean(x, axis=-1, keepdims=True)
    var = tf.reduce_mean(tf.math.squared_difference(x, mean), axis=-1, keepdims=True)
    return (x - mean) * tf.math.rsqrt(var + eps) * gamma + beta


def build_attention(rng):
    T, C, H = 8, 16, 2
    D = C // H
    p = dict(
        g1=tf.constant(rng.uniform(0.6, 1.4, C).astype(np.float32)), b1=b(rng, C),
        wq=w(rng, C, C), bq=b(rng, C), wk=w(rng, C, C), bk=b(rng, C),
        wv=w(rng, C, C), bv=b(rng, C), wo=w(rng, C, C), bo=b(rng, C),
        g2=tf.constant(rng.uniform(0.6, 1.4, C).astype(np.float32)), b2=b(rng, C),
        w1=w(rng, C, 2 * C), b1f=b(rng, 2 * C), w2=w(rng, 2 * C, C), b2f=b(rng, C),
    )

    def heads(t):                       # (B,T,C) -> (B,H,T,D)
        return tf.transpose(tf.reshape(t, [-1, T, H, D]), [0, 2, 1, 3])

    def fn(x):
        h = layer_norm(x, p["g1"], p["b1"])
        q = heads(tf.matmul(h, p["wq"]) + p["bq"])     # 3-D FULLY_CONNECTED
        k = heads(tf.matmul(h, p["wk"]) + p["bk"])
        v = heads(tf.matmul(h, p["wv"]) + p["bv"])
        s = tf.matmul(q, k, transpose_b=True) * (1.0 / np.sqrt(D))   # BATCH_MATMUL
        a = tf.nn.softmax(s, axis=-1)
        o = tf.matmul(a, v)                                        # BATCH_MATMUL
        o = tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [-1, T, C])
        x = x + tf.matmul(o, p["wo"]) + p["bo"]
        h = layer_norm(x, p["g2"], p["b2"])
        h = tf.nn.relu(tf.matmul(h, p["w1"]) + p["b1f"])
        return x + tf.matmul(h, p["w2"]) + p["b2f"]

    # dynamic batch, as the converter writes Keras models by default
    return module_fn(fn, [[None, T, C]])


class Streaming(tf.Module):
    """Streaming 1-D conv over frames: the last 2 input frames are kept in a
    resource variable; each call consumes one new frame (1,1,F).

    The only network with a static batch: the state variable holds one stream's frames,
    (1, K-1, F), so concat(state, x) needs x's batch to be 1. A -1 batch in the input
    signature would promise shapes the model cannot run."""

    F, K, C = 10, 3, 16

    def __init__(self, rng):
        super().__init__()
        F, K, C = self.F, self.K, self.C
        self.state = tf.Variable(np.zeros((1, K - 1, F), np.float32), name="frames")
        self.w1 = tf.constant((rng.standard_normal((K, F, C)) * np.sqrt(2.0 / (K * F))).astype(np.float32))
        self.b1 = b(rng, C)
        self.w2 = w(rng, C, 4)
        self.b2 = b(rng, 4)

    @tf.function(input_signature=[tf.TensorSpec([1, 1, 10], tf.float32)])
    def fn(self, x):
        buf = tf.concat([self.state, x], axis=1)          # (1, K, F)
        self.state.assign(buf[:, 1:, :])
        y = tf.nn.relu(tf.nn.conv1d(buf, self.w1, 1, "VALID") + self.b1)   # (1,1,C)
        y = tf.reshape(y, [1, self.C])
        return tf.matmul(y, self.w2) + self.b2


def build_streaming(rng):
    m = Streaming(rng)
    return m, [[1, 1, 10]]


def build_int16x8_net(rng):
    inp = keras.Input((8, 8, 4))
    x = L.Conv2D(8, 3, padding="same", activation="relu")(inp)
    y = L.DepthwiseConv2D(3, padding="same", activation="relu")(x)
    y = L.Conv2D(8, 1)(y)
    x = L.Add()([x, y])
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    x = L.Flatten()(x)
    out = L.Dense(10)(x)
    model = keras.Model(inp, out)
    randomize_keras(model, rng)
    return keras_fn(model, [1, 8, 8, 4])


# ----------------------------------------------------------------------------
# Single-op models
# ----------------------------------------------------------------------------
def op(fn_of_rng, shapes):
    """fn_of_rng(rng) -> python function of the inputs."""
    return lambda rng: module_fn(fn_of_rng(rng), shapes)


def conv_op(shape, k, cout, stride, pad, dil=1, act=None):
    def mk(rng):
        W = w(rng, k, k, shape[-1], cout)
        B = b(rng, cout)

        def fn(x):
            y = tf.nn.conv2d(x, W, stride, pad, dilations=dil) + B
            return act(y) if act else y
        return fn
    return op(mk, [shape])


def dw_op(shape, k, mult, stride, pad, act=None):
    def mk(rng):
        W = w(rng, k, k, shape[-1], mult, fan_in=k * k)
        B = b(rng, shape[-1] * mult)

        def fn(x):
            y = tf.nn.depthwise_conv2d(x, W, [1, stride, stride, 1], pad) + B
            return act(y) if act else y
        return fn
    return op(mk, [shape])


def fc_op(shape, cout, act=None):
    def mk(rng):
        W = w(rng, shape[-1], cout)
        B = b(rng, cout)

        def fn(x):
            y = tf.matmul(x, W) + B
            return act(y) if act else y
        return fn
    return op(mk, [shape])


def const_op(fn_of_rng_consts, shapes):
    return op(fn_of_rng_consts, shapes)


def simple(fn, shapes):
    return op(lambda rng: fn, shapes)


def clip_n1_1(y):
    return tf.clip_by_value(y, -1.0, 1.0)


def mul_const(rng):
    c = tf.constant(rng.uniform(-2.0, 2.0, (1, 1, 1, 6)).astype(np.float32))
    return lambda x: x * c


def padv2(x):
    return tf.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]], constant_values=0.75)


OP_SPECS = [
    # CONV_2D
    Spec("conv2d_s1_valid_relu6", conv_op([1, 8, 8, 4], 3, 6, 1, "VALID", act=tf.nn.relu6), op_model=True),
    Spec("conv2d_s2_same_relu", conv_op([1, 9, 9, 4], 3, 6, 2, "SAME", act=tf.nn.relu), op_model=True),
    Spec("conv2d_dilated_same", conv_op([1, 10, 10, 3], 3, 5, 1, "SAME", dil=2), op_model=True),
    Spec("conv2d_1x1_relun1to1", conv_op([1, 6, 6, 8], 1, 4, 1, "VALID", act=clip_n1_1), op_model=True),
    # DEPTHWISE_CONV_2D
    Spec("depthwise_conv2d_m1_same_relu6", dw_op([1, 8, 8, 4], 3, 1, 1, "SAME", act=tf.nn.relu6), op_model=True),
    Spec("depthwise_conv2d_m2_s2_valid", dw_op([1, 9, 9, 3], 3, 2, 2, "VALID"), op_model=True),
    # FULLY_CONNECTED / BATCH_MATMUL
    Spec("fully_connected_2d_relu", fc_op([1, 24], 16, act=tf.nn.relu), op_model=True),
    Spec("fully_connected_3d_keepdims", fc_op([1, 5, 12], 8), op_model=True),
    Spec("batch_matmul_adjy", simple(lambda a, c: tf.matmul(a, c, transpose_b=True), [[1, 2, 5, 8], [1, 2, 6, 8]]), op_model=True),
    Spec("batch_matmul_3d", simple(lambda a, c: tf.matmul(a, c), [[1, 4, 6], [1, 6, 3]]), op_model=True),
    # elementwise binary
    Spec("add_relu", simple(lambda a, c: tf.nn.relu(a + c), [[1, 4, 4, 6], [1, 4, 4, 6]]), op_model=True),
    Spec("add_broadcast", simple(lambda a, c: a + c, [[1, 4, 4, 6], [1, 1, 1, 6]]), op_model=True),
    Spec("sub_broadcast", simple(lambda a, c: a - c, [[1, 4, 4, 6], [1, 4, 1, 6]]), op_model=True),
    Spec("mul_broadcast", simple(lambda a, c: a * c, [[1, 4, 4, 6], [1, 1, 4, 1]]), op_model=True),
    Spec("mul_const", const_op(mul_const, [[1, 4, 4, 6]]), op_model=True),
    Spec("squared_difference", simple(tf.math.squared_difference, [[1, 4, 8], [1, 4, 1]]), op_model=True),
    # elementwise unary
    Spec("neg", simple(tf.negative, [[1, 4, 4, 3]]), op_model=True),
    Spec("rsqrt", simple(tf.math.rsqrt, [[1, 4, 8]]), op_model=True, data="positive", int_inputs="float"),
    Spec("logistic", simple(tf.sigmoid, [[1, 4, 4, 3]]), op_model=True, data="wide"),
    Spec("hard_swish", simple(hard_swish, [[1, 4, 4, 3]]), op_model=True, data="wide"),
    Spec("relu", simple(tf.nn.relu, [[1, 4, 4, 3]]), op_model=True),
    Spec("relu6", simple(tf.nn.relu6, [[1, 4, 4, 3]]), op_model=True, data="wide"),
    Spec("relu_n1_to_1", simple(clip_n1_1, [[1, 4, 4, 3]]), op_model=True),
    Spec("softmax_2d", simple(tf.nn.softmax, [[1, 10]]), op_model=True),
    Spec("softmax_3d", simple(tf.nn.softmax, [[1, 4, 8]]), op_model=True),
    # pooling / reductions
    Spec("average_pool_2d_same", simple(lambda x: tf.nn.avg_pool2d(x, 3, 2, "SAME"), [[1, 7, 7, 4]]), op_model=True),
    Spec("average_pool_2d_valid", simple(lambda x: tf.nn.avg_pool2d(x, 2, 2, "VALID"), [[1, 8, 8, 4]]), op_model=True),
    Spec("max_pool_2d_valid", simple(lambda x: tf.nn.max_pool2d(x, 2, 2, "VALID"), [[1, 8, 8, 4]]), op_model=True),
    Spec("max_pool_2d_same", simple(lambda x: tf.nn.max_pool2d(x, 3, 2, "SAME"), [[1, 7, 7, 4]]), op_model=True),
    Spec("mean_hw_keepdims", simple(lambda x: tf.reduce_mean(x, [1, 2], keepdims=True), [[1, 5, 5, 6]]), op_model=True),
    Spec("mean_hw", simple(lambda x: tf.reduce_mean(x, [1, 2]), [[1, 5, 5, 6]]), op_model=True),
    # shape manipulation
    Spec("reshape", simple(lambda x: tf.reshape(x, [1, 24]), [[1, 4, 6]]), op_model=True),
    Spec("squeeze_dynamic", simple(lambda x: tf.squeeze(x, [3]), [[None, 6, None, 1]]), op_model=True),
    Spec("shape_pack_dynamic", simple(lambda x: tf.reshape(x, tf.stack([tf.shape(x)[0], -1])), [[None, 4, 3]]), op_model=True),
    Spec("pack_axis1", simple(lambda a, c: tf.stack([a, c], axis=1), [[1, 4, 3], [1, 4, 3]]), op_model=True),
    Spec("split_v", simple(lambda x: tuple(tf.split(x, [1, 2, 3], axis=-1)), [[1, 4, 6]]), op_model=True),
    Spec("strided_slice_step2", simple(lambda x: x[:, 1:7:2, ::2, 1:], [[1, 8, 8, 4]]), op_model=True),
    Spec("strided_slice_shrink", simple(lambda x: x[:, 2, 1:5, :], [[1, 6, 6, 4]]), op_model=True),
    Spec("transpose_4d", simple(lambda x: tf.transpose(x, [0, 2, 1, 3]), [[1, 2, 3, 4]]), op_model=True),
    Spec("transpose_3d", simple(lambda x: tf.transpose(x, [0, 2, 1]), [[1, 5, 7]]), op_model=True),
    Spec("concatenation_channels", simple(lambda a, c: tf.concat([a, c], -1), [[1, 4, 4, 3], [1, 4, 4, 5]]), op_model=True),
    Spec("concatenation_axis1", simple(lambda a, c: tf.concat([a, c], 1), [[1, 2, 6], [1, 3, 6]]), op_model=True),
    Spec("pad", simple(lambda x: tf.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]]), [[1, 4, 4, 3]]), op_model=True),
    Spec("padv2", simple(padv2, [[1, 4, 4, 3]]), op_model=True),
    # QUANTIZE / DEQUANTIZE at float edges around an int8 op
    Spec("quantize_dequantize", const_op(mul_const, [[1, 4, 4, 6]]), modes=("int8_floatio", "float"), op_model=True),
]

NET_SPECS = [
    Spec("mobilenet_v2", build_mobilenet_v2, data="image"),
    Spec("resnet_small", build_resnet_small, data="image"),
    Spec("kws_dscnn", build_kws_dscnn, data="image"),
    Spec("mlp", build_mlp, modes=("int8", "float", "int8_floatio"), batches=(4,)),
    Spec("convpool", build_convpool, data="image", batches=(4,)),
    Spec("attention", build_attention),
    Spec("streaming", build_streaming, stateful=True),
    Spec("int16x8_net", build_int16x8_net, modes=("int16x8", "float"), data="image"),
]


# ----------------------------------------------------------------------------
# Conversion
# ----------------------------------------------------------------------------
def convert(spec, mod, shapes, mode):
    if hasattr(mod, "keras_model"):
        conv = tf.lite.TFLiteConverter.from_keras_model(mod.keras_model)
    else:
        cf = mod.fn.get_concrete_function()
        conv = tf.lite.TFLiteConverter.from_concrete_functions([cf], mod)
    if spec.stateful:
        conv.experimental_enable_resource_variables = True
    if mode != "float":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        rng = np.random.default_rng(name_seed(spec.name + "/rep"))
        samples = [[gen_float(spec.data, rng, s) for s in shapes] for _ in range(N_REP)]
        if len(shapes) > 1:
            # the converter orders model inputs unpredictably; feed by name
            samples = [{"in%d" % i: a for i, a in enumerate(smp)} for smp in samples]
        conv.representative_dataset = lambda: iter(samples)
        if mode in ("int8", "int8_floatio"):
            conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if mode == "int8":
            conv.inference_input_type = tf.int8
            conv.inference_output_type = tf.int8
        if mode == "int16x8":
            conv.target_spec.supported_ops = [
                tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
            conv.inference_input_type = tf.int16
            conv.inference_output_type = tf.int16
        if spec.stateful:
            # keep the state variable itself int8 (no float islands)
            conv._experimental_variable_quantization = True
    return conv.convert()


# ----------------------------------------------------------------------------
# Flatbuffer inspection
# ----------------------------------------------------------------------------
def inspect_model(data):
    """Return list of dicts, one per operator (all subgraphs)."""
    m = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    res = []
    for si, sg in enumerate(m.subgraphs):
        for o in sg.operators:
            oc = m.operatorCodes[o.opcodeIndex]
            name = OP_NAMES[max(oc.builtinCode, oc.deprecatedBuiltinCode)]
            ins = [sg.tensors[i] for i in o.inputs if i >= 0]
            outs = [sg.tensors[i] for i in o.outputs if i >= 0]
            d = {"op": name, "subgraph": si,
                 "in_types": [TT_NAMES[t.type] for t in ins],
                 "out_types": [TT_NAMES[t.type] for t in outs],
                 "in_shapes": [list(t.shape) if t.shape is not None else [] for t in ins]}
            opt = o.builtinOptions
            if opt is not None:
                for k in ("padding", "strideH", "strideW", "dilationHFactor", "dilationWFactor",
                          "fusedActivationFunction", "depthMultiplier", "keepNumDims", "keepDims",
                          "adjX", "adjY", "filterHeight", "filterWidth"):
                    if hasattr(opt, k):
                        d[k] = getattr(opt, k)
            res.append(d)
    return res


def features(opinfo):
    """Human-readable variant tags used in the coverage table."""
    tags = []
    for d in opinfo:
        n = d["op"]
        t = "/".join(sorted(set(d["in_types"][:1])))
        tags.append("%s[%s]" % (n, t))
        if n in ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D"):
            tags.append("%s pad=%s" % (n, PAD_NAMES[d["padding"]]))
            tags.append("%s stride=%d" % (n, d["strideH"]))
        if n in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "SUB", "MUL",
                 "AVERAGE_POOL_2D", "MAX_POOL_2D", "CONCATENATION"):
            tags.append("%s act=%s" % (n, ACT_NAMES[d.get("fusedActivationFunction", 0)]))
        if n in ("CONV_2D", "DEPTHWISE_CONV_2D") and d.get("dilationHFactor", 1) > 1:
            tags.append("%s dilation=%d" % (n, d["dilationHFactor"]))
        if n == "DEPTHWISE_CONV_2D":
            cin = d["in_shapes"][0][-1]
            cout = d["in_shapes"][1][-1]
            tags.append("%s multiplier=%d" % (n, cout // cin))
        if n == "FULLY_CONNECTED":
            tags.append("%s input_rank=%d keep_num_dims=%s" % (n, len(d["in_shapes"][0]), d["keepNumDims"]))
        if n == "MEAN":
            tags.append("MEAN keep_dims=%s" % d["keepDims"])
        if n == "BATCH_MATMUL":
            tags.append("BATCH_MATMUL adj_y=%s" % d["adjY"])
        if n in ("ADD", "SUB", "MUL", "SQUARED_DIFFERENCE") and len(d["in_shapes"]) == 2 \
                and d["in_shapes"][0] != d["in_shapes"][1]:
            tags.append("%s broadcast" % n)
    return tags


# ----------------------------------------------------------------------------
# Reference generation
# ----------------------------------------------------------------------------
def np_dtype_name(dt):
    return np.dtype(dt).name


def tensor_desc(d):
    q = d["quantization_parameters"]
    desc = {"name": d["name"], "shape": [int(x) for x in d["shape"]],
            "shape_signature": [int(x) for x in d["shape_signature"]], "dtype": np_dtype_name(d["dtype"])}
    if len(q["scales"]):
        desc["scale"] = [float(x) for x in q["scales"]]
        desc["zero_point"] = [int(x) for x in q["zero_points"]]
    return desc


def make_inputs(spec, in_details, n_inv, shared):
    """Build input arrays for every invocation.

    `shared` carries the float values of the first quantized variant so the
    float model sees exactly the same (dequantized) data."""
    rng = np.random.default_rng(name_seed(spec.name + "/inputs"))
    per_inv = []
    for inv in range(n_inv):
        arrs = []
        for i, d in enumerate(in_details):
            shape = [int(x) for x in d["shape"]]
            dt = np.dtype(d["dtype"])
            # float and quantized variants share data; by name if several inputs
            key = (inv, i) if len(in_details) == 1 else (inv, d["name"])
            if dt == np.float32:
                if key in shared:
                    a = shared[key].astype(np.float32)
                else:
                    a = gen_float(spec.data, rng, shape)
                    shared[key] = a
            elif dt in (np.int8, np.int16):
                scale = float(d["quantization_parameters"]["scales"][0])
                zp = int(d["quantization_parameters"]["zero_points"][0])
                info = np.iinfo(dt)
                if spec.int_inputs == "full" and dt == np.int8:
                    a = rng.integers(info.min, info.max + 1, shape, dtype=np.int64)
                else:
                    f = shared[key] if key in shared else gen_float(spec.data, rng, shape)
                    a = np.round(f / scale) + zp
                a = np.clip(a, info.min, info.max).astype(dt)
                if key not in shared:
                    shared[key] = (a.astype(np.float64) - zp) * scale
            else:
                raise ValueError("unsupported input dtype %s" % dt)
            arrs.append(np.ascontiguousarray(a))
        per_inv.append(arrs)
    return per_inv


def run_interp(path, inputs, resolver, batch=None):
    """Run `inputs` (a list of invocations) in sequence on one interpreter.

    `batch`: resize every input's leading (dynamic) dimension to it first."""
    it = tf.lite.Interpreter(model_path=path, experimental_op_resolver_type=resolver,
                             num_threads=1)
    if batch is not None:
        for d in it.get_input_details():
            assert int(d["shape_signature"][0]) == -1, "%s: input %s has a static batch" % (path, d["name"])
            it.resize_tensor_input(d["index"], [batch] + [int(x) for x in d["shape"][1:]])
    it.allocate_tensors()
    ind, outd = it.get_input_details(), it.get_output_details()
    outs = []
    for arrs in inputs:
        for d, a in zip(ind, arrs):
            assert list(a.shape) == [int(x) for x in d["shape"]], (a.shape, d["shape"])
            assert a.dtype == d["dtype"], (a.dtype, d["dtype"])
            it.set_tensor(d["index"], a)
        it.invoke()
        outs.append([np.array(it.get_tensor(d["index"])) for d in outd])
    return it, ind, outd, outs


def write_reference(spec, rel, path, shared, opinfo):
    stem = os.path.splitext(os.path.basename(rel))[0]
    n_inv = N_INV_STATEFUL if spec.stateful else N_INV
    probe = tf.lite.Interpreter(model_path=path, experimental_op_resolver_type=REF)
    probe.allocate_tensors()
    inputs = make_inputs(spec, probe.get_input_details(), n_inv, shared)
    del probe
    # One interpreter for all invocations: state (if any) persists between them.
    it, ind, outd, outs = run_interp(path, inputs, REF)
    _, _, _, outs_opt = run_interp(path, inputs, OPT)
    diff_vs_opt = sum(int(np.count_nonzero(a != c)) for o1, o2 in zip(outs, outs_opt) for a, c in zip(o1, o2))

    # sanity: outputs depend on the input, and quantized outputs are not constant
    for j in range(len(outd)):
        vals = [o[j] for o in outs]
        assert any(not np.array_equal(vals[0], v) for v in vals[1:]), \
            "%s: output %d identical for all invocations" % (stem, j)
        allv = np.concatenate([v.ravel() for v in vals])
        assert np.all(np.isfinite(allv.astype(np.float64))), "%s: non-finite output" % stem
        if allv.dtype != np.float32:
            assert len(np.unique(allv)) > 1, "%s: output %d constant" % (stem, j)
            # report saturation
        assert len(np.unique(allv)) > 2 or allv.size <= 4, "%s: output %d nearly constant" % (stem, j)

    if spec.stateful:
        # the state must matter: invocation 1's input on a fresh interpreter
        # (zero state) must give a different answer than in the sequence
        _, _, _, fresh = run_interp(path, inputs[1:2], REF)
        assert any(not np.array_equal(x, y) for x, y in zip(fresh[0], outs[1])), \
            "%s: state has no effect" % stem

    manifest = save_reference(stem, rel, spec.stateful, inputs, outs, ind, outd, opinfo)
    shared["reference_inputs"] = inputs
    sat = []
    for j, d in enumerate(outd):
        allv = np.concatenate([o[j].ravel() for o in outs])
        if allv.dtype != np.float32:
            info = np.iinfo(allv.dtype)
            sat.append("%.0f%%sat,%duniq" % (100.0 * np.mean((allv == info.min) | (allv == info.max)),
                                              len(np.unique(allv))))
    return stem, manifest, outs, outd, diff_vs_opt, sat



def write_op_fixture_set(specs, subdir, width=48, reference_path=None, describe=None):
    """Single-op models in <subdir>/ (one per spec and mode, int8 before float so the float twin
    reuses the int8 inputs) and their reference sets; returns the index entries. `reference_path
    (data, path)` may return another file to run the reference on (removed afterwards);
    `describe(data)` gives extra lines printed for each int8 file."""
    os.makedirs(os.path.join(HERE, subdir), exist_ok=True)
    entries = []
    for spec in specs:
        shared = {}
        for mode in sorted(spec.modes, key=lambda m: m == "float"):
            seed_all(name_seed(spec.name))
            mod, shapes = spec.build(np.random.default_rng(name_seed(spec.name)))
            with contextlib.redirect_stdout(io.StringIO()):
                data = convert(spec, mod, shapes, mode)
            stem = "%s_%s" % (spec.name, mode)
            rel = "%s/%s.tflite" % (subdir, stem)
            path = os.path.join(HERE, rel)
            with open(path, "wb") as f:
                f.write(data)
            opinfo = inspect_model(data)
            run_path = reference_path(data, path) if reference_path else path
            stem, manifest, _, _, ndiff, sat = write_reference(spec, rel, run_path, shared, opinfo)
            if run_path != path:
                os.remove(run_path)
            entries.append({"stem": stem, "model": rel, "manifest": "reference/%s/manifest.json" % stem})
            print("%-*s %6d B  ref-vs-opt diff=%-4d %s  ops=%s" % (
                width, rel, len(data), ndiff, " ".join(sat), ",".join(manifest["ops"])))
            if mode == "int8" and describe:
                for line in describe(data):
                    print(line)
    return entries

def write_batch_reference(spec, rel, path, batch, batch1_inputs, opinfo):
    """Write reference/<stem>_b<batch>/: the same file, its dynamic batch resized to `batch`.

    Each input holds `batch` samples back to back. Invocation 0 starts with the batch-1
    reference set's inputs (invocations 0, 1, 2 in that order) and is filled up with fresh
    samples; the other invocations are all fresh. Fresh samples are drawn like the batch-1
    ones (the model's float distribution, quantized with the input's scale and zero point).
    The script checks that every sample's output rows equal a batch-1 run of that sample,
    byte for byte, and returns (stem, manifest)."""
    stem = "%s_b%d" % (os.path.splitext(os.path.basename(rel))[0], batch)
    probe = tf.lite.Interpreter(model_path=path, experimental_op_resolver_type=REF)
    probe.allocate_tensors()
    ind1 = probe.get_input_details()
    del probe
    rng = np.random.default_rng(name_seed(spec.name + "/inputs/b%d" % batch))
    samples = [list(x) for x in batch1_inputs]       # batch-1 samples, one list per invocation
    while len(samples) < batch * N_INV_BATCHED:
        arrs = []
        for d in ind1:
            dt = np.dtype(d["dtype"])
            assert dt == np.int8, "batch sets are recorded for int8 inputs only"
            q = d["quantization_parameters"]
            scale, zp = float(q["scales"][0]), int(q["zero_points"][0])
            f = gen_float(spec.data, rng, [int(x) for x in d["shape"]])
            arrs.append(np.clip(np.round(f / scale) + zp, -128, 127).astype(np.int8))
        samples.append(arrs)
    inputs = [[np.ascontiguousarray(np.concatenate([samples[inv * batch + k][i] for k in range(batch)], axis=0))
               for i in range(len(ind1))] for inv in range(N_INV_BATCHED)]
    _, ind, outd, outs = run_interp(path, inputs, REF, batch=batch)
    # batch N is N batch-1 runs: compare row by row
    singles = [run_interp(path, [s], REF)[3][0] for s in samples[:batch * N_INV_BATCHED]]
    for inv in range(N_INV_BATCHED):
        for j in range(len(outd)):
            rows = np.concatenate([singles[inv * batch + k][j] for k in range(batch)], axis=0)
            assert np.array_equal(rows, outs[inv][j]), "%s: batch %d differs from %d batch-1 runs" % (stem, batch, batch)
        assert len({outs[inv][0][k].tobytes() for k in range(batch)}) == batch, \
            "%s: invocation %d has equal output rows" % (stem, inv)
    manifest = save_reference(stem, rel, spec.stateful, inputs, outs, ind, outd, opinfo, batch=batch)
    log("%-48s batch %d: %d invocations, equal to %d batch-1 runs byte for byte" % (
        "reference/" + stem, batch, N_INV_BATCHED, batch * N_INV_BATCHED))
    return stem, manifest


def save_reference(stem, rel, stateful, inputs, outs, ind, outd, opinfo, batch=None):
    """Write reference/<stem>/ (inputs, outputs, manifest.json); return the manifest.

    `batch` (batch-N sets only) is written as the manifest's "batch" field."""
    n_inv = len(inputs)
    rdir = os.path.join(REF_DIR, stem)
    if os.path.isdir(rdir):
        shutil.rmtree(rdir)
    os.makedirs(rdir)
    for inv in range(n_inv):
        for i, a in enumerate(inputs[inv]):
            with open(os.path.join(rdir, "in.%d.%d.bin" % (inv, i)), "wb") as f:
                f.write(a.astype(a.dtype.newbyteorder("<")).tobytes(order="C"))
        for j, a in enumerate(outs[inv]):
            with open(os.path.join(rdir, "out.%d.%d.bin" % (inv, j)), "wb") as f:
                f.write(np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes(order="C"))
    manifest = {
        "model": rel,
        "invocations": n_inv,
        "stateful": stateful,
    }
    if batch is not None:
        manifest["batch"] = batch
    manifest.update({
        "ops": sorted({d["op"] for d in opinfo}),
        "inputs": [tensor_desc(d) for d in ind],
        # The shape of the array TFLite actually returned: for dynamic-shape models the
        # tensor's stored shape is only a placeholder (e.g. [1, 1] for a [1, 12] result).
        "outputs": [dict(tensor_desc(d), shape=[int(x) for x in outs[0][j].shape])
                    for j, d in enumerate(outd)],
    })
    with open(os.path.join(rdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=False)
        f.write("\n")
    return manifest


def dequant(a, d):
    if a.dtype == np.float32:
        return a.astype(np.float64)
    q = d["quantization_parameters"]
    return (a.astype(np.float64) - int(q["zero_points"][0])) * float(q["scales"][0])


# ----------------------------------------------------------------------------
# SUB rounding-tie models
# ----------------------------------------------------------------------------
# An int8 SUB whose scales make gemmlowp's high multiply hit exact ties: s1 = 1.0,
# s2 = 0.5 + 2^-21 (exact in float32), so input 2's multiplier is 2^30 + 2^10 with shift -1 and
# (q2 - zp2) * 2^20 * M + 2^30 is a multiple of 2^31 for every odd q2 - zp2. Ties round toward
# +inf for a positive and a negative product alike, so "a' - MBQM(b', M)" (what TF 2.21's
# reference kernels compute) and "a' + MBQM(b', -M)" (older sub.cc, which negated the multiplier
# and ran the ADD kernel) differ by one before the output rescale; the output scale 1.0 puts
# some of those differences on a rounding boundary of the final int8 value. Each model is fed
# all 65,536 (q1, q2) pairs in one invocation. The converter's own scales are replaced by these.
SUB_TIE_QUANT = [(1.0, 0), (0.5 + 2.0 ** -21, 0), (1.0, 0)]     # (scale, zero point): in1, in2, out
SUB_TIE_MODELS = [("sub_tie", [[256, 256], [256, 256]]),             # reference_ops::Sub
                  ("sub_tie_broadcast", [[256, 1], [1, 256]])]       # BroadcastQuantSubSlow


def srdhm(a, b):
    """gemmlowp SaturatingRoundingDoublingHighMul on Python ints (int32 operands)."""
    if a == b == -2 ** 31:
        return 2 ** 31 - 1
    ab = a * b
    s = ab + ((1 << 30) if ab >= 0 else 1 - (1 << 30))
    q = abs(s) >> 31                      # C++ division truncates toward zero
    return q if s >= 0 else -q


def rounding_divide_by_pot(x, e):
    mask = (1 << e) - 1
    return (x >> e) + (1 if (x & mask) > (mask >> 1) + (1 if x < 0 else 0) else 0)


def quantize_multiplier_smaller_than_one(real):
    frac, exp = np.frexp(real)
    q = int(np.floor(frac * 2.0 ** 31 + 0.5))      # frac > 0: round half away from zero
    if q == 2 ** 31:
        q, exp = q // 2, exp + 1
    assert exp <= 0, real
    return q, int(exp)


def sub_tie_formulas(quant, bits=8, signed=True):
    """Both readings of quantized SUB as functions of (q1, q2), general-scale path."""
    (s1, z1), (s2, z2), (so, zo) = [(float(np.float32(s)), z) for s, z in quant]
    left = 15 if bits == 16 else 20
    twice_max = float(np.float32(2 * max(s1, s2)))
    m1, e1 = quantize_multiplier_smaller_than_one(s1 / twice_max)
    m2, e2 = quantize_multiplier_smaller_than_one(s2 / twice_max)
    mo, eo = quantize_multiplier_smaller_than_one(twice_max / float(np.float32((1 << left) * so)))
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)

    def mbqm(x, m, e):
        return rounding_divide_by_pot(srdhm(x, m), -e)

    def f(p, q, negated):
        a = mbqm((p - z1) << left, m1, e1)
        b = mbqm((q - z2) << left, -m2 if negated else m2, e2)
        raw = a + b if negated else a - b
        return min(max(mbqm(raw, mo, eo) + zo, lo), hi)
    return (lambda p, q: f(p, q, False)), (lambda p, q: f(p, q, True)), (m1, e1, m2, e2, mo, eo)


def patch_sub_quantization(data, quant, tensor_type=None, pot_scale_int16=None):
    """Replace the quantization (and optionally the type) of the single SUB's three tensors."""
    m = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    sg = m.subgraphs[0]
    assert len(sg.operators) == 1, "expected a lone SUB"
    o = sg.operators[0]
    assert OP_NAMES[m.operatorCodes[o.opcodeIndex].builtinCode] == "SUB"
    for t_index, (scale, zp) in zip(list(o.inputs) + list(o.outputs), quant):
        t = sg.tensors[t_index]
        t.quantization.scale = [float(scale)]
        t.quantization.zeroPoint = [int(zp)]
        if tensor_type is not None:
            t.type = tensor_type
    if pot_scale_int16 is not None:
        o.builtinOptions.potScaleInt16 = pot_scale_int16
    return bytes(flatbuffer_utils.convert_object_to_bytearray(m))


def all_pairs_inputs(ind, shapes, offset, dtype):
    """q1 varies along the first axis, q2 along the second: every (q1, q2) pair once."""
    values = np.arange(-128, 128, dtype=np.int64) + offset
    grid1, grid2 = np.meshgrid(values, values, indexing="ij")
    # a full-size operand holds the grid; a broadcast one ([256, 1] or [1, 256]) the 256 values
    by_name = {"in%d" % i: (grid if int(np.prod(shape)) == grid.size else values).reshape(shape)
               for i, (grid, shape) in enumerate(zip((grid1, grid2), shapes))}
    arrs = []
    for d in ind:
        assert "in0" in d["name"] or "in1" in d["name"], d["name"]
        key = "in0" if "in0" in d["name"] else "in1"
        arrs.append(np.ascontiguousarray(by_name[key].astype(dtype)))
    return arrs, grid1.ravel(), grid2.ravel()


def compare_sub_readings(outs, p, q, quant, bits, signed):
    subtract, negated, params = sub_tie_formulas(quant, bits, signed)
    want_sub = np.array([subtract(int(a), int(b)) for a, b in zip(p, q)])
    want_neg = np.array([negated(int(a), int(b)) for a, b in zip(p, q)])
    got = outs.astype(np.int64).ravel()
    return (int(np.count_nonzero(want_sub != want_neg)), int(np.count_nonzero(got != want_sub)),
            int(np.count_nonzero(got != want_neg)), params)


def write_sub_tie_models():
    """Write the SUB tie models and references; return their index entries, table rows, tags."""
    entries, rows, tags = [], [], {}
    for name, shapes in SUB_TIE_MODELS:
        spec = Spec(name, simple(lambda a, c: a - c, shapes), modes=("int8",), op_model=True)
        seed_all(name_seed(spec.name))
        mod, _ = spec.build(np.random.default_rng(name_seed(spec.name)))
        with contextlib.redirect_stdout(io.StringIO()):
            data = patch_sub_quantization(convert(spec, mod, shapes, "int8"), SUB_TIE_QUANT)
        stem = name + "_int8"
        rel = "ops/" + stem + ".tflite"
        path = os.path.join(HERE, rel)
        with open(path, "wb") as f:
            f.write(data)
        probe = tf.lite.Interpreter(model_path=path, experimental_op_resolver_type=REF)
        probe.allocate_tensors()
        arrs, p, q = all_pairs_inputs(probe.get_input_details(), shapes, 0, np.int8)
        del probe
        _, ind, outd, outs = run_interp(path, [arrs], REF)
        _, _, _, outs_opt = run_interp(path, [arrs], OPT)
        differ, vs_sub, vs_neg, params = compare_sub_readings(outs[0][0], p, q, SUB_TIE_QUANT, 8, True)
        assert differ > 0, "%s: the two SUB readings agree on every pair; no tie is exercised" % stem
        opinfo = inspect_model(data)
        manifest = save_reference(stem, rel, False, [arrs], outs, ind, outd, opinfo)
        entries.append({"stem": stem, "model": rel, "manifest": "reference/%s/manifest.json" % stem})
        rows.append((rel, manifest["ops"]))
        tags[rel] = features(opinfo)
        log("%-48s %6d B  multipliers %s: readings differ on %d of %d pairs; TFLite REF differs from "
            "a'-b' on %d, from a'+(-M)b' on %d; OPT vs REF %d" % (
                rel, len(data), params, differ, p.size, vs_sub, vs_neg,
                int(np.count_nonzero(outs[0][0] != outs_opt[0][0]))))
    # uint8 and int16 (general-scale path): the same check on retyped copies, logged only.
    base = os.path.join(OPS_DIR, "sub_tie_int8.tflite")
    with open(base, "rb") as f:
        int8_model = f.read()
    int16_quant = [(1.0, 0), (0.5 + 2.0 ** -16, 0), (1.0, 0)]    # ties for odd q2 with left shift 15
    for label, ttype, quant, offset, dtype, bits, signed in [
            ("uint8", S.TensorType.UINT8, [(s, z + 128) for s, z in SUB_TIE_QUANT], 128, np.uint8, 8, False),
            ("int16", S.TensorType.INT16, int16_quant, 0, np.int16, 16, True)]:
        data = patch_sub_quantization(int8_model, quant, ttype, pot_scale_int16=False if bits == 16 else None)
        tmp = os.path.join(OPS_DIR, ".sub_tie_probe.tflite")
        with open(tmp, "wb") as f:
            f.write(data)
        try:
            probe = tf.lite.Interpreter(model_path=tmp, experimental_op_resolver_type=REF)
            probe.allocate_tensors()
            arrs, p, q = all_pairs_inputs(probe.get_input_details(), SUB_TIE_MODELS[0][1], offset, dtype)
            del probe
            _, _, _, outs = run_interp(tmp, [arrs], REF)
        finally:
            os.remove(tmp)
        differ, vs_sub, vs_neg, params = compare_sub_readings(outs[0][0], p, q, quant, bits, signed)
        log("  %s SUB (not written) multipliers %s: readings differ on %d of %d pairs; TFLite REF differs "
            "from a'-b' on %d, from a'+(-M)b' on %d" % (label, params, differ, p.size, vs_sub, vs_neg))
    return entries, rows, tags


# ----------------------------------------------------------------------------
# reference/index.json
# ----------------------------------------------------------------------------
# {"models": [...], "batched": [...], "full": [...], "thirdparty": [...]}. This script owns
# "models" (every <stem>.tflite it writes; what the Swift fixtures read) and "batched" (the
# batch-N sets, kept out of "models" because their inputs do not have the file's stored
# shapes). "full" and "thirdparty" belong to make_full_models.py and make_thirdparty_refs.py;
# their keys and reference directories are left alone here.
OWN_INDEX_KEYS = ("models", "batched")


def read_index():
    path = os.path.join(REF_DIR, "index.json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def write_index(index):
    ordered = {k: index[k] for k in OWN_INDEX_KEYS if k in index}
    ordered.update({k: v for k, v in index.items() if k not in OWN_INDEX_KEYS})
    with open(os.path.join(REF_DIR, "index.json"), "w") as f:
        json.dump(ordered, f, indent=1)
        f.write("\n")


def update_index(entries):
    """Replace the lists under `entries`' keys (the calling script's own keys) and keep the rest."""
    index = read_index()
    index.update(entries)
    write_index(index)


def foreign_stems(index):
    return {e["stem"] for k, v in index.items() if k not in OWN_INDEX_KEYS for e in v}


# ----------------------------------------------------------------------------
def main():
    os.makedirs(OPS_DIR, exist_ok=True)
    os.makedirs(REF_DIR, exist_ok=True)
    old_index = read_index()
    keep = foreign_stems(old_index)
    for name in os.listdir(REF_DIR):
        full = os.path.join(REF_DIR, name)
        if name == "index.json" or name in keep:
            continue
        if os.path.isdir(full):
            shutil.rmtree(full)
        else:
            os.remove(full)
    for d in (HERE, OPS_DIR):
        for fn in os.listdir(d):
            if fn.endswith(".tflite"):
                os.remove(os.path.join(d, fn))

    index = []
    batched = []        # batch-N reference sets
    table = []          # (rel, ops)
    feat = {}           # rel -> feature tags
    for spec in NET_SPECS + OP_SPECS:
        shared = {}
        results = {}
        # quantized variants first so the float model gets the dequantized data
        order = sorted(spec.modes, key=lambda m: m == "float")
        for mode in order:
            seed_all(name_seed(spec.name))
            rng = np.random.default_rng(name_seed(spec.name))
            mod, shapes = spec.build(rng)
            with contextlib.redirect_stdout(io.StringIO()):   # keras export chatter
                data = convert(spec, mod, shapes, mode)
            stem = "%s_%s" % (spec.name, mode)
            rel = ("ops/" if spec.op_model else "") + stem + ".tflite"
            path = os.path.join(HERE, rel)
            with open(path, "wb") as f:
                f.write(data)
            opinfo = inspect_model(data)
            stem, manifest, outs, outd, ndiff, sat = write_reference(spec, rel, path, shared, opinfo)
            results[mode] = (outs, outd)
            if mode == "int8":
                for n in spec.batches:
                    bstem, _ = write_batch_reference(spec, rel, path, n, shared["reference_inputs"], opinfo)
                    batched.append({"stem": bstem, "model": rel, "batch": n,
                                    "manifest": "reference/%s/manifest.json" % bstem})
            index.append({"stem": stem, "model": rel, "manifest": "reference/%s/manifest.json" % stem})
            table.append((rel, manifest["ops"]))
            feat[rel] = features(opinfo)
            log("%-48s %6d B  ref-vs-opt diff=%-4d %s  ops=%s" % (
                rel, len(data), ndiff, " ".join(sat), ",".join(manifest["ops"])))
        # quantization quality vs float model (informational)
        if "float" in results:
            fo, fd = results["float"]
            for mode, (qo, qd) in results.items():
                if mode == "float":
                    continue
                err = max(float(np.max(np.abs(dequant(q[j], qd[j]) - dequant(f[j], fd[j]))))
                          for q, f in zip(qo, fo) for j in range(len(qd)))
                rng_ = max(float(np.max(np.abs(dequant(f[j], fd[j])))) for f in fo for j in range(len(fd)))
                log("    %s vs float: max|diff|=%.4f (max|float out|=%.4f)" % (mode, err, rng_))

    entries, rows, tags = write_sub_tie_models()
    index += entries
    table += rows
    feat.update(tags)

    new_index = {k: v for k, v in old_index.items() if k not in OWN_INDEX_KEYS}
    new_index.update({"models": index, "batched": batched})
    write_index(new_index)

    # ---------------- coverage ----------------
    required = ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "BATCH_MATMUL", "ADD", "SUB", "MUL",
                "NEG", "SQUARED_DIFFERENCE", "RSQRT", "AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN",
                "RESHAPE", "SQUEEZE", "SHAPE", "PACK", "SPLIT_V", "STRIDED_SLICE", "TRANSPOSE",
                "CONCATENATION", "PAD", "PADV2", "SOFTMAX", "LOGISTIC", "HARD_SWISH", "QUANTIZE",
                "DEQUANTIZE", "RELU", "RELU6", "RELU_N1_TO_1", "VAR_HANDLE", "READ_VARIABLE",
                "ASSIGN_VARIABLE", "CALL_ONCE"]
    qfiles = [r for r, _ in table if not r.endswith("_float.tflite")]
    log("\n== op coverage (quantized files; [type] = dtype of first input) ==")
    for opn in required:
        tags = sorted({t for r in qfiles for t in feat[r] if t.startswith(opn + "[")})
        files = [r for r in qfiles if any(t.startswith(opn + "[") for t in feat[r])]
        log("%-20s %-28s %3d files  e.g. %s" % (opn, ",".join(tags) or "MISSING", len(files),
                                                 ", ".join(files[:2])))
    log("\n== variant coverage (quantized files) ==")
    allt = sorted({t for r in qfiles for t in feat[r] if "[" not in t})
    for t in allt:
        files = [r for r in qfiles if t in feat[r]]
        log("  %-48s %d files, e.g. %s" % (t, len(files), files[0]))
    missing = [o for o in required if not any(t.startswith(o + "[") for r in qfiles for t in feat[r])]
    log("\nmissing from quantized files: %s" % (missing or "none"))


def main_sub_tie_only():
    """Regenerate only the SUB tie models, replacing their entries in index.json."""
    entries, _, _ = write_sub_tie_models()
    full_index = read_index()
    stems = {e["stem"] for e in entries}
    full_index["models"] = [e for e in full_index["models"] if e["stem"] not in stems] + entries
    write_index(full_index)


if __name__ == "__main__":
    if sys.argv[1:] == ["--sub-tie-only"]:
        main_sub_tie_only()
    else:
        main()
