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

from desktop_app.core.contract import ContractError
from desktop_app.core.generator import Generator
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
        assert sorted(i[0] for i in inputs) == ["label", "z"]
        assert ("label", np.int64, ["batch"]) in inputs
    else:
        assert [i[0] for i in inputs] == ["z"]
    assert outputs == [("image", np.float32, ["batch", 28, 28])]
    meta = {p.key: p.value for p in model.metadata_props}
    assert REQUIRED <= set(meta)
    assert meta["contract_version"] == "1" and meta["kind"] == "generator"
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
        feeds["label"] = rng.integers(0, 10, 7).astype(np.int64)
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
    images = gen.generate(z, [1, 2, 3] if gen.conditional else None)
    assert images.shape == (3, 28, 28) and images.dtype == np.float32


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
    with pytest.raises(export.ExportError, match="cannot write"):
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

    monkeypatch.setattr("training.checkpoint.os.fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export.export_run(exported_tiny["unconditional_run"], target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generator.onnx"]  # no temp file left
    Generator.from_path(target)  # the app still loads the old model


def test_digit_from_latent_means_the_same_on_both_sides(exported_tiny, tmp_path):
    """The app's z0 → digit rule (labels its slider, drives its digit buttons) is the graph's."""
    from desktop_app.core.latent import DIGIT_CENTRES, digit_of_z0

    mixture = Generator.from_path(export.export_run(exported_tiny["conditional_run"], tmp_path / "mix.onnx",
                                                    digit_from_latent=True))
    conditional = Generator.from_path(exported_tiny["conditional"])
    assert not mixture.conditional and mixture.info.architecture == "cdcgan+digit-from-latent"
    z = np.random.default_rng(9).standard_normal((40, 12)).astype(np.float32)
    z[:10, 0] = DIGIT_CENTRES  # every digit at least once
    labels = [digit_of_z0(v) for v in z[:, 0]]
    assert labels[:10] == list(range(10))
    np.testing.assert_allclose(mixture.generate(z), conditional.generate(z, labels), atol=1e-5)
