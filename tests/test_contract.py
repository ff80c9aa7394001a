"""Both sides of docs/model-contract.md: what training exports is what the app accepts."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx.reference import ReferenceEvaluator

from desktop_app.core.models.contract import ContractError
from desktop_app.core.models.generator import Generator
from tests.conftest import REPO_ROOT
from training import export

pytestmark = pytest.mark.slow

REQUIRED = {"contract_version", "kind", "latent_dim", "num_classes", "architecture",
            "epochs", "dataset", "created", "config"}


def _io(model):
    def describe(vi):
        t = vi.type.tensor_type
        dims = [d.dim_param or d.dim_value for d in t.shape.dim]
        return vi.name, onnx.helper.tensor_dtype_to_np_dtype(t.elem_type), dims
    return [describe(v) for v in model.graph.input], [describe(v) for v in model.graph.output]


@pytest.mark.parametrize("key", ["unconditional", "conditional"])
def test_exported_generator_follows_the_written_contract(exported_tiny, key):
    model = onnx.load(exported_tiny[key])
    inputs, outputs = _io(model)
    assert ("z", np.float32, ["batch", 12]) in inputs
    if key == "conditional":
        assert sorted(i[0] for i in inputs) == ["class_weights", "z"]
        assert ("class_weights", np.float32, ["batch", 10]) in inputs
    else:
        assert [i[0] for i in inputs] == ["z"]
    assert outputs == [("image", np.float32, ["batch", 28, 28])]
    meta = {p.key: p.value for p in model.metadata_props}
    assert REQUIRED <= set(meta)
    assert meta["contract_version"] == "2" and meta["kind"] == "generator"
    assert meta["latent_dim"] == "12" and meta["num_classes"] == ("10" if key == "conditional" else "0")
    assert json.loads(meta["config"])["latent_dim"] == 12
    assert datetime.fromisoformat(meta["created"]).tzinfo is not None
    onnx.checker.check_model(model, full_check=True)


@pytest.mark.parametrize("key", ["unconditional", "conditional"])
def test_reference_evaluator_and_onnx_runtime_agree(exported_tiny, key):
    path = exported_tiny[key]
    rng = np.random.default_rng(5)
    feeds = {"z": rng.standard_normal((7, 12)).astype(np.float32)}
    if key == "conditional":
        feeds["class_weights"] = export.random_class_weights(rng, 7)
    fast = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(["image"], feeds)[0]
    slow = ReferenceEvaluator(str(path)).run(["image"], feeds)[0]
    assert fast.shape == (7, 28, 28)
    assert 0.0 <= fast.min() and fast.max() <= 1.0
    np.testing.assert_allclose(fast, slow, atol=1e-4)


@pytest.mark.parametrize("key", ["unconditional", "conditional"])
def test_the_app_loads_what_training_exports(exported_tiny, key):
    gen = Generator.from_path(exported_tiny[key])
    assert gen.latent_dim == 12 and gen.conditional == (key == "conditional")
    z = np.random.default_rng(0).standard_normal((3, 12)).astype(np.float32)
    weights = np.eye(10, dtype=np.float32)[[1, 2, 3]] if gen.conditional else None
    images = gen.generate(z, weights)
    assert images.shape == (3, 28, 28) and images.dtype == np.float32


def test_class_embedding_is_class_weights_times_e_in_the_graph(exported_tiny):
    """A blend is the generator's own: G(z, w) computed with embedding w @ E, not a mix of images."""
    from training.export import load_run
    from training.models import CLASS_EMBEDDING

    model = onnx.load(exported_tiny["conditional"])
    matmuls = [n for n in model.graph.node if n.op_type in ("MatMul", "Gemm") and "class_weights" in n.input]
    assert len(matmuls) == 1  # the weights enter the graph through one matrix product
    _, gan, _ = load_run(exported_tiny["conditional_run"])
    e = gan.export_generator().get_layer(CLASS_EMBEDDING).kernel.numpy()  # (10, d)
    init = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    np.testing.assert_allclose(init[matmuls[0].input[1]], e, atol=1e-6)

    sess = ort.InferenceSession(str(exported_tiny["conditional"]), providers=["CPUExecutionProvider"])
    z = np.random.default_rng(3).standard_normal((1, 12)).astype(np.float32)
    eye = np.eye(10, dtype=np.float32)
    half = (0.5 * eye[3] + 0.5 * eye[8])[None]
    mid, a, b = (sess.run(["image"], {"z": z, "class_weights": w})[0] for w in (half, eye[3:4], eye[8:9]))
    assert np.isfinite(mid).all() and 0.0 <= mid.min() and mid.max() <= 1.0
    assert not np.allclose(mid, (a + b) / 2, atol=1e-3)  # drawn, not cross-faded


def test_the_app_refuses_a_version_1_file_with_the_re_export_command(exported_tiny, tmp_path):
    model = onnx.load(exported_tiny["unconditional"])
    for p in model.metadata_props:
        if p.key == "contract_version":
            p.value = "1"
    old = tmp_path / "old.onnx"
    old.write_bytes(model.SerializeToString())
    with pytest.raises(ContractError, match="python -m training export"):
        Generator.from_path(old)


def test_failed_parity_check_writes_nothing_and_keeps_the_old_model(exported_tiny, tmp_path, monkeypatch):
    target = tmp_path / "generator.onnx"
    target.write_bytes(exported_tiny["unconditional"].read_bytes())
    before = target.read_bytes()
    monkeypatch.setattr(export, "PARITY_TOLERANCE", -1.0)  # no export can pass this
    with pytest.raises(export.ExportError, match="differs from Keras"):
        export.export_run(exported_tiny["unconditional_run"], target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generator.onnx"]


def test_export_into_unwritable_folder_is_a_clear_error(exported_tiny, tmp_path):
    # A path through a regular file cannot be written even by root (tests run as root in CI).
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    with pytest.raises(export.ExportError, match="is not a folder; nothing was written"):
        export.export_run(exported_tiny["unconditional_run"], blocker / "g.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder"]


def test_the_app_rejects_a_generator_without_contract_metadata(exported_tiny, tmp_path):
    model = onnx.load(exported_tiny["unconditional"])
    del model.metadata_props[:]
    bad = tmp_path / "bare.onnx"
    bad.write_bytes(model.SerializeToString())
    with pytest.raises(ContractError, match="bare.onnx"):
        Generator.from_path(bad)


def test_cli_export_of_a_non_run_folder_exits_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "training", "export", str(tmp_path), "--out", str(tmp_path / "x.onnx")],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "not a run folder" in proc.stderr and "Traceback" not in proc.stderr


def test_export_interrupted_while_writing_leaves_the_previous_model_intact(exported_tiny, tmp_path, monkeypatch):
    target = tmp_path / "generator.onnx"
    target.write_bytes(exported_tiny["conditional"].read_bytes())
    before = target.read_bytes()

    def interrupted(fd):
        raise KeyboardInterrupt  # Ctrl-C after the new bytes are written, before the rename

    monkeypatch.setattr("digit_contract.atomic.os.fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export.export_run(exported_tiny["unconditional_run"], target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generator.onnx"]  # no temp file left
    Generator.from_path(target)  # the app still loads the old model
