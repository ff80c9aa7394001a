"""The evaluator's numbers mean what the README says they mean."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import onnxruntime as ort
import pytest

from tests.conftest import REPO_ROOT
from training.evaluate import class_balance, frechet_distance, inception_score


def test_fid_is_zero_for_the_same_set_and_grows_with_a_mean_shift():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4000, 8))
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-6)
    # Same covariance, mean moved by 1 in each of 8 dims: FID = |shift|^2 = 8.
    assert frechet_distance(a, rng.standard_normal((4000, 8)) + 1.0) == pytest.approx(8.0, rel=0.05)
    # Same mean, variance 4 instead of 1: per dim 1 + 4 - 2*2 = 1, so FID = 8.
    assert frechet_distance(a, 2 * rng.standard_normal((4000, 8))) == pytest.approx(8.0, rel=0.1)


def test_inception_score_spans_one_to_ten():
    confident_balanced = np.eye(10)[np.arange(1000) % 10]
    assert inception_score(confident_balanced) == pytest.approx(10.0, rel=1e-6)
    assert inception_score(np.full((1000, 10), 0.1)) == pytest.approx(1.0)
    assert inception_score(np.eye(10)[np.zeros(1000, int)]) == pytest.approx(1.0)  # one mode only


def test_class_balance_reports_shares_and_kl_to_uniform():
    shares, kl = class_balance(np.eye(10)[np.arange(1000) % 10])
    assert shares == [0.1] * 10 and kl == pytest.approx(0.0)
    shares, kl = class_balance(np.eye(10)[np.full(50, 3)])
    assert shares[3] == 1.0 and kl == pytest.approx(np.log(10))


@pytest.fixture(scope="module")
def tiny_classifier(tmp_path_factory):
    from training.classifier import build_classifier, export_classifier

    model = build_classifier()
    return export_classifier(model, tmp_path_factory.mktemp("clf") / "classifier.onnx", 0,
                             {"arch": "cnn"}, {"test_accuracy": 0.1})


@pytest.mark.slow
def test_exported_classifier_follows_the_contract(tiny_classifier):
    from desktop_app.core.classifier import Classifier

    sess = ort.InferenceSession(str(tiny_classifier), providers=["CPUExecutionProvider"])
    probs, feats = sess.run(["probs", "features"], {"image": np.random.rand(5, 28, 28).astype(np.float32)})
    assert probs.shape == (5, 10) and feats.shape == (5, 128)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    meta = sess.get_modelmeta().custom_metadata_map
    assert meta["kind"] == "classifier" and json.loads(meta["metrics"]) == {"test_accuracy": 0.1}
    Classifier.from_path(tiny_classifier)  # the app accepts it


@pytest.mark.slow
def test_cli_evaluate_prints_table_writes_json_and_embeds_it(exported_tiny, tiny_classifier, tiny_mnist, tmp_path):
    out = tmp_path / "eval.json"
    model = tmp_path / "model.onnx"
    model.write_bytes(exported_tiny["conditional"].read_bytes())
    proc = subprocess.run(
        [sys.executable, "-m", "training", "evaluate", str(model), "--n", "300", "--embed",
         "--classifier", str(tiny_classifier), "--data", str(tiny_mnist), "--json", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "FID (classifier features)" in proc.stdout and "requested digit recognised" in proc.stdout
    r = json.loads(out.read_text())
    assert r["n"] == 300 and r["fid"] >= 0 and 1.0 <= r["inception_score"] <= 10.0
    assert sum(r["class_shares"]) == pytest.approx(1.0, abs=1e-3) and 0 <= r["conditional_accuracy"] <= 1
    meta = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"]).get_modelmeta().custom_metadata_map
    embedded = json.loads(meta["metrics"])
    assert embedded["fid"] == r["fid"] and embedded["conditional_accuracy"] == r["conditional_accuracy"]
    assert meta["latent_dim"] == "12"  # the rest of the metadata survives the rewrite


def test_cli_evaluate_of_a_missing_model_exits_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "training", "evaluate", str(tmp_path / "nope.onnx")],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "no such model file" in proc.stderr and "Traceback" not in proc.stderr
