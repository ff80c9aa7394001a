"""The export's graph rewrite: ConvTranspose pairs become phase Convs, and nothing changes
but the speed. Every case compares ONNX Runtime before and after on random inputs."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from training.fast_graph import rewrite

CIN, MID, OUT, SIDE = 6, 5, 2, 7


def _graph(first: dict, second: dict, between: list[tuple], rng, outputs_between=False):
    """x (n, CIN, SIDE, SIDE) → ConvTranspose(first) → `between` ops → ConvTranspose(second)
    → Tanh. `between`: ("Mul"|"Add", constant) or ("Relu"|"LeakyRelu",)."""
    inits = [numpy_helper.from_array(rng.standard_normal((CIN, MID, *first["kernel_shape"]))
                                     .astype(np.float32), "w1"),
             numpy_helper.from_array(rng.standard_normal(MID).astype(np.float32), "b1"),
             numpy_helper.from_array(rng.standard_normal((MID, OUT, *second["kernel_shape"]))
                                     .astype(np.float32) * 0.3, "w2"),
             numpy_helper.from_array(rng.standard_normal(OUT).astype(np.float32), "b2")]
    nodes = [helper.make_node("ConvTranspose", ["x", "w1", "b1"], ["t0"], name="up1", **first)]
    for i, (op, *const) in enumerate(between):
        ins = [f"t{i}"]
        if const:
            inits.append(numpy_helper.from_array(np.asarray(const[0], np.float32), f"c{i}"))
            ins.append(f"c{i}")
        nodes.append(helper.make_node(op, ins, [f"t{i + 1}"], name=f"op{i}"))
    last = f"t{len(between)}"
    nodes += [helper.make_node("ConvTranspose", [last, "w2", "b2"], ["u"], name="up2", **second),
              helper.make_node("Tanh", ["u"], ["image"], name="tanh")]
    shape = ["n", "c", "h", "w"]
    outs = [helper.make_tensor_value_info("image", TensorProto.FLOAT, shape)]
    if outputs_between:
        outs.append(helper.make_tensor_value_info(last, TensorProto.FLOAT, shape))
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", CIN, SIDE, SIDE])],
        outs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _run(model, x):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})


def _rewritten(model):
    before = onnx.ModelProto()
    before.CopyFrom(model)
    count = rewrite(model)
    onnx.checker.check_model(model, full_check=True)
    return before, count


def _conv_transposes(model) -> int:
    return sum(n.op_type == "ConvTranspose" for n in model.graph.node)


def _per_channel(rng, shape=(1, MID, 1, 1)):
    return rng.uniform(0.5, 1.5, shape).astype(np.float32)


BN_RELU = "bn_relu"

# (first ConvTranspose, second ConvTranspose): every way the export's DCGANs, or a user's
# variant of them, can reach the rewrite.
CASES = {
    "the shipped trunk: k4 s2 pad 1, twice": (
        dict(kernel_shape=[4, 4], strides=[2, 2], pads=[1, 1, 1, 1]),
        dict(kernel_shape=[4, 4], strides=[2, 2], pads=[1, 1, 1, 1])),
    "odd kernel, more padding at the start": (
        dict(kernel_shape=[5, 5], strides=[2, 2], pads=[2, 2, 1, 1]),
        dict(kernel_shape=[5, 5], strides=[2, 2], pads=[1, 1, 2, 2])),
    "odd kernel, more padding at the end": (
        dict(kernel_shape=[5, 5], strides=[2, 2], pads=[1, 1, 2, 2]),
        dict(kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])),
    "output padding": (
        dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]),
        dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])),
    "stride 3": (
        dict(kernel_shape=[6, 6], strides=[3, 3], pads=[1, 1, 2, 2]),
        dict(kernel_shape=[4, 4], strides=[2, 2], pads=[1, 1, 1, 1])),
    "stride 2 along one axis only": (
        dict(kernel_shape=[4, 3], strides=[2, 1], pads=[1, 1, 1, 1]),
        dict(kernel_shape=[4, 4], strides=[2, 2], pads=[0, 1, 2, 1])),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("between", [BN_RELU, "leaky", "nothing"])
def test_a_conv_transpose_pair_becomes_phase_convs_with_equal_outputs(case, between):
    rng = np.random.default_rng(0)
    ops = {BN_RELU: [("Mul", _per_channel(rng)), ("Add", _per_channel(rng, (MID, 1, 1))),
                     ("Relu",)],
           "leaky": [("Add", np.float32(0.1)), ("LeakyRelu",)], "nothing": []}[between]
    model = _graph(*CASES[case], ops, rng)
    before, count = _rewritten(model)
    assert count == 1
    assert _conv_transposes(model) == 1  # the second one, reading the phases
    assert not {"Mul", "Add", "DepthToSpace"} & {n.op_type for n in model.graph.node}
    x = rng.standard_normal((3, CIN, SIDE, SIDE)).astype(np.float32)
    (old,), (new,) = _run(before, x), _run(model, x)
    assert old.shape == new.shape
    np.testing.assert_allclose(new, old, atol=2e-5)


@pytest.mark.parametrize("why", [
    "a constant that broadcasts along the width, not per channel",
    "a scale after the activation",
    "the tensor between them is also a graph output",
    "grouped",
    "output padding that would need a negative pad",
])
def test_what_it_cannot_prove_equal_is_left_alone(why):
    rng = np.random.default_rng(1)
    first = dict(kernel_shape=[4, 4], strides=[2, 2], pads=[1, 1, 1, 1])
    second = dict(first)
    between = [("Relu",)]
    if why.startswith("a constant"):
        between = [("Add", rng.standard_normal(2 * SIDE).astype(np.float32)), ("Relu",)]
    elif why.startswith("a scale"):
        between = [("Relu",), ("Mul", _per_channel(rng))]
    elif why.startswith("output padding"):
        first = dict(kernel_shape=[3, 3], strides=[2, 2], pads=[2, 2, 0, 0], output_padding=[1, 1])
    model = _graph(first, second, between, rng, outputs_between=why.startswith("the tensor"))
    if why.startswith("output padding"):  # a valid graph, as the export could meet it
        x = rng.standard_normal((2, CIN, SIDE, SIDE)).astype(np.float32)
        assert _run(model, x)[0].shape[-1] == 4 * SIDE
    if why == "grouped":  # never run: only the attributes are read
        model.graph.node[0].attribute.append(helper.make_attribute("group", 2))
    before = model.SerializeToString()
    assert rewrite(model) == 0
    assert model.SerializeToString() == before


@pytest.mark.slow  # exported_tiny trains and exports two runs (~10 s); test_contract.py shares it
def test_every_exported_dcgan_is_rewritten_and_matches_keras(exported_tiny):
    """`export.finish` compares with Keras after the rewrite, so the file that exists
    passed; here: the rewrite did happen (a slow graph would pass that check too)."""
    model = onnx.load(str(exported_tiny["conditional"]))
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("ConvTranspose") == 1 and ops.count("Conv") == 4
    assert not any(n.op_type == "ConvTranspose" for n in onnx.load(
        str(exported_tiny["unconditional"])).graph.node)  # the MLP has none to rewrite
