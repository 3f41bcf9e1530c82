#!/usr/bin/env python3
"""Trains small classifiers on real handwritten digits and writes what Systole's tests compare.

Data: scikit-learn's bundled 8x8 handwritten digits (`sklearn.datasets.load_digits`, 1797
images of 10 classes, shipped inside the package: nothing is downloaded). Pixels 0..16 are
scaled to [0, 1]. A seeded permutation splits them into 1247 training, 100 calibration and 450
test images; the calibration images are drawn from the training split's distribution but are
not trained on.

Models (Keras, seeded, deterministic ops; each outputs 10 logits, no softmax):
  cnn     CONV_2D 3x3 -> DEPTHWISE_CONV_2D 3x3 -> CONV_2D 1x1 -> AVERAGE_POOL_2D -> FULLY_CONNECTED
  mlp     64 -> 64 -> 32 -> 10 FULLY_CONNECTED
  resnet  CONV_2D stem, two residual blocks (the second strided, with a 1x1 projection),
          MEAN (global pooling) -> FULLY_CONNECTED

Outputs, all in this folder (every input file is float32 little-endian, 256 bytes, which is
both the 1x8x8x1 image of cnn/resnet and the 1x64 vector of mlp):
  calibration/0000.bin ...   the 100 calibration inputs (Systole's --calibration folder)
  test/0000.bin ..., test/labels.txt   the 450 test inputs and their classes, one per line
  <model>_float.tflite       TFLiteConverter.from_keras_model defaults (dynamic batch)
  <model>_tf_int8.tflite     TensorFlow's full-integer PTQ: Optimize.DEFAULT, the 100
                             calibration inputs in file order as representative_dataset,
                             TFLITE_BUILTINS_INT8, int8 input and output
  results.json               top-1/top-5 of each file on the test set, run by TensorFlow Lite's
                             BUILTIN_REF interpreter (int8 inputs quantized with the file's
                             input parameters, rounding half away from zero as TFLite does)

QAT files (<model>_tf_qat_int8.tflite) come from make_qat.py, in its own environment:
tensorflow-model-optimization 0.8 needs tf_keras (Keras 2), and this environment pins Keras 3.

Run from the repository root with the pinned venv:
  venv/bin/pip install -r Programs/trained/requirements.txt
  venv/bin/python Programs/trained/make_trained.py
"""
import json
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # the same float sums on every x86 CPU

import numpy as np
import sklearn
import tensorflow as tf
from sklearn.datasets import load_digits

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240516
N_CALIBRATION = 100
N_TEST = 450
REF = tf.lite.experimental.OpResolverType.BUILTIN_REF


def split():
    digits = load_digits()
    x = (digits.data.astype(np.float32) / np.float32(16.0)).reshape(-1, 8, 8, 1)
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(SEED).permutation(len(x))
    test = order[:N_TEST]
    calibration = order[N_TEST:N_TEST + N_CALIBRATION]
    train = order[N_TEST + N_CALIBRATION:]
    return (x[train], y[train]), (x[calibration], y[calibration]), (x[test], y[test])


def build_cnn():
    inp = tf.keras.Input((8, 8, 1), name="image")
    h = tf.keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(inp)
    h = tf.keras.layers.DepthwiseConv2D(3, padding="same", activation="relu", name="dw2")(h)
    h = tf.keras.layers.Conv2D(32, 1, activation="relu", name="pw2")(h)
    h = tf.keras.layers.AveragePooling2D(2, name="pool")(h)
    h = tf.keras.layers.Flatten(name="flatten")(h)
    out = tf.keras.layers.Dense(10, name="logits")(h)
    return tf.keras.Model(inp, out, name="cnn")


def build_mlp():
    inp = tf.keras.Input((8, 8, 1), name="image")
    h = tf.keras.layers.Reshape((64,), name="flatten")(inp)
    h = tf.keras.layers.Dense(64, activation="relu", name="fc1")(h)
    h = tf.keras.layers.Dense(32, activation="relu", name="fc2")(h)
    out = tf.keras.layers.Dense(10, name="logits")(h)
    return tf.keras.Model(inp, out, name="mlp")


def build_resnet():
    L = tf.keras.layers
    inp = tf.keras.Input((8, 8, 1), name="image")
    h = L.Conv2D(16, 3, padding="same", activation="relu", name="stem")(inp)
    r = L.Conv2D(16, 3, padding="same", activation="relu", name="b1_conv1")(h)
    r = L.Conv2D(16, 3, padding="same", name="b1_conv2")(r)
    h = L.ReLU(name="b1_relu")(L.Add(name="b1_add")([h, r]))
    r = L.Conv2D(32, 3, strides=2, padding="same", activation="relu", name="b2_conv1")(h)
    r = L.Conv2D(32, 3, padding="same", name="b2_conv2")(r)
    s = L.Conv2D(32, 1, strides=2, name="b2_proj")(h)
    h = L.ReLU(name="b2_relu")(L.Add(name="b2_add")([s, r]))
    h = L.GlobalAveragePooling2D(name="gap")(h)
    out = L.Dense(10, name="logits")(h)
    return tf.keras.Model(inp, out, name="resnet")


MODELS = [("cnn", build_cnn, 40), ("mlp", build_mlp, 60), ("resnet", build_resnet, 30)]


def train(build, epochs, x, y):
    tf.keras.utils.set_random_seed(SEED)
    model = build()
    model.compile(
        optimizer=tf.keras.optimizers.Adam(2e-3),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=32, epochs=epochs, shuffle=True, verbose=0)
    return model


def convert(model, calibration=None):
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if calibration is not None:
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = lambda: iter([[c[None]] for c in calibration])
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
    return conv.convert()


def round_half_away(v):
    return np.sign(v) * np.floor(np.abs(v) + np.float32(0.5))


def accuracy(data, x, y):
    """(top-1, top-5) in percent with TFLite's reference kernels, one image per invocation."""
    it = tf.lite.Interpreter(model_content=data, experimental_op_resolver_type=REF)
    inp = it.get_input_details()[0]
    out = it.get_output_details()[0]
    it.resize_tensor_input(inp["index"], [1, 8, 8, 1] if len(inp["shape"]) == 4 else [1, 64])
    it.allocate_tensors()
    top1 = top5 = 0
    for image, label in zip(x, y):
        sample = image[None].reshape(it.get_input_details()[0]["shape"])
        if inp["dtype"] == np.int8:
            scale, zp = inp["quantization"]
            q = round_half_away(sample / np.float32(scale)) + zp
            sample = np.clip(q, -128, 127).astype(np.int8)
        it.set_tensor(inp["index"], sample)
        it.invoke()
        logits = it.get_tensor(out["index"])[0].astype(np.float64)
        if out["dtype"] == np.int8:
            scale, zp = out["quantization"]
            logits = scale * (logits - zp)
        order = np.argsort(-logits, kind="stable")  # ties: the lower index first, as argmax
        top1 += int(order[0] == label)
        top5 += int(label in order[:5])
    return round(100.0 * top1 / len(y), 4), round(100.0 * top5 / len(y), 4)


def write_inputs(folder, x, labels=None):
    path = os.path.join(HERE, folder)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    for i, image in enumerate(x):
        image.astype("<f4").tofile(os.path.join(path, "%04d.bin" % i))
    if labels is not None:
        with open(os.path.join(path, "labels.txt"), "w") as f:
            f.write("".join("%d\n" % v for v in labels))


def main():
    tf.config.experimental.enable_op_determinism()
    (xt, yt), (xc, _), (xs, ys) = split()
    write_inputs("calibration", xc)
    write_inputs("test", xs, ys)
    results = {
        "tensorflow": tf.__version__, "scikit_learn": sklearn.__version__, "seed": SEED,
        "dataset": "sklearn.datasets.load_digits (8x8, 10 classes), pixels / 16",
        "train": int(len(xt)), "calibration": int(len(xc)), "test": int(len(xs)),
        "interpreter": "tf.lite.Interpreter BUILTIN_REF", "models": {},
    }
    for name, build, epochs in MODELS:
        model = train(build, epochs, xt, yt)
        files = {"float": convert(model), "tf_int8": convert(model, xc)}
        entry = {}
        for kind, data in files.items():
            fname = "%s_%s.tflite" % (name, kind)
            with open(os.path.join(HERE, fname), "wb") as f:
                f.write(data)
            top1, top5 = accuracy(data, xs, ys)
            entry[kind] = {"file": fname, "bytes": len(data), "top1_accuracy": top1, "top5_accuracy": top5}
            print("%-7s %-8s %6d bytes  top-1 %.2f %%  top-5 %.2f %%" % (name, kind, len(data), top1, top5))
        results["models"][name] = entry
    with open(os.path.join(HERE, "results.json"), "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
