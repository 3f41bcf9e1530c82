#!/usr/bin/env python3
"""Full-size Keras applications, converted to int8 with the converter's defaults.

Run from anywhere (after make_models.py, whose helpers this script imports):
    venv/bin/python Programs/models/make_full_models.py

Writes full/<stem>.tflite, reference/<stem>/ (the layout of make_models.py: in.K.J.bin,
out.K.J.bin, manifest.json; 2 invocations on TFLite's BUILTIN_REF kernels) and the "full"
list of reference/index.json. There are no pretrained weights (no network access here):
every weight is seeded, and the batch-norm statistics are measured on seeded synthetic
images (see `init_weights`). Two runs write byte-identical files. See README.md.
"""
import contextlib
import io
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_models as mm  # noqa: E402  (sets TF's environment before importing it)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

keras = tf.keras
L = keras.layers

FULL_DIR = os.path.join(HERE, "full")
N_INV = 2           # reference invocations per model
N_REP = 64          # representative-dataset samples
N_STATS = 16        # synthetic images that set the batch-norm statistics
SIZE = 224


def synthetic_images(rng, n):
    """n seeded 224x224 RGB "images" in pixel units [0, 255] (float32).

    make_models.py's "image" pattern (per-sample channel offsets, smooth 4x4 blocks, noise),
    so that global statistics differ between samples and survive global pooling; each image
    is scaled to the same RMS (45 levels around mid-grey). Without that, the random networks
    amplify the brighter, higher-contrast samples ten times more than the others by the
    classifier, and those come out one-hot."""
    imgs = [mm.gen_float("image", rng, [1, SIZE, SIZE, 3]) for _ in range(n)]
    imgs = [a / np.sqrt(np.mean(np.square(a))) for a in imgs]
    return np.clip(127.5 + 45.0 * np.concatenate(imgs, axis=0), 0.0, 255.0).astype(np.float32)


def init_weights(model, rng, stats_images):
    """Seeded weights, then batch-norm statistics measured on synthetic images.

    Kernels: He-normal over the fan-in (depthwise: kh*kw); biases N(0, 0.05); BN gamma
    U(0.8, 1.2), beta N(0, 0.1). A random network with random BN statistics lets activations
    grow or vanish over 50+ layers, so the moving mean and variance are then set to the
    batch statistics of `stats_images`: one training-mode pass with momentum 0 and dropout
    off (BN layers run in order, each sees the normalized output of the ones before it).
    Normalization layers (EfficientNet) get the ImageNet mean and variance that Keras's
    pretrained EfficientNet uses, in units of the preceding 1/255 rescale."""
    for layer in model.layers:
        if isinstance(layer, L.Normalization):
            layer.adapt_mean.assign(np.array([0.485, 0.456, 0.406], np.float32))
            layer.adapt_variance.assign(np.array([0.229, 0.224, 0.225], np.float32) ** 2)
            layer.finalize_state()
            continue
        for v in layer.weights:
            n = v.name.split("/")[-1].split(":")[0]
            shp = tuple(v.shape)
            if n in ("kernel", "depthwise_kernel"):
                # Keras 3 names a depthwise kernel "kernel" too: (kh, kw, cin, multiplier)
                depthwise = isinstance(layer, L.DepthwiseConv2D) or n == "depthwise_kernel"
                fan_in = shp[0] * shp[1] if depthwise else int(np.prod(shp[:-1]))
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
    drops = [layer for layer in model.layers if isinstance(layer, L.Dropout)]
    saved = [(layer, layer.momentum) for layer in bns] + [(layer, layer.rate) for layer in drops]
    for layer in bns:
        layer.momentum = 0.0
    for layer in drops:
        layer.rate = 0.0
    model(tf.constant(stats_images), training=True)
    for layer, value in saved:
        if isinstance(layer, L.BatchNormalization):
            layer.momentum = value
        else:
            layer.rate = value
    calibrate_classifier(model, rng, stats_images)


LOGIT_STD = 3.0        # spread of W·x over the 1000 classes: median over the synthetic images
LOGIT_BIAS_STD = 2.0   # per-class bias: keeps every row's softmax away from flat


def calibrate_classifier(model, rng, stats_images):
    """Scale the classifier (the last layer with a kernel) so that the median over the
    synthetic images of W·x's std over the classes is LOGIT_STD, and give it a
    N(0, LOGIT_BIAS_STD) bias. (The median: a few bright images reach the classifier with
    ten times the others' magnitude; they come out nearly one-hot.)

    Some synthetic images reach the classifier with almost no spread; their 1000 logits are
    then nearly equal, and TFLite's BUILTIN_REF int8 SOFTMAX aborts the process (SIGABRT)
    once a row's sum of exp(x - max) reaches 512 (the optimized kernel does not). The bias
    spread keeps every row's sum far below that (`check_softmax_rows` asserts it)."""
    head = [layer for layer in model.layers if any(v.name.endswith("kernel") for v in layer.weights)][-1]
    feats = keras.Model(model.input, head.input)(tf.constant(stats_images), training=False)
    kernel = head.kernel
    z = tf.tensordot(tf.reshape(feats, [feats.shape[0], -1]), tf.reshape(kernel, [-1, kernel.shape[-1]]), 1)
    kernel.assign(kernel.numpy() * np.float32(LOGIT_STD / float(np.median(np.std(z.numpy(), axis=1)))))
    head.bias.assign(rng.normal(0.0, LOGIT_BIAS_STD, tuple(head.bias.shape)).astype(np.float32))


def check_softmax_rows(model, images):
    """The largest per-row sum of exp(logit - max) over `images` (see calibrate_classifier)."""
    head = [layer for layer in model.layers if any(v.name.endswith("kernel") for v in layer.weights)][-1]
    logits = keras.Model(model.input, head.output)
    # the classifier of EfficientNet applies softmax itself: undo it with log
    out = logits(tf.constant(images), training=False).numpy().reshape(len(images), -1)
    if head.get_config().get("activation") == "softmax":
        out = np.log(np.maximum(out, 1e-30))
    sums = np.exp(out - out.max(axis=1, keepdims=True)).sum(axis=1)
    assert sums.max() < 128, "softmax rows too flat for BUILTIN_REF: %s" % sums
    return float(sums.max())


def build_mobilenet_v3_small():
    return keras.applications.MobileNetV3Small(input_shape=(SIZE, SIZE, 3), include_top=True,
                                               weights=None, classes=1000)


def build_efficientnet_b0():
    return keras.applications.EfficientNetB0(input_shape=(SIZE, SIZE, 3), include_top=True,
                                             weights=None, classes=1000)


MODELS = [
    ("mobilenet_v3_small", build_mobilenet_v3_small),
    ("efficientnet_b0", build_efficientnet_b0),
]


def convert_int8(model, rep):
    """Full-integer post-training quantization, int8 in and out; converter defaults otherwise
    (so the batch stays dynamic, as Keras's Input(shape) leaves it)."""
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([rep[i:i + 1]] for i in range(len(rep)))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    with contextlib.redirect_stdout(io.StringIO()):
        return conv.convert()


def make_one(name, build):
    t0 = time.time()
    seed = mm.name_seed("full/" + name)
    mm.seed_all(seed)
    rng = np.random.default_rng(seed)
    model = build()
    init_weights(model, rng, synthetic_images(np.random.default_rng(mm.name_seed("full/%s/stats" % name)), N_STATS))
    rep = synthetic_images(np.random.default_rng(mm.name_seed("full/%s/rep" % name)), N_REP)
    flatness = check_softmax_rows(model, rep)
    data = convert_int8(model, rep)
    t_conv = time.time() - t0
    stem = name + "_int8"
    rel = "full/%s.tflite" % stem
    path = os.path.join(HERE, rel)
    with open(path, "wb") as f:
        f.write(data)

    probe = tf.lite.Interpreter(model_path=path, experimental_op_resolver_type=mm.REF)
    probe.allocate_tensors()
    (d,) = probe.get_input_details()
    del probe
    q = d["quantization_parameters"]
    scale, zp = float(q["scales"][0]), int(q["zero_points"][0])
    fresh = synthetic_images(np.random.default_rng(mm.name_seed("full/%s/inputs" % name)), N_INV)
    inputs = [[np.clip(np.round(fresh[k:k + 1] / scale) + zp, -128, 127).astype(np.int8)] for k in range(N_INV)]
    t1 = time.time()
    _, ind, outd, outs = mm.run_interp(path, inputs, mm.REF)
    t_ref = (time.time() - t1) / N_INV
    _, _, _, outs_opt = mm.run_interp(path, inputs, mm.OPT)
    ndiff = sum(int(np.count_nonzero(a != c)) for o1, o2 in zip(outs, outs_opt) for a, c in zip(o1, o2))

    vals = [o[0] for o in outs]
    assert not np.array_equal(vals[0], vals[1]), "%s: both invocations give the same output" % stem
    allv = np.concatenate([v.ravel() for v in vals])
    assert len(np.unique(allv)) > 2, "%s: output nearly constant" % stem
    # the float model agrees with the int8 one about the top class (informational)
    xf = (inputs[0][0].astype(np.float32) - zp) * scale
    top_float = int(np.argmax(model(tf.constant(xf), training=False).numpy()[0]))
    top_int8 = int(np.argmax(vals[0][0]))

    opinfo = mm.inspect_model(data)
    manifest = mm.save_reference(stem, rel, False, inputs, outs, ind, outd, opinfo)
    mm.log("%-36s %8d B  %d params  ops=%s" % (rel, len(data), model.count_params(), ",".join(manifest["ops"])))
    mm.log("    convert %.0f s; BUILTIN_REF %.2f s per invocation; ref-vs-opt diff=%d; %d distinct output "
           "values, max %d; top-1 of invocation 0: int8 %d, float %d; flattest softmax row of the "
           "calibration images: sum exp(x - max) = %.1f" % (
               t_conv, t_ref, ndiff, len(np.unique(allv)), int(allv.max()), top_int8, top_float, flatness))
    return {"stem": stem, "model": rel, "manifest": "reference/%s/manifest.json" % stem}


def main():
    os.makedirs(FULL_DIR, exist_ok=True)
    os.makedirs(mm.REF_DIR, exist_ok=True)
    index = mm.read_index()
    for e in index.get("full", []):
        p = os.path.join(mm.REF_DIR, e["stem"])
        if os.path.isdir(p):
            mm.shutil.rmtree(p)
    for fn in os.listdir(FULL_DIR):
        if fn.endswith(".tflite"):
            os.remove(os.path.join(FULL_DIR, fn))
    entries = [make_one(name, build) for name, build in MODELS]
    index = mm.read_index()
    index["full"] = entries
    mm.write_index(index)


if __name__ == "__main__":
    main()
