"""Loading models: contract-conforming files render, anything else is refused with one
clear sentence that names the file (docs/model-contract.md)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from onnx import TensorProto, helper

from desktop_app.core.models import contract
from desktop_app.core.models.classifier import Classifier
from desktop_app.core.models.contract import ContractError
from desktop_app.core.models.generator import Generator
from desktop_app.core.models.session import choose_providers
from desktop_app.core.explore.weights import one_hot

from . import onnx_models as om
from .hypothesis_settings import quick

# Hypothesis examples cannot use the function-scoped tmp_path: one scratch folder for
# them all, removed when the test run ends.
_SCRATCH = tempfile.TemporaryDirectory(prefix="ds-bad-")


@pytest.fixture(scope="module", autouse=True)
def _remove_scratch():
    yield
    _SCRATCH.cleanup()

GOOD = om.generator_model(8).SerializeToString()


def _write(data: bytes, name: str = "model.onnx") -> Path:
    folder = Path(_SCRATCH.name)
    path = folder / name
    path.write_bytes(data)
    return path


def _refused(path: Path, kind: str = "generator") -> str:
    loader = Generator if kind == "generator" else Classifier
    with pytest.raises(ContractError) as info:
        loader.from_path(path)
    message = str(info.value)
    assert path.name in message, message
    assert message.endswith("."), message
    return message


def test_fixture_generator_renders_digits_in_range(model_dir):
    gen = Generator.from_path(model_dir / "generator.onnx")
    images = gen.generate(np.random.default_rng(0).standard_normal((5, 8)))
    assert images.shape == (5, 28, 28) and images.dtype == np.float32
    assert -1e-6 <= images.min() and images.max() <= 1.0 + 1e-6  # float rounding of tanh
    assert not np.allclose(images[0], images[1])  # different latents, different digits


@pytest.mark.parametrize("name, n", [("generator.onnx", 64), ("conditional.onnx", 17)])
def test_a_big_batch_split_across_threads_equals_one_sample_at_a_time(model_dir, name, n):
    gen = Generator.from_path(model_dir / name)
    z = np.random.default_rng(1).standard_normal((n, gen.latent_dim))
    weights = np.eye(10, dtype=np.float32)[np.arange(n) % 10] if gen.conditional else None
    together = gen.generate(z, weights)
    one_by_one = [gen.generate(z[i], None if weights is None else weights[i])[0]
                  for i in range(n)]
    np.testing.assert_allclose(together, np.stack(one_by_one), atol=1e-6)


def test_one_hot_weights_for_k_are_classified_as_k(model_dir):
    gen = Generator.from_path(model_dir / "conditional.onnx")
    clf = Classifier.from_path(model_dir / "classifier.onnx")
    z = np.random.default_rng(3).standard_normal((10, 8))
    probs = clf.probs(gen.generate(z, np.eye(10, dtype=np.float32)))
    assert list(probs.argmax(axis=1)) == list(range(10))
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_generator_checks_its_inputs(model_dir):
    gen = Generator.from_path(model_dir / "conditional.onnx")
    with pytest.raises(ValueError, match="class_weights"):
        gen.generate(np.zeros(8))
    with pytest.raises(ValueError, match=r"shape \(n, 10\)"):
        gen.generate(np.zeros(8), np.ones(9) / 9)
    with pytest.raises(ValueError, match="non-negative"):
        gen.generate(np.zeros(8), 1.5 * one_hot(1, 10) - 0.5 * one_hot(2, 10))
    with pytest.raises(ValueError, match="sum to 1"):
        gen.generate(np.zeros(8), np.ones(10))
    with pytest.raises(ValueError, match="finite"):
        gen.generate(np.zeros(8), np.full(10, np.nan))
    with pytest.raises(ValueError, match="2 rows for 3"):
        gen.generate(np.zeros((3, 8)), np.eye(10)[:2])
    with pytest.raises(ValueError, match=r"\(n, 8\)"):
        gen.generate(np.zeros(7), one_hot(1, 10))
    with pytest.raises(ValueError, match="unconditional"):
        Generator.from_path(model_dir / "generator.onnx").generate(np.zeros(8), one_hot(1, 10))
    # Float rounding off the simplex is forgiven: the row is renormalised.
    nearly = one_hot(5, 10) * (1 + 1e-5)
    np.testing.assert_allclose(gen.generate(np.zeros(8), nearly),
                               gen.generate(np.zeros(8), one_hot(5, 10)), atol=1e-6)


def test_from_session_reads_metadata_from_the_graph(model_dir):
    import onnxruntime as ort

    session = ort.InferenceSession(str(model_dir / "generator16.onnx"))
    gen = Generator.from_session(session)
    assert gen.latent_dim == 16 and not gen.conditional
    assert gen.generate(np.zeros((2, 16))).shape == (2, 28, 28)


def test_providers_always_end_on_cpu():
    assert choose_providers([]) == ["CPUExecutionProvider"]
    assert choose_providers(["NoSuchProvider", "CPUExecutionProvider"]) == [
        "CPUExecutionProvider"]


def test_empty_file_is_refused():
    assert "empty" in _refused(_write(b""))


def test_text_file_is_refused():
    assert "not an ONNX" in _refused(_write(b"hello, I am not a model\n" * 10))


@quick(max_examples=60)
@given(st.binary(max_size=4096))
def test_random_bytes_are_refused_cleanly(data):
    _refused(_write(data))


@quick(max_examples=40)
@given(st.integers(min_value=0, max_value=len(GOOD) - 1))
def test_every_truncation_is_refused(cut):
    _refused(_write(GOOD[:cut]))


def _io_mutation(name: str) -> bytes:
    model = om.generator_model(8)
    graph = model.graph
    if name == "z renamed":
        graph.input[0].name = "latent"
        graph.node[0].input[0] = "latent"
    elif name == "z float64":
        graph.input[0].type.tensor_type.elem_type = TensorProto.DOUBLE
    elif name == "fixed batch":
        graph.input[0].type.tensor_type.shape.dim[0].dim_value = 4
    elif name == "image 14x56":
        # Reshape to the wrong image size (same pixel count), declared as such.
        shape = next(i for i in graph.initializer if i.name == "img_shape")
        shape.CopyFrom(om._const("img_shape", np.array([-1, 14, 56], np.int64)))
        graph.output[0].type.tensor_type.shape.dim[1].dim_value = 14
        graph.output[0].type.tensor_type.shape.dim[2].dim_value = 56
    elif name == "extra input":
        graph.input.append(helper.make_tensor_value_info("label", TensorProto.INT64, ["b"]))
    elif name == "pixels past 1":
        # (t + 1) · 1 instead of (t + 1) / 2: grey levels up to 2.
        half = next(i for i in graph.initializer if i.name == "half")
        half.CopyFrom(om._const("half", np.float32(1.0)))
    elif name == "output renamed":
        graph.output[0].name = "picture"
        graph.node[-1].output[0] = "picture"
    return model.SerializeToString()


META_BREAKS = [
    {"latent_dim": None}, {"kind": None}, {"config": None}, {"created": None},
    {"contract_version": "3"}, {"kind": "classifier"}, {"latent_dim": "-3"},
    {"latent_dim": "²"}, {"epochs": "١٠"}, {"num_classes": "１０"},
    {"latent_dim": "eight"}, {"latent_dim": "16"}, {"num_classes": "7"}, {"num_classes": "10"},
    {"config": "{not json"}, {"config": "[1, 2]"}, {"created": "yesterday"},
    {"epochs": "1e3"}, {"metrics": "NaN"}, {"architecture": " "},
]
IO_BREAKS = ["z renamed", "z float64", "fixed batch", "image 14x56", "extra input",
             "output renamed", "pixels past 1"]


@quick(max_examples=40)
@given(st.sampled_from(range(len(META_BREAKS) + len(IO_BREAKS))))
def test_valid_onnx_that_breaks_the_contract_is_refused(index):
    if index < len(META_BREAKS):
        data = om.generator_model(8, meta=META_BREAKS[index]).SerializeToString()
    else:
        data = _io_mutation(IO_BREAKS[index - len(META_BREAKS)])
    _refused(_write(data))


def test_missing_metadata_names_the_key():
    message = _refused(_write(om.generator_model(8, meta={"latent_dim": None}).SerializeToString()))
    assert "latent_dim" in message


def test_huge_latent_dim_is_refused_before_any_graph_is_built():
    # A cheap graph that really takes z[b, 5000]: ReduceMean over z, broadcast to 28×28.
    nodes = [helper.make_node("ReduceMean", ["z"], ["m"], keepdims=1),
             helper.make_node("Expand", ["m", "shape2"], ["flat"]),
             helper.make_node("Reshape", ["flat", "shape3"], ["image"])]
    inits = [om._const("shape2", np.array([1, 784], np.int64)),
             om._const("shape3", np.array([-1, 28, 28], np.int64))]
    model = om._model(nodes, [helper.make_tensor_value_info("z", TensorProto.FLOAT,
                                                             ["batch", 5000])],
                      [helper.make_tensor_value_info("image", TensorProto.FLOAT,
                                                     ["batch", 28, 28])],
                      inits, om.metadata("generator", 5000))
    message = _refused(_write(model.SerializeToString()))
    assert "latent_dim" in message and "4096" in message


def test_huge_metadata_is_refused():
    data = om.generator_model(8, meta={"notes": "x" * (1 << 20)}).SerializeToString()
    message = _refused(_write(data))
    assert "1 MiB" in message


def test_metadata_is_never_evaluated():
    # A config that would run code if anything eval'd or unpickled it loads as plain data.
    sneaky = '{"__reduce__": "os.system", "cmd": "__import__(\'os\').remove(\'x\')"}'
    model = om.generator_model(8, meta={"config": sneaky})
    gen = Generator.from_path(_write(model.SerializeToString()))
    assert gen.info.config["cmd"].startswith("__import__")


def test_classifier_contract_is_checked(model_dir):
    assert "this is a generator, not a classifier" in _refused(model_dir / "generator.onnx",
                                                               "classifier")
    nine = om.classifier_model()
    t = next(i for i in nine.graph.initializer if i.name == "t")
    t.CopyFrom(om._const("t", (om.segment_templates()[:9] - 0.5).T.copy()))
    nine.graph.output[0].type.tensor_type.shape.dim[1].dim_value = 9
    assert "probs" in _refused(_write(nine.SerializeToString(), "classifier.onnx"),
                               "classifier")


def test_a_folder_or_missing_file_is_refused(tmp_path):
    _refused(tmp_path / "missing.onnx")
    folder = tmp_path / "dir.onnx"
    folder.mkdir()
    _refused(folder)


def test_model_info_exposes_the_metadata(model_dir):
    info = Generator.from_path(model_dir / "conditional.onnx").info
    assert info.conditional and info.num_classes == 10 and info.latent_dim == 8
    assert info.config == {"fixture": True} and info.architecture == "fixture"
    assert contract.MAX_LATENT_DIM == 4096

