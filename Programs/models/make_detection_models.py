#!/usr/bin/env python3
"""Generate small SSD-style detectors whose graphs end in the `TFLite_Detection_PostProcess`
custom operator, as TensorFlow's Object Detection API exports them, and TFLite BUILTIN_REF
reference outputs for them (issue 14: an SSD-style detector with its post-processing op).

Run from anywhere:
    venv/bin/python Programs/models/make_detection_models.py

The network (seeded): a 32x32x3 image, three 3x3 stride-2 convolutions (8, 16, 16 channels,
ReLU) giving 8x8 and 4x4 feature maps, and on each feature map a 3x3 box head (2 anchors x 4
box-encoding values) and a 3x3 class head (2 anchors x 5 logits: background + 4 classes),
reshaped to [1, anchors, 4] / [1, anchors, 5] and concatenated over both maps (160 anchors);
the class logits go through a sigmoid. It is converted to int8 with the converter's defaults
(Optimize.DEFAULT and a seeded representative dataset; float input and outputs, so the heads
end in DEQUANTIZE). The batch is fixed at 1: the post-processing op is defined for batch 1
only (`kBatchSize` in TFLite's detection_postprocess.cc).

The post-processing op is then appended with TFLite's own flatbuffer tools, laid out as the
Object Detection API's export does: custom code `TFLite_Detection_PostProcess`, inputs box
encodings (float32 [1, 160, 4]), class predictions (float32 [1, 160, 5], after the sigmoid)
and anchors (a float32 [160, 4] constant of (y_center, x_center, h, w)), four float32
outputs (boxes [1, D, 4], classes [1, D], scores [1, D], count [1]) that become the model's
outputs, and the options as a FlexBuffer map in `custom_options` (max_detections,
max_classes_per_detection, detections_per_class, use_regular_nms, nms_score_threshold,
nms_iou_threshold, num_classes, y_scale, x_scale, h_scale, w_scale; floats 32-bit).

Three files in Programs/models/detection/, same network and anchors, different options:
  ssd_tiny_int8.tflite          fast class-agnostic NMS, 1 class per detection (the export default)
  ssd_tiny_multiclass_int8.tflite  fast NMS, up to 2 classes per detection
  ssd_tiny_regular_int8.tflite  regular (per-class) NMS, 4 detections per class
The score threshold is chosen by the script from the network's scores on the representative
images (so that several boxes pass it) and written into the file; the script checks on every
reference invocation that several boxes are detected and that NMS suppressed some.

Reference sets (Programs/models/reference/<stem>/, the layout make_models.py writes; 3 seeded
images each) are listed in reference/index.json under "detection". With the fast NMS, TFLite
writes only the first `count` rows of the boxes, classes and scores outputs and leaves the rest
as they were; the script records those rows as zeros (what Systole's golden model writes, and
what the regular NMS writes), so tests compare the whole outputs.

Everything is seeded; running the script twice yields byte-identical files.
"""
import contextlib
import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_models as MM  # noqa: E402  (sets TF's environment before importing it)
from make_models import S, flatbuffer_utils, np, tf  # noqa: E402
from flatbuffers import flexbuffers  # noqa: E402

keras = tf.keras
L = keras.layers
HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "detection")
SEED = 20261206
N_REP = 32
IMAGE = (32, 32, 3)
CLASSES = 4                       # without the background class
ANCHORS_PER_CELL = 2
MAPS = [8, 4]                     # feature-map sizes
ANCHOR_SIZES = {8: 0.35, 4: 0.7}  # base anchor size per map (normalized)
SCALES = {"y_scale": 10.0, "x_scale": 10.0, "h_scale": 5.0, "w_scale": 5.0}

VARIANTS = [
    # name, options beyond the scales and the threshold
    ("ssd_tiny", dict(max_detections=25, max_classes_per_detection=1, detections_per_class=100,
                      use_regular_nms=False, nms_iou_threshold=0.3)),
    ("ssd_tiny_multiclass", dict(max_detections=20, max_classes_per_detection=2, detections_per_class=100,
                                 use_regular_nms=False, nms_iou_threshold=0.25)),
    ("ssd_tiny_regular", dict(max_detections=12, max_classes_per_detection=1, detections_per_class=4,
                              use_regular_nms=True, nms_iou_threshold=0.35)),
]


def build():
    keras.utils.set_random_seed(SEED)
    image = keras.Input(shape=IMAGE, batch_size=1, name="image")
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(image)
    f1 = L.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
    f2 = L.Conv2D(16, 3, strides=2, padding="same", activation="relu")(f1)
    boxes, logits = [], []
    for f, size in ((f1, MAPS[0]), (f2, MAPS[1])):
        n = size * size * ANCHORS_PER_CELL
        boxes.append(L.Reshape((n, 4))(L.Conv2D(ANCHORS_PER_CELL * 4, 3, padding="same")(f)))
        logits.append(L.Reshape((n, CLASSES + 1))(
            L.Conv2D(ANCHORS_PER_CELL * (CLASSES + 1), 3, padding="same")(f)))
    box_encodings = L.Concatenate(axis=1, name="box_encodings")(boxes)
    scores = L.Activation("sigmoid", name="class_predictions")(L.Concatenate(axis=1)(logits))
    return keras.Model(image, [box_encodings, scores], name="ssd_tiny")


def anchors():
    """[160, 4] (y_center, x_center, h, w), in the order of the heads' reshape (y, x, anchor)."""
    rows = []
    for size in MAPS:
        base = ANCHOR_SIZES[size]
        for y in range(size):
            for x in range(size):
                for a in range(ANCHORS_PER_CELL):
                    h, w = (base, base) if a == 0 else (base * 1.2, base * 0.85)
                    rows.append(((y + 0.5) / size, (x + 0.5) / size, h, w))
    return np.array(rows, dtype=np.float32)


def samples(rng, n):
    return [rng.uniform(-1, 1, (1,) + IMAGE).astype(np.float32) for _ in range(n)]


def convert(model):
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    rep = samples(np.random.default_rng(SEED), N_REP)
    conv.representative_dataset = lambda: iter([[s] for s in rep])
    with contextlib.redirect_stdout(io.StringIO()):
        return conv.convert()


def custom_options(options):
    """The op's FlexBuffer map: ints, a bool, and 32-bit floats, as the converter writes them."""
    fbb = flexbuffers.Builder()
    with fbb.Map():
        for key in sorted(options):
            v = options[key]
            if isinstance(v, bool):
                fbb.Bool(key, v)
            elif isinstance(v, int):
                fbb.Int(key, v)
            else:
                fbb.Float(key, float(v), 4)
    return bytes(fbb.Finish())


def append_postprocess(data, options):
    """Appends TFLite_Detection_PostProcess after the two heads; its outputs become the model's."""
    m = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    sg = m.subgraphs[0]
    by_last = {int(sg.tensors[t].shape[-1]): int(t) for t in sg.outputs}
    box_t, cls_t = by_last[4], by_last[CLASSES + 1]
    assert sg.tensors[box_t].type == S.TensorType.FLOAT32 and sg.tensors[cls_t].type == S.TensorType.FLOAT32

    def add_tensor(name, shape, data=None):
        buf = S.BufferT()
        if data is not None:
            buf.data = np.frombuffer(data.astype("<f4").tobytes(), dtype=np.uint8)
        m.buffers.append(buf)
        t = S.TensorT()
        t.name = name.encode()
        t.shape = np.array(shape, dtype=np.int32)
        t.type = S.TensorType.FLOAT32
        t.buffer = len(m.buffers) - 1
        sg.tensors.append(t)
        return len(sg.tensors) - 1

    a = anchors()
    anchor_t = add_tensor("anchors", list(a.shape), a)
    d = options["max_detections"] * options["max_classes_per_detection"]
    outs = [add_tensor("TFLite_Detection_PostProcess", [1, d, 4]),
            add_tensor("TFLite_Detection_PostProcess:1", [1, d]),
            add_tensor("TFLite_Detection_PostProcess:2", [1, d]),
            add_tensor("TFLite_Detection_PostProcess:3", [1])]
    oc = S.OperatorCodeT()
    oc.builtinCode = S.BuiltinOperator.CUSTOM
    oc.deprecatedBuiltinCode = S.BuiltinOperator.CUSTOM
    oc.customCode = b"TFLite_Detection_PostProcess"
    oc.version = 1
    m.operatorCodes.append(oc)
    op = S.OperatorT()
    op.opcodeIndex = len(m.operatorCodes) - 1
    op.inputs = np.array([box_t, cls_t, anchor_t], dtype=np.int32)
    op.outputs = np.array(outs, dtype=np.int32)
    op.customOptions = np.frombuffer(custom_options(options), dtype=np.uint8)
    op.customOptionsFormat = S.CustomOptionsFormat.FLEXBUFFERS
    sg.operators.append(op)
    sg.outputs = np.array(outs, dtype=np.int32)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(m))


def head_outputs(data, images):
    """Box encodings and class scores of the converted network (before the custom op)."""
    it = tf.lite.Interpreter(model_content=data, experimental_op_resolver_type=MM.REF, num_threads=1)
    it.allocate_tensors()
    (ind,) = it.get_input_details()
    res = []
    for im in images:
        it.set_tensor(ind["index"], im)
        it.invoke()
        outs = {int(d["shape"][-1]): np.array(it.get_tensor(d["index"])) for d in it.get_output_details()}
        res.append((outs[4][0], outs[CLASSES + 1][0]))
    return res


def decode(enc, a):
    yc = enc[:, 0] / SCALES["y_scale"] * a[:, 2] + a[:, 0]
    xc = enc[:, 1] / SCALES["x_scale"] * a[:, 3] + a[:, 1]
    hh = 0.5 * np.exp(enc[:, 2] / SCALES["h_scale"]) * a[:, 2]
    hw = 0.5 * np.exp(enc[:, 3] / SCALES["w_scale"]) * a[:, 3]
    return np.stack([yc - hh, xc - hw, yc + hh, xc + hw], axis=1)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    net = convert(build())
    print("network: %d bytes, ops %s" % (len(net), sorted({d["op"] for d in MM.inspect_model(net)})))
    rng = np.random.default_rng(MM.name_seed("ssd_tiny/inputs"))
    images = samples(rng, MM.N_INV)
    heads = head_outputs(net, samples(np.random.default_rng(SEED), N_REP))
    fg = np.concatenate([s[:, 1:].max(axis=1) for _, s in heads])
    # The threshold: the 80th percentile of each anchor's best foreground score, so about
    # 30 of the 160 anchors pass it per image; rounded to a float32 a FlexBuffer holds exactly.
    threshold = float(np.float32(np.round(np.quantile(fg, 0.8), 3)))
    print("nms_score_threshold %.3f (foreground scores %.3f..%.3f)" % (threshold, fg.min(), fg.max()))
    entries = []
    for name, extra in VARIANTS:
        options = dict(extra, num_classes=CLASSES, nms_score_threshold=threshold, **SCALES)
        data = append_postprocess(net, options)
        rel = "detection/%s_int8.tflite" % name
        path = os.path.join(HERE, rel)
        with open(path, "wb") as f:
            f.write(data)
        inputs = [[im] for im in images]
        _, ind, outd, outs = MM.run_interp(path, inputs, MM.REF)
        for inv, (o, (enc, sc)) in enumerate(zip(outs, head_outputs(net, images))):
            count = int(o[3][0])
            if not options["use_regular_nms"]:
                k = count * options["max_classes_per_detection"]
                for j in range(3):
                    o[j][0, k:] = 0
            above = int(np.sum(sc[:, 1:].max(axis=1) >= threshold))
            assert count >= 3, "%s: invocation %d detects %d boxes" % (name, inv, count)
            assert count < min(above, options["max_detections"]) or options["use_regular_nms"], \
                "%s: invocation %d: NMS suppressed nothing (%d above threshold, %d kept)" % (name, inv, above, count)
            print("  %s invocation %d: %d anchors above %.3f, %d detections" % (name, inv, above, threshold, count))
        # The same runs through the optimized kernels agree (the op has one implementation).
        _, _, _, opt = MM.run_interp(path, inputs, MM.OPT)
        assert all(int(a[3][0]) == int(b[3][0]) for a, b in zip(outs, opt))
        stem = os.path.splitext(os.path.basename(rel))[0]
        opinfo = MM.inspect_model(data)
        for d in opinfo:  # the manifest names the custom op by its code, as Systole does
            if d["op"] == "CUSTOM":
                d["op"] = "TFLite_Detection_PostProcess"
        MM.save_reference(stem, rel, False, inputs, outs, ind, outd, opinfo)
        entries.append({"stem": stem, "model": rel, "manifest": "reference/%s/manifest.json" % stem})
        print("%s: %d bytes, options %s" % (rel, len(data), json.dumps(options, sort_keys=True)))
    index = MM.read_index()
    index["detection"] = entries
    MM.write_index(index)


if __name__ == "__main__":
    main()
