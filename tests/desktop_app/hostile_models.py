"""Models that pass every static check of the contract and still misbehave when run.

Each is the fixture generator (or encoder) of onnx_models.py with a few nodes spliced in,
a few tens of KB: a `Loop` that never ends, a call that takes half a second or allocates
gigabytes, a convolution no deadline can interrupt, an output batch capped at 4, NaN or
-10000 for one pure class, and encoders that answer NaN or all-zero weights for some
pictures only. Shapes that decide the cost come from the input at run time (`Shape(z)`),
so ONNX Runtime cannot fold them into constants when it loads the graph.

    python -m tests.desktop_app.hostile_models OUT_DIR   # writes them for trying by hand
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

from . import onnx_models as om

LATENT = 8


def _splice(model: onnx.ModelProto, nodes: list, inits: list, into: str = "flat01"
            ) -> onnx.ModelProto:
    """Insert `nodes` before the final Reshape, which then reads `into`'s replacement
    (the last node's output) instead of the image `into`."""
    graph = model.graph
    graph.node[-1].input[0] = nodes[-1].output[0]
    at = len(graph.node) - 1
    for node in reversed(nodes):
        graph.node.insert(at, node)
    graph.initializer.extend(inits)
    return model


def _rows_times(count: int, name: str) -> tuple[list, list]:
    """Nodes making `name` = [batch * count] (int64, shape [1]) from z's batch."""
    nodes = [helper.make_node("Shape", ["z"], [name + "_shape"]),
             helper.make_node("Slice", [name + "_shape", name + "_0", name + "_1"], [name + "_b"]),
             helper.make_node("Mul", [name + "_b", name + "_n"], [name])]
    inits = [om._const(name + "_0", np.array([0], np.int64)),
             om._const(name + "_1", np.array([1], np.int64)),
             om._const(name + "_n", np.array([count], np.int64))]
    return nodes, inits


def loop_generator(trips: int = 10**15, conditional: bool = False) -> onnx.ModelProto:
    """The image passes through a `Loop` of `trips` empty iterations."""
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Identity", ["x_in"], ["x_out"])], "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("x_in", TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("x_out", TensorProto.FLOAT, None)])
    return _splice(om.generator_model(LATENT, conditional=conditional),
                   [helper.make_node("Loop", ["trips", "go", "flat01"], ["looped"], body=body)],
                   [om._const("trips", np.array(trips, np.int64)), om._const("go", np.array(True))])


def big_allocation_generator(mb_per_row: int) -> onnx.ModelProto:
    """Each call fills a tensor of `mb_per_row` MB per sample with zeros and sums it away:
    the image is unchanged, the memory is spent."""
    shape, inits = _rows_times(mb_per_row * (1 << 20) // 4, "count")
    nodes = shape + [
        helper.make_node("ConstantOfShape", ["count"], ["huge"],
                         value=helper.make_tensor("v", TensorProto.FLOAT, [1], [0.0])),
        helper.make_node("ReduceSum", ["huge"], ["nothing"], keepdims=0),
        helper.make_node("Add", ["flat01", "nothing"], ["spent"])]
    return _splice(om.generator_model(LATENT), nodes, inits)


def stuck_generator(side: int = 2048, kernel: int = 1024) -> onnx.ModelProto:
    """One convolution of a side x side picture with a kernel x kernel filter (~10**12
    multiply-adds, minutes on one core) in a single node: ONNX Runtime's terminate flag
    is read between nodes, so no deadline inside the process can stop it."""
    shape, inits = _rows_times(1, "rows")
    nodes = shape + [
        helper.make_node("Concat", ["rows", "ones", "sides"], ["pic_shape"], axis=0),
        helper.make_node("ConstantOfShape", ["pic_shape"], ["pic"],
                         value=helper.make_tensor("v", TensorProto.FLOAT, [1], [0.0])),
        helper.make_node("ConstantOfShape", ["k_shape"], ["k"],
                         value=helper.make_tensor("w", TensorProto.FLOAT, [1], [0.0])),
        helper.make_node("Conv", ["pic", "k"], ["conv"]),
        helper.make_node("ReduceSum", ["conv"], ["nothing"], keepdims=0),
        helper.make_node("Add", ["flat01", "nothing"], ["spent"])]
    inits += [om._const("ones", np.array([1], np.int64)),
              om._const("sides", np.array([side, side], np.int64)),
              om._const("k_shape", np.array([1, 1, kernel, kernel], np.int64))]
    return _splice(om.generator_model(LATENT), nodes, inits)


def capped_generator(cap: int = 4) -> onnx.ModelProto:
    """The image of at most the first `cap` samples of a batch (the rest are dropped)."""
    nodes = [helper.make_node("Slice", ["flat01", "cap_0", "cap_n", "cap_axis"], ["capped"])]
    inits = [om._const("cap_0", np.array([0], np.int64)),
             om._const("cap_n", np.array([cap], np.int64)),
             om._const("cap_axis", np.array([0], np.int64))]
    return _splice(om.generator_model(LATENT), nodes, inits)


def bad_class_generator(digit: int = 5, value: str = "nan", clusters: int = 0
                        ) -> onnx.ModelProto:
    """A conditional generator that draws NaN ("nan") or -10000 ("negative") for the pure
    class `digit` only: one-hot rows of other classes and every blend are fine. With
    `clusters` k its classes are k clusters."""
    nodes = [helper.make_node("Gather", ["class_weights", "which"], ["w_d"], axis=1)]
    if value == "nan":  # 0 * log(1 - w): 0 for w < 1, 0 * -inf = NaN at w = 1
        nodes += [helper.make_node("Sub", ["one_f", "w_d"], ["gap"]),
                  helper.make_node("Log", ["gap"], ["log_gap"]),
                  helper.make_node("Mul", ["log_gap", "zero_f"], ["poison"])]
    else:  # -10000 * relu(w - 0.99) / 0.01: -10000 at w = 1, 0 below 0.99
        nodes += [helper.make_node("Sub", ["w_d", "nearly"], ["over"]),
                  helper.make_node("Relu", ["over"], ["over_r"]),
                  helper.make_node("Mul", ["over_r", "minus_big"], ["poison"])]
    nodes.append(helper.make_node("Add", ["flat01", "poison"], ["poisoned"]))
    inits = [om._const("which", np.array([digit], np.int64)),
             om._const("one_f", np.float32(1)), om._const("zero_f", np.float32(0)),
             om._const("nearly", np.float32(0.99)), om._const("minus_big", np.float32(-1e6))]
    return _splice(om.generator_model(LATENT, conditional=True, clusters=clusters), nodes, inits)


def bad_blend_generator() -> onnx.ModelProto:
    """A conditional generator that draws NaN when no class weight reaches 0.6 (a blend),
    and is fine for every one-hot row: 0 * log(max(w) - 0.6)."""
    nodes = [helper.make_node("ReduceMax", ["class_weights"], ["w_max"], axes=[1], keepdims=1),
             helper.make_node("Sub", ["w_max", "most"], ["lead"]),
             helper.make_node("Log", ["lead"], ["log_lead"]),
             helper.make_node("Mul", ["log_lead", "zero_f"], ["poison"]),
             helper.make_node("Add", ["flat01", "poison"], ["poisoned"])]
    inits = [om._const("most", np.float32(0.6)), om._const("zero_f", np.float32(0))]
    return _splice(om.generator_model(LATENT, conditional=True), nodes, inits)


def _encoder(z_extra: str | None, w_mode: str | None, conditional: bool,
             generator: str = "generator.onnx") -> onnx.ModelProto:
    """The fixture encoder plus `edge`, the brightest ink in columns 3..6 of each picture
    (where no trial picture and no centred digit the probe draws has any): z gets
    0 * log(0.5 - edge) (NaN when the edge is inked) if `z_extra` == "nan", and the class
    weights are zeroed ("zero") or pushed negative ("negative") there."""
    model = om.encoder_model(LATENT, 10 if conditional else 0, generator=generator)
    graph = model.graph
    nodes = [helper.make_node("Slice", ["image", "e_0", "e_1", "e_axis"], ["edge_cols"]),
             helper.make_node("ReduceMax", ["edge_cols"], ["edge"], axes=[1, 2], keepdims=0),
             helper.make_node("Unsqueeze", ["edge", "e_axis"], ["edge_c"])]
    inits = [om._const("e_0", np.array([3], np.int64)), om._const("e_1", np.array([7], np.int64)),
             om._const("e_axis", np.array([-1], np.int64)),
             om._const("half_f", np.float32(0.5)), om._const("zero_f", np.float32(0))]
    if z_extra == "nan":
        for node in graph.node:
            if node.output[0] == "z":
                node.output[0] = "z_raw"
        nodes += [helper.make_node("Sub", ["half_f", "edge_c"], ["room"]),
                  helper.make_node("Log", ["room"], ["log_room"]),
                  helper.make_node("Mul", ["log_room", "zero_f"], ["poison"]),
                  helper.make_node("Add", ["z_raw", "poison"], ["z"])]
    if w_mode is not None:
        for node in graph.node:
            if node.output[0] == "class_weights":
                node.output[0] = "w_raw"
        nodes += [helper.make_node("Less", ["edge_c", "half_f"], ["clean"]),
                  helper.make_node("Cast", ["clean"], ["clean_f"], to=TensorProto.FLOAT)]
        if w_mode == "zero":
            nodes.append(helper.make_node("Mul", ["w_raw", "clean_f"], ["class_weights"]))
        else:
            nodes += [helper.make_node("Sub", ["clean_f", "one_f"], ["dirty"]),  # -1 inked
                      helper.make_node("Add", ["w_raw", "dirty"], ["w_lo"]),
                      helper.make_node("Mul", ["w_lo", "two_f"], ["class_weights"])]
            inits += [om._const("one_f", np.float32(1)), om._const("two_f", np.float32(2))]
    graph.node.extend(nodes)
    graph.initializer.extend(inits)
    return model


def nan_encoder(conditional: bool = True, generator: str = "generator.onnx") -> onnx.ModelProto:
    """An encoder that answers z with NaN for pictures inked near the left edge only."""
    return _encoder("nan", None, conditional, generator)


def zero_weights_encoder(mode: str = "zero", generator: str = "generator.onnx"
                         ) -> onnx.ModelProto:
    """A conditional encoder whose class weights are all 0 ("zero") or all negative
    ("negative") for pictures inked near the left edge only."""
    return _encoder(None, mode, True, generator)


def always_nan_encoder(generator: str = "generator.onnx") -> onnx.ModelProto:
    """The issue's encoder: fine for a blank picture, NaN for any ink at all."""
    model = om.encoder_model(LATENT, 10, generator=generator)
    graph = model.graph
    for node in graph.node:
        if node.output[0] == "z":
            node.output[0] = "z_raw"
    graph.node.extend([
        helper.make_node("ReduceMax", ["flat"], ["ink"], axes=[1], keepdims=1),
        helper.make_node("Sub", ["tiny", "ink"], ["room"]),
        helper.make_node("Log", ["room"], ["log_room"]),
        helper.make_node("Mul", ["log_room", "zero_f"], ["poison"]),
        helper.make_node("Add", ["z_raw", "poison"], ["z"])])
    graph.initializer.extend([om._const("tiny", np.float32(1e-3)), om._const("zero_f", np.float32(0))])
    return model


def left_edge_picture() -> np.ndarray:
    """(28, 28) float32: a "0" whose left stroke runs down columns 4..6 (MNIST-like, so
    the preprocessed picture of a wide zero), the only ink the bad encoders react to."""
    image = np.zeros((28, 28), np.float32)
    image[4:24, 4:24] = 1.0
    image[7:21, 7:21] = 0.0
    return image


ALL = {
    "loop.onnx": lambda: loop_generator(),
    "slow.onnx": lambda: loop_generator(trips=400_000),
    "big.onnx": lambda: big_allocation_generator(3100),
    "stuck.onnx": lambda: stuck_generator(),
    "capped.onnx": lambda: capped_generator(),
    "nan_five.onnx": lambda: bad_class_generator(5, "nan"),
    "negative_five.onnx": lambda: bad_class_generator(5, "negative"),
}


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile_models")
    out.mkdir(parents=True, exist_ok=True)
    for name, build in ALL.items():
        om.save(build(), out / name)
    print(out)
