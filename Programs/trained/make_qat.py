#!/usr/bin/env python3
"""Quantization-aware training (QAT) files for the digits models of make_trained.py.

tensorflow-model-optimization (tfmot) 0.8 works only with Keras 2 (the `tf_keras` package,
selected by TF_USE_LEGACY_KERAS=1), while make_trained.py trains with Keras 3; the two cannot
share one process (the variable switches `tf.keras` for the whole interpreter) or one pinned
environment. So this script runs in its own venv (Programs/trained/requirements-qat.txt) and
starts from the *committed* float files rather than from a retrained twin:

  1. Rebuild each architecture with make_trained.py's builders (here `tf.keras` is Keras 2) and
     load the weights of <model>_float.tflite into it (TFLite filters OHWI / 1HWC / [out, in]
     transposed to Keras' HWIO / HWC1 / [in, out]); check it scores the float file's top-1.
  2. tfmot.quantization.keras.quantize_model (default 8-bit scheme: per-channel weights, fake
     quantization of activations with moving-average ranges), fine-tune QAT_EPOCHS epochs on the
     same 1247 training images (Adam 1e-4, batch 32, seeded).
  3. Convert with Optimize.DEFAULT and int8 input and output (no representative dataset: the
     ranges come from training; the converter refuses TFLITE_BUILTINS_INT8 without one, so the
     script checks instead that no float op is left) -> <model>_tf_qat_int8.tflite.
  4. Score it with TFLite's BUILTIN_REF kernels on the 450 test images, as make_trained.py does,
     and add "tf_qat_int8" entries (and the versions used) to results.json.

Run from the repository root:
  python3 -m venv /tmp/qat-venv && /tmp/qat-venv/bin/pip install -r Programs/trained/requirements-qat.txt
  TF_USE_LEGACY_KERAS=1 /tmp/qat-venv/bin/python Programs/trained/make_qat.py
"""
import json
import os
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # tfmot needs Keras 2 (tf_keras)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np
import tensorflow as tf
import tensorflow_model_optimization as tfmot
import tf_keras

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_trained as mt  # noqa: E402  (the split, the builders, the TFLite scoring)

QAT_EPOCHS = 5
QAT_LEARNING_RATE = 1e-4


def float_weights(path):
    """Weight layer name -> (kernel, bias) as stored in the float .tflite file."""
    it = tf.lite.Interpreter(model_path=path)
    it.allocate_tensors()
    details = {d["index"]: d for d in it.get_tensor_details()}
    out = {}
    for op in it._get_ops_details():
        if op["op_name"] not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            continue
        w, b = op["inputs"][1], op["inputs"][2]
        name = details[w]["name"]  # e.g. resnet_1/b2_proj_1/convolution
        layer = name.split("/")[1][: -len("_1")]
        out[layer] = (op["op_name"], it.get_tensor(w), it.get_tensor(b))
    return out


def load_float(model, path):
    weights = float_weights(path)
    for layer in model.layers:
        if layer.name not in weights:
            continue
        kind, w, b = weights[layer.name]
        if kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            kernel = np.transpose(w, (1, 2, 3, 0))  # OHWI -> HWIO, 1HWC -> HWC1
        else:
            kernel = np.transpose(w)  # [out, in] -> [in, out]
        layer.set_weights([kernel, b])
        del weights[layer.name]
    assert not weights, "layers of %s not found in the Keras model: %s" % (path, sorted(weights))


def check_integer_only(data, name):
    """Every activation tensor of the converted file is an integer (no float op left)."""
    it = tf.lite.Interpreter(model_content=data)
    it.allocate_tensors()
    details = {d["index"]: d for d in it.get_tensor_details()}
    for op in it._get_ops_details():
        for t in list(op["inputs"]) + list(op["outputs"]):
            if t >= 0 and details[t]["dtype"] == np.float32:
                raise SystemExit("%s: %s has float32 tensor '%s'" % (name, op["op_name"], details[t]["name"]))


def main():
    tf.config.experimental.enable_op_determinism()
    (xt, yt), (xc, _), (xs, ys) = mt.split()
    results_path = os.path.join(HERE, "results.json")
    with open(results_path) as f:
        results = json.load(f)
    for name, build, _ in mt.MODELS:
        tf_keras.utils.set_random_seed(mt.SEED)
        model = build()
        assert isinstance(model, tf_keras.Model), "tf.keras is not Keras 2: set TF_USE_LEGACY_KERAS=1"
        float_path = os.path.join(HERE, "%s_float.tflite" % name)
        load_float(model, float_path)
        # The rebuilt Keras 2 model must score what the committed float file scores.
        logits = model.predict(xs, verbose=0)
        top1 = round(100.0 * float(np.mean(np.argmax(logits, axis=1) == ys)), 4)
        expected = results["models"][name]["float"]["top1_accuracy"]
        assert abs(top1 - expected) < 1e-6, "%s: rebuilt float top-1 %s, file %s" % (name, top1, expected)

        qat = tfmot.quantization.keras.quantize_model(model)
        qat.compile(
            optimizer=tf_keras.optimizers.Adam(QAT_LEARNING_RATE),
            loss=tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        qat.fit(xt, yt, batch_size=32, epochs=QAT_EPOCHS, shuffle=True, verbose=0)

        conv = tf.lite.TFLiteConverter.from_keras_model(qat)
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
        data = conv.convert()
        check_integer_only(data, name)
        fname = "%s_tf_qat_int8.tflite" % name
        with open(os.path.join(HERE, fname), "wb") as f:
            f.write(data)
        top1, top5 = mt.accuracy(data, xs, ys)
        results["models"][name]["tf_qat_int8"] = {
            "file": fname, "bytes": len(data), "top1_accuracy": top1, "top5_accuracy": top5}
        print("%-7s %-12s %6d bytes  top-1 %.2f %%  top-5 %.2f %%" % (name, "tf_qat_int8", len(data), top1, top5))
    results["qat"] = {
        "tensorflow": tf.__version__, "tf_keras": tf_keras.__version__,
        "tensorflow_model_optimization": tfmot.__version__, "epochs": QAT_EPOCHS,
        "learning_rate": QAT_LEARNING_RATE, "start": "the committed <model>_float.tflite weights",
    }
    with open(results_path, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
