"""Model contract version 2 as a user meets it: blends drawn by the generator, and the
files this version refuses (version 1, odd digits in metadata, external data, a classifier
picked as a generator, a generator that only renders at z = 0), each with one sentence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper

from desktop_app.core.models.contract import ContractError
from desktop_app.core.models.generator import Generator
from desktop_app.core.explore.weights import mix, one_hot

from . import onnx_models as om


def _write(folder: Path, data: bytes, name: str = "model.onnx") -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _refused(path: Path) -> str:
    with pytest.raises(ContractError) as info:
        Generator.from_path(path)
    message = str(info.value)
    assert path.name in message and message.endswith("."), message
    return message


def test_a_half_and_half_blend_is_a_finite_image_in_range(model_dir):
    gen = Generator.from_path(model_dir / "conditional.onnx")
    z = np.random.default_rng(4).standard_normal((6, 8))
    half = mix(3, 8, 0.5, 10)
    assert half[3] == half[8] == 0.5
    images = gen.generate(z, half)  # one row of weights, broadcast to every latent
    assert images.shape == (6, 28, 28) and np.isfinite(images).all()
    assert images.min() >= 0.0 and images.max() <= 1.0
    for digit in (3, 8):  # a blend is neither digit
        assert np.abs(images - gen.generate(z, one_hot(digit, 10))).max() > 0.2


def test_a_version_1_file_is_refused_with_the_re_export_command(tmp_path):
    old = om.generator_model(8, meta={"contract_version": "1"})
    message = _refused(_write(tmp_path, old.SerializeToString(), "old.onnx"))
    assert "version-1" in message
    assert "python -m training export RUN_DIR --out FILE.onnx" in message
    assert message.count(". ") == 0  # one sentence


@pytest.mark.parametrize("key, text", [("latent_dim", "²"), ("epochs", "١٠"),
                                       ("num_classes", "１０")])
def test_non_ascii_digits_in_integer_metadata_are_refused_cleanly(tmp_path, key, text):
    model = om.generator_model(8, meta={key: text})
    message = _refused(_write(tmp_path, model.SerializeToString()))
    assert key in message and "whole number" in message


def test_a_classifier_opened_as_a_generator_says_so(model_dir):
    message = _refused(model_dir / "classifier.onnx")
    assert "this is a classifier, not a generator" in message
    assert "lacks" not in message


def test_a_model_with_external_data_is_refused(tmp_path):
    import onnx

    path = tmp_path / "split.onnx"
    onnx.save_model(om.generator_model(8, conditional=True), str(path),
                    save_as_external_data=True, all_tensors_to_one_file=True,
                    location="split.weights", size_threshold=0)
    assert (tmp_path / "split.weights").exists()
    message = _refused(path)
    assert "external data" in message and "self-contained" in message


def test_class_weights_of_the_wrong_type_or_width_are_refused(tmp_path):
    # Valid graphs, so it is the contract check that speaks, not ONNX Runtime.
    model = om.generator_model(8, conditional=True)
    weights = next(i for i in model.graph.input if i.name == "class_weights")
    weights.type.tensor_type.elem_type = TensorProto.INT64  # version 1's integer label type
    matmul = next(n for n in model.graph.node if "class_weights" in n.input)
    matmul.input[0] = "w_float"
    model.graph.node.insert(0, helper.make_node("Cast", ["class_weights"], ["w_float"],
                                                to=TensorProto.FLOAT))
    message = _refused(_write(tmp_path, model.SerializeToString()))
    assert "class_weights" in message and "tensor(float)" in message
    model = om.generator_model(8, conditional=True)
    weights = next(i for i in model.graph.input if i.name == "class_weights")
    weights.type.tensor_type.shape.dim[1].dim_value = 9
    emb = next(i for i in model.graph.initializer if i.name == "emb")
    emb.CopyFrom(om._const("emb", np.zeros((9, 784), np.float32)))
    message = _refused(_write(tmp_path, model.SerializeToString()))
    assert "class_weights" in message and "10" in message


def test_a_generator_finite_only_at_z_zero_is_refused(tmp_path):
    # image · exp(1000 · |z|²): exactly the fixture at z = 0, infinite anywhere else.
    model = om.generator_model(8)
    graph = model.graph
    reshape = graph.node[-1]
    reshape.input[0] = "scaled"
    graph.node.insert(len(graph.node) - 1, helper.make_node(
        "ReduceSumSquare", ["z"], ["r2"], axes=[1], keepdims=1))
    graph.node.insert(len(graph.node) - 1, helper.make_node("Mul", ["r2", "big"], ["r2k"]))
    graph.node.insert(len(graph.node) - 1, helper.make_node("Exp", ["r2k"], ["blow"]))
    graph.node.insert(len(graph.node) - 1, helper.make_node("Mul", ["flat01", "blow"],
                                                            ["scaled"]))
    graph.initializer.append(om._const("big", np.float32(1000.0)))
    message = _refused(_write(tmp_path, model.SerializeToString()))
    assert "probe" in message
