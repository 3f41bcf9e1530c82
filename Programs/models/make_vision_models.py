#!/usr/bin/env python3
"""Convert two small segmentation networks with TFLite's converter defaults and print the builtin
operators each file contains (issue 14: establish the vision op list by converting, not from
memory); then write single-op models for the operators those files and the issue's vision list
add to Systole, and TFLite BUILTIN_REF reference outputs for all of them.

Run from anywhere:
    venv/bin/python Programs/models/make_vision_models.py             # everything
    venv/bin/python Programs/models/make_vision_models.py --ops-only  # the single-op files only

Networks (Programs/models/vision/<name>_int8.tflite), both from standard Keras layers, converted
with TFLiteConverter.from_keras_model, optimizations=[Optimize.DEFAULT], a seeded representative
dataset and target_spec.supported_ops=[TFLITE_BUILTINS_INT8] (int8 inside, float32 input and
output, as the converter leaves them):

- unet_mobilenet_v2: the TensorFlow segmentation tutorial's U-Net. Encoder: Keras MobileNetV2
  (weights=None, alpha 0.35) on a 64x64x3 image, its activations block_1_expand_relu (32x32),
  block_3_expand_relu (16x16), block_6_expand_relu (8x8) as skips and block_13_expand_relu (4x4)
  as the bottleneck (the tutorial's block_16_project level is left out: blocks 13-16 hold 60 %
  of the weights and the file must stay small). Decoder: pix2pix-style upsampling blocks,
  Conv2DTranspose 3x3 stride 2 SAME without bias + BatchNormalization + ReLU, each concatenated
  with its skip, and a last Conv2DTranspose 3x3 stride 2 SAME (with bias) to 3 classes at 64x64.
  Dynamic batch (keras.Input's default): the converter computes each TRANSPOSE_CONV's output
  shape at run time (SHAPE, STRIDED_SLICE, PACK).
- deeplab_head: a DeepLab-v3-style head on a small backbone: conv 3x3 s2, three depthwise-
  separable blocks (the last two stride 2) to 8x8 at 64x64 input; ASPP: 1x1 conv, 3x3 convs with
  dilation 2 and 4, and an image-pooling branch (GlobalAveragePooling2D, 1x1 conv, bilinear
  UpSampling2D back to 8x8); concatenation, 1x1 projection, 1x1 classifier (4 classes), and a
  bilinear resize back to 64x64 with align_corners (tf.compat.v1.image.resize_bilinear, as the
  original DeepLab code resizes). Static batch 1: with a dynamic batch the converter cannot
  fold the dilated convolutions and writes SPACE_TO_BATCH_ND -> CONV_2D -> BATCH_TO_SPACE_ND (the
  script prints that variant's op list too; make_space_batch_models.py commits that variant).

Weights are seeded: He-normal kernels, biases N(0, 0.05), BN gamma U(0.8, 1.2) and beta
N(0, 0.1); BN moving statistics are measured in one training-mode pass over 16 synthetic images
(momentum 0), as make_full_models.py does. Inputs are make_models.py's "image" data.

Reference sets (Programs/models/reference/<stem>/, the layout make_models.py writes) are listed
in reference/index.json under "vision" (the two networks, 3 invocations of seeded images) and
"vision_ops" (single-op files in vision/ops/, built and converted by make_models.py's op
machinery: int8 in and out with TFLITE_BUILTINS_INT8, and a float32 twin; LEAKY_RELU and PRELU
inputs hold every int8 value in every invocation, per channel for PRELU). make_models.py keeps
index keys it does not own.

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
OUT_DIR = os.path.join(HERE, "vision")
SEED = 20261206
N_REP = 32          # representative-dataset samples for the networks
N_STATS = 16        # synthetic images that set the batch-norm statistics
SIZE = 64           # network input height and width
OP_NAMES = {v: k for k, v in S.BuiltinOperator.__dict__.items() if not k.startswith("_")}


# ----------------------------------------------------------------------------
# Networks
# ----------------------------------------------------------------------------
def init_weights(model, rng, stats_images):
    """Seeded kernels and BN affine parameters; BN moving statistics measured on images."""
    for layer in model.layers:
        for v in layer.weights:
            n = v.name.split("/")[-1].split(":")[0]
            shp = tuple(v.shape)
            if n in ("kernel", "depthwise_kernel"):
                depthwise = isinstance(layer, L.DepthwiseConv2D) or n == "depthwise_kernel"
                if depthwise:
                    fan_in = shp[0] * shp[1]
                elif isinstance(layer, L.Conv2DTranspose):
                    # (kh, kw, out, in): each output sums over about kh·kw·in / stride² taps
                    fan_in = shp[0] * shp[1] * shp[3] / float(np.prod(layer.strides))
                else:
                    fan_in = int(np.prod(shp[:-1]))
                val = rng.standard_normal(shp) * np.sqrt(2.0 / fan_in)
            elif n == "bias":
                val = rng.normal(0.0, 0.05, shp)
            elif n == "gamma":
                val = rng.uniform(0.8, 1.2, shp)
            elif n == "beta":
                val = rng.normal(0.0, 0.1, shp)
            elif n in ("moving_mean", "moving_variance"):
                continue                                    # measured below
            else:
                raise ValueError("unexpected weight %s in %s" % (v.name, layer.name))
            v.assign(val.astype(np.float32))
    bns = [layer for layer in model.layers if isinstance(layer, L.BatchNormalization)]
    saved = [(layer, layer.momentum) for layer in bns]
    for layer in bns:
        layer.momentum = 0.0
    model(tf.constant(stats_images), training=True)
    for layer, value in saved:
        layer.momentum = value


def conv_bn_relu(x, filters, kernel, strides=1, dilation=1, name=None):
    x = L.Conv2D(filters, kernel, strides=strides, padding="same", dilation_rate=dilation, use_bias=False,
                 name=name)(x)
    x = L.BatchNormalization()(x)
    return L.ReLU()(x)


def build_unet(batch):
    """MobileNetV2 encoder (alpha 0.35) with skips, pix2pix upsampling decoder."""
    image = keras.Input(shape=(SIZE, SIZE, 3), batch_size=batch, name="image")
    base = keras.applications.MobileNetV2(input_tensor=image, include_top=False, weights=None, alpha=0.35)
    names = ["block_1_expand_relu", "block_3_expand_relu", "block_6_expand_relu", "block_13_expand_relu"]
    skips = [base.get_layer(n).output for n in names]
    x = skips[-1]
    for i, (filters, skip) in enumerate(zip((16, 16, 16), reversed(skips[:-1]))):
        x = L.Conv2DTranspose(filters, 3, strides=2, padding="same", use_bias=False, name="up%d" % i)(x)
        x = L.BatchNormalization(name="up%d_bn" % i)(x)
        x = L.ReLU(name="up%d_relu" % i)(x)
        x = L.Concatenate(name="up%d_concat" % i)([x, skip])
    x = L.Conv2DTranspose(3, 3, strides=2, padding="same", name="logits")(x)
    return keras.Model(image, x, name="unet_mobilenet_v2")


def separable(x, filters, strides):
    x = L.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False)(x)
    x = L.ReLU()(L.BatchNormalization()(x))
    return conv_bn_relu(x, filters, 1)


def build_deeplab(batch):
    """Small backbone to stride 8, ASPP (1x1, rates 2 and 4, image pooling), resize to input."""
    image = keras.Input(shape=(SIZE, SIZE, 3), batch_size=batch, name="image")
    x = conv_bn_relu(image, 16, 3, strides=2)
    x = separable(x, 24, 1)
    x = separable(x, 32, 2)
    x = separable(x, 48, 2)
    feature = SIZE // 8
    branches = [conv_bn_relu(x, 24, 1), conv_bn_relu(x, 24, 3, dilation=2), conv_bn_relu(x, 24, 3, dilation=4)]
    pool = L.GlobalAveragePooling2D(keepdims=True)(x)
    pool = conv_bn_relu(pool, 24, 1)
    branches.append(L.UpSampling2D(size=(feature, feature), interpolation="bilinear")(pool))
    y = L.Concatenate()(branches)
    y = conv_bn_relu(y, 32, 1)
    y = L.Conv2D(4, 1, name="classifier")(y)
    y = L.Lambda(lambda t: tf.compat.v1.image.resize_bilinear(t, (SIZE, SIZE), align_corners=True),
                 name="resize")(y)
    return keras.Model(image, y, name="deeplab_head")


def synthetic_images(rng, n):
    return np.concatenate([MM.gen_float("image", rng, [1, SIZE, SIZE, 3]) for _ in range(n)], axis=0)


def convert_network(model, rep):
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    samples = [[rep[i:i + 1]] for i in range(len(rep))]
    conv.representative_dataset = lambda: iter(samples)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    with contextlib.redirect_stdout(io.StringIO()):  # keras export chatter
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


def op_options(data):
    """One line per operator of the vision ops: its options and operand types."""
    m = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    lines = []
    sg = m.subgraphs[0]
    for i, o in enumerate(sg.operators):
        oc = m.operatorCodes[o.opcodeIndex]
        name = OP_NAMES[max(oc.builtinCode, oc.deprecatedBuiltinCode)]
        if name not in VISION_OPS:
            continue
        opt = o.builtinOptions
        fields = {}
        if opt is not None:
            for k, v in vars(opt).items():
                fields[k] = v
        types = ",".join(MM.TT_NAMES[sg.tensors[t].type] for t in o.inputs if t >= 0)
        outs = ",".join(MM.TT_NAMES[sg.tensors[t].type] for t in o.outputs)
        lines.append("    #%-3d %-24s %s -> %s %s" % (i, name, types, outs, fields))
    return lines


VISION_OPS = {"RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR", "TRANSPOSE_CONV", "SPACE_TO_DEPTH", "DEPTH_TO_SPACE",
              "MAXIMUM", "MINIMUM", "LEAKY_RELU", "PRELU", "ARG_MAX", "L2_NORMALIZATION", "UNPACK", "TILE",
              "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"}


def make_network(name, build):
    """Build, initialize, convert and write one network; returns its index entry."""
    MM.seed_all(MM.name_seed(name))
    rng = np.random.default_rng(MM.name_seed(name + "/weights"))
    model = build(None if name == "unet_mobilenet_v2" else 1)
    init_weights(model, rng, synthetic_images(rng, N_STATS))
    rep = synthetic_images(np.random.default_rng(MM.name_seed(name + "/rep")), N_REP)
    data = convert_network(model, rep)
    rel = "vision/%s_int8.tflite" % name
    path = os.path.join(HERE, rel)
    with open(path, "wb") as f:
        f.write(data)
    print("%s: TFLITE_BUILTINS_INT8, %d params, %d bytes, %s" % (name, model.count_params(), len(data), rel))
    for op, n in sorted(op_counts(data).items()):
        print("  %-28s x%d" % (op, n))
    for line in op_options(data):
        print(line)
    if name == "deeplab_head":
        MM.seed_all(MM.name_seed(name))
        dynamic = build(None)
        dynamic.set_weights(model.get_weights())
        other = convert_network(dynamic, rep)
        print("  with a dynamic batch instead: %s" % ", ".join(
            "%s x%d" % (op, n) for op, n in sorted(op_counts(other).items())))
    return write_network_reference(name, rel, data, model)


def write_network_reference(name, rel, data, model):
    """reference/<stem>/: three seeded images through BUILTIN_REF; the float Keras model's
    agreement is printed."""
    path = os.path.join(HERE, rel)
    rng = np.random.default_rng(MM.name_seed(name + "/inputs"))
    inputs = [[synthetic_images(rng, 1)] for _ in range(MM.N_INV)]
    _, ind, outd, outs = MM.run_interp(path, inputs, MM.REF)
    assert any(not np.array_equal(outs[0][0], o[0]) for o in outs[1:]), "%s: constant output" % name
    for o in outs:
        assert len(np.unique(o[0])) > 16, "%s: nearly constant output" % name
    _, _, _, opt = MM.run_interp(path, inputs, MM.OPT)
    ndiff = sum(int(np.count_nonzero(a[0] != c[0])) for a, c in zip(outs, opt))
    agree = []
    for inv, o in zip(inputs, outs):
        want = np.argmax(model(tf.constant(inv[0]), training=False).numpy(), axis=-1)
        agree.append(np.mean(np.argmax(o[0], axis=-1) == want))
    print("  reference: %d invocations, %d of %d output values differ from the optimized kernels; "
          "per-pixel argmax agrees with the float Keras model on %s" % (
              len(outs), ndiff, sum(o[0].size for o in outs), ", ".join("%.0f %%" % (100 * a) for a in agree)))
    stem = os.path.splitext(os.path.basename(rel))[0]
    MM.save_reference(stem, rel, False, inputs, outs, ind, outd, MM.inspect_model(data))
    return {"stem": stem, "model": rel, "manifest": "reference/%s/manifest.json" % stem}


# ----------------------------------------------------------------------------
# Single-op models
# ----------------------------------------------------------------------------
def transpose_conv_op(shape, k, cout, stride, pad, out_hw, bias=True, act=None):
    """tf.nn.conv2d_transpose (what Keras Conv2DTranspose calls) with an explicit output size."""
    def mk(rng):
        W = MM.w(rng, k, k, cout, shape[-1], fan_in=k * k * shape[-1] / float(stride * stride))
        B = MM.b(rng, cout)

        def fn(x):
            y = tf.nn.conv2d_transpose(x, W, [shape[0], out_hw[0], out_hw[1], cout], stride, pad)
            if bias:
                y = y + B
            return act(y) if act else y
        return fn
    return MM.op(mk, [shape])


def prelu_op(shape):
    """Keras PReLU(shared_axes=[1, 2]) in a Keras model (converted with from_keras_model, which
    freezes the alpha variable): one alpha per channel, drawn from U(0.05, 0.6)."""
    def build(rng):
        x = keras.Input(shape=shape[1:], batch_size=shape[0])
        layer = L.PReLU(shared_axes=[1, 2])
        model = keras.Model(x, layer(x))
        layer.alpha.assign(rng.uniform(0.05, 0.6, (1, 1, shape[-1])).astype(np.float32))
        return MM.keras_fn(model, shape)
    return build


def maximum_const(rng):
    c = tf.constant(rng.uniform(-1.5, 1.5, (1, 1, 1, 5)).astype(np.float32))
    return lambda x: tf.maximum(x, c)


def minimum_const(rng):
    c = tf.constant(rng.uniform(-1.5, 1.5, (1, 1, 5)).astype(np.float32))
    return lambda x: tf.minimum(x, c)


def resize_bilinear(size, align_corners=False, half_pixel_centers=False):
    return lambda x: tf.compat.v1.image.resize_bilinear(
        x, size, align_corners=align_corners, half_pixel_centers=half_pixel_centers)


def resize_nearest(size, align_corners=False, half_pixel_centers=False):
    return lambda x: tf.compat.v1.image.resize_nearest_neighbor(
        x, size, align_corners=align_corners, half_pixel_centers=half_pixel_centers)


Spec = MM.Spec
simple = MM.simple
OP_SPECS = [
    # RESIZE_BILINEAR: the three option combinations the converter accepts (align_corners with
    # half_pixel_centers is an error in TensorFlow), up and down, odd and non-integer ratios.
    Spec("resize_bilinear_half_pixel", simple(lambda x: tf.image.resize(x, (7, 10)), [[1, 4, 5, 3]]),
         op_model=True),
    Spec("resize_bilinear_align_corners", simple(resize_bilinear((7, 9), align_corners=True), [[1, 4, 5, 3]]),
         op_model=True),
    Spec("resize_bilinear_legacy", simple(resize_bilinear((9, 7)), [[1, 4, 5, 3]]), op_model=True),
    Spec("resize_bilinear_down", simple(lambda x: tf.image.resize(x, (4, 5)), [[1, 9, 11, 2]]), op_model=True),
    Spec("resize_bilinear_down_align_corners", simple(resize_bilinear((4, 3), align_corners=True), [[1, 9, 11, 2]]),
         op_model=True),
    # RESIZE_NEAREST_NEIGHBOR: the same three combinations.
    Spec("resize_nearest_half_pixel", simple(lambda x: tf.image.resize(x, (7, 10), method="nearest"),
                                             [[1, 4, 5, 3]]), op_model=True),
    Spec("resize_nearest_align_corners", simple(resize_nearest((9, 7), align_corners=True), [[1, 4, 5, 3]]),
         op_model=True),
    Spec("resize_nearest_legacy", simple(resize_nearest((6, 11)), [[1, 4, 5, 3]]), op_model=True),
    Spec("resize_nearest_down", simple(lambda x: tf.image.resize(x, (4, 5), method="nearest"), [[1, 9, 11, 2]]),
         op_model=True),
    # TRANSPOSE_CONV (tf.nn.conv2d_transpose, as Keras Conv2DTranspose emits it): stride 2 SAME
    # and VALID, with and without bias, a fused RELU, a 4x4 kernel (pad 1), and output padding
    # (Conv2DTranspose(output_padding=1): one more row and column than the stride gives).
    Spec("transpose_conv_same_bias", transpose_conv_op([1, 4, 4, 3], 3, 5, 2, "SAME", (8, 8)), op_model=True),
    Spec("transpose_conv_same_nobias", transpose_conv_op([1, 4, 5, 3], 3, 4, 2, "SAME", (8, 10), bias=False),
         op_model=True),
    Spec("transpose_conv_valid_bias", transpose_conv_op([1, 4, 4, 3], 3, 5, 2, "VALID", (9, 9)), op_model=True),
    Spec("transpose_conv_valid_nobias", transpose_conv_op([1, 3, 4, 4], 3, 3, 2, "VALID", (7, 9), bias=False),
         op_model=True),
    Spec("transpose_conv_same_relu", transpose_conv_op([1, 4, 4, 3], 3, 5, 2, "SAME", (8, 8), act=tf.nn.relu),
         op_model=True),
    Spec("transpose_conv_k4_same", transpose_conv_op([1, 3, 3, 4], 4, 3, 2, "SAME", (6, 6)), op_model=True),
    Spec("transpose_conv_output_padding", transpose_conv_op([1, 4, 4, 3], 3, 4, 2, "VALID", (10, 10)),
         op_model=True),
    Spec("transpose_conv_odd_same", transpose_conv_op([1, 4, 3, 3], 3, 4, 2, "SAME", (7, 5)), op_model=True),
    # data movement
    Spec("space_to_depth", simple(lambda x: tf.nn.space_to_depth(x, 2), [[1, 4, 6, 3]]), op_model=True),
    Spec("depth_to_space", simple(lambda x: tf.nn.depth_to_space(x, 2), [[1, 2, 3, 12]]), op_model=True),
    Spec("tile", simple(lambda x: tf.tile(x, [1, 2, 3, 1]), [[1, 2, 3, 4]]), op_model=True),
    Spec("unpack_axis1", simple(lambda x: tuple(tf.unstack(x, axis=1)), [[1, 3, 4, 5]]), op_model=True),
    # MAXIMUM / MINIMUM: two inputs with broadcast, and against a constant
    Spec("maximum_broadcast", simple(tf.maximum, [[1, 4, 4, 5], [1, 1, 4, 1]]), op_model=True),
    Spec("minimum_broadcast", simple(tf.minimum, [[1, 4, 4, 5], [1, 4, 1, 5]]), op_model=True),
    Spec("maximum_const", MM.const_op(maximum_const, [[1, 4, 4, 5]]), op_model=True),
    Spec("minimum_const", MM.const_op(minimum_const, [[1, 4, 4, 5]]), op_model=True),
    # activations (EXHAUSTIVE: every int8 value in every invocation)
    Spec("leaky_relu", simple(lambda x: tf.nn.leaky_relu(x, alpha=0.2), [[4, 64]]), op_model=True),
    Spec("prelu", prelu_op([1, 16, 16, 4]), op_model=True),
    # reductions
    Spec("arg_max_int32", simple(lambda x: tf.argmax(x, -1, output_type=tf.int32), [[1, 4, 5, 6]]), op_model=True),
    Spec("arg_max_int64", simple(lambda x: tf.argmax(x, 1), [[1, 5, 7]]), op_model=True),
    Spec("l2_normalization", simple(lambda x: tf.math.l2_normalize(x, axis=-1), [[1, 4, 8]]), op_model=True),
]

EXHAUSTIVE = {"leaky_relu", "prelu"}
# TFLite 2.21's BUILTIN_REF resolver registers DEPTH_TO_SPACE at version 1 only and TILE
# up to 2 (register_ref.cc), while the converter writes 2 (3 for TILE) for int8; their Eval
# functions handle int8 all the same. The reference outputs of those files come from a
# temporary copy whose operator code says version 1: the same kernels, loaded.
REF_VERSION_ONE = {"DEPTH_TO_SPACE", "TILE"}
_make_inputs = MM.make_inputs


def make_inputs(spec, in_details, n_inv, shared):
    """make_models.make_inputs, except every int8 value once per invocation (per channel: the
    last dimension) for EXHAUSTIVE ops."""
    if spec.name not in EXHAUSTIVE or np.dtype(in_details[0]["dtype"]) != np.int8:
        return _make_inputs(spec, in_details, n_inv, shared)
    (d,) = in_details
    q = d["quantization_parameters"]
    scale, zp = float(q["scales"][0]), int(q["zero_points"][0])
    shape = [int(x) for x in d["shape"]]
    channels = shape[-1] if spec.name == "prelu" else 1
    assert int(np.prod(shape)) == 256 * channels, shape
    rng = np.random.default_rng(MM.name_seed(spec.name + "/exhaustive"))
    per_inv = []
    for inv in range(n_inv):
        cols = [rng.permutation(np.arange(-128, 128)) for _ in range(channels)]
        a = np.stack(cols, axis=-1).astype(np.int8).reshape(shape)
        shared[(inv, 0)] = (a.astype(np.float64) - zp) * scale
        per_inv.append([a])
    return per_inv


MM.make_inputs = make_inputs


def write_op_fixtures():
    """Single-op models in vision/ops/ and their reference sets; returns index entries."""
    return MM.write_op_fixture_set(
        OP_SPECS, "vision/ops", width=52, reference_path=reference_copy,
        describe=op_options)


def reference_copy(data, path):
    """`path`, or a temporary copy of the model whose REF_VERSION_ONE operator codes say
    version 1 (see REF_VERSION_ONE)."""
    m = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    patched = False
    for oc in m.operatorCodes:
        name = OP_NAMES[max(oc.builtinCode, oc.deprecatedBuiltinCode)]
        if name in REF_VERSION_ONE and oc.version != 1:
            print("    %s version %d: reference outputs from a copy that says version 1" % (name, oc.version))
            oc.version = 1
            patched = True
    if not patched:
        return path
    copy = path + ".ref-v1.tflite"
    with open(copy, "wb") as f:
        f.write(flatbuffer_utils.convert_object_to_bytearray(m))
    return copy


def write_index(networks, ops):
    MM.update_index({"vision": networks, "vision_ops": ops})


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    if "--ops-only" in sys.argv[1:]:
        # regenerate the single-op fixtures only; the networks' entries stay as they are
        networks = MM.read_index().get("vision", [])
    else:
        networks = [make_network("unet_mobilenet_v2", build_unet), make_network("deeplab_head", build_deeplab)]
    write_index(networks, write_op_fixtures())
    sys.stdout.flush()


if __name__ == "__main__":
    main()
