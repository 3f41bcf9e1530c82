#!/usr/bin/env python3
"""SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND (issue 14): the DeepLab-style head of
make_vision_models.py converted with the converter's defaults (a dynamic batch), which writes its
dilated convolutions as SPACE_TO_BATCH_ND -> CONV_2D -> BATCH_TO_SPACE_ND, and single-op models
of both operators, with TFLite BUILTIN_REF reference outputs.

Run from anywhere:
    venv/bin/python Programs/models/make_space_batch_models.py             # everything
    venv/bin/python Programs/models/make_space_batch_models.py --ops-only  # the single-op files only

- vision/deeplab_head_dynamic_int8.tflite: make_vision_models.build_deeplab(None) with the same
  seeded weights, representative dataset and reference inputs as the committed static-batch
  deeplab_head_int8 (the script prints its op list and options).
- vision/ops/{space_to_batch,batch_to_space}_*_{int8,float}.tflite: tf.space_to_batch_nd and
  tf.batch_to_space with zero and nonzero paddings/crops, 4-D (two spatial dimensions) and 3-D
  (one), converted by make_models.py's op machinery (int8 in and out with TFLITE_BUILTINS_INT8,
  and a float32 twin).

Reference sets are listed in reference/index.json under "space_batch" (the network) and
"space_batch_ops" (the single-op files); other keys are kept. Everything is seeded; running the
script twice yields byte-identical files.
"""
import contextlib
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_vision_models as MV  # noqa: E402  (sets up TensorFlow and make_models as MV.MM)

MM = MV.MM
np = MV.np
tf = MV.tf
HERE = MV.HERE


def make_dynamic_deeplab():
    """The static head's weights and data, a dynamic batch: returns its index entry."""
    name = "deeplab_head"
    MM.seed_all(MM.name_seed(name))
    rng = np.random.default_rng(MM.name_seed(name + "/weights"))
    model = MV.build_deeplab(None)
    MV.init_weights(model, rng, MV.synthetic_images(rng, MV.N_STATS))
    rep = MV.synthetic_images(np.random.default_rng(MM.name_seed(name + "/rep")), MV.N_REP)
    data = MV.convert_network(model, rep)
    rel = "vision/deeplab_head_dynamic_int8.tflite"
    with open(os.path.join(HERE, rel), "wb") as f:
        f.write(data)
    print("deeplab_head_dynamic: TFLITE_BUILTINS_INT8, %d params, %d bytes, %s" % (
        model.count_params(), len(data), rel))
    for op, n in sorted(MV.op_counts(data).items()):
        print("  %-28s x%d" % (op, n))
    for line in MV.op_options(data):
        print(line)
    return MV.write_network_reference(name, rel, data, model)


def space_to_batch(block, paddings):
    return lambda x: tf.space_to_batch_nd(x, block, paddings)


def batch_to_space(block, crops):
    return lambda x: tf.batch_to_space(x, block, crops)


Spec = MM.Spec
simple = MM.simple
OP_SPECS = [
    # SPACE_TO_BATCH_ND: padded (the padded positions hold the output zero point), unpadded with
    # unequal blocks, batch 2, and 3-D (one spatial dimension).
    Spec("space_to_batch_pad", simple(space_to_batch([2, 2], [[1, 1], [2, 1]]), [[1, 4, 5, 3]]), op_model=True),
    Spec("space_to_batch_nopad", simple(space_to_batch([2, 3], [[0, 0], [0, 0]]), [[1, 4, 6, 2]]), op_model=True),
    Spec("space_to_batch_batch2", simple(space_to_batch([3, 2], [[2, 1], [0, 1]]), [[2, 3, 3, 2]]), op_model=True,
         data="positive"),
    Spec("space_to_batch_3d", simple(space_to_batch([3], [[1, 2]]), [[2, 6, 4]]), op_model=True),
    # BATCH_TO_SPACE_ND: with and without crops, unequal blocks, 3-D.
    Spec("batch_to_space_crop", simple(batch_to_space([2, 2], [[0, 1], [1, 0]]), [[4, 3, 3, 2]]), op_model=True),
    Spec("batch_to_space_nocrop", simple(batch_to_space([2, 3], [[0, 0], [0, 0]]), [[6, 2, 2, 3]]), op_model=True),
    Spec("batch_to_space_batch2", simple(batch_to_space([3, 2], [[2, 1], [0, 1]]), [[12, 2, 2, 2]]), op_model=True),
    Spec("batch_to_space_3d", simple(batch_to_space([3], [[1, 2]]), [[6, 3, 4]]), op_model=True),
]


def write_op_fixtures():
    """Single-op models in vision/ops/ and their reference sets; returns index entries."""
    return MM.write_op_fixture_set(
        OP_SPECS, "vision/ops", width=52, reference_path=MV.reference_copy, describe=MV.op_options)


def write_index(networks, ops):
    MM.update_index({"space_batch": networks, "space_batch_ops": ops})


def main():
    ops = write_op_fixtures()
    if "--ops-only" in sys.argv[1:]:
        # the network's entry stays as it is
        networks = MM.read_index().get("space_batch", [])
    else:
        networks = [make_dynamic_deeplab()]
    write_index(networks, ops)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
