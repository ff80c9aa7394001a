"""The evaluator's numbers mean what the README says they mean."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    from desktop_app.core.models.classifier import Classifier

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
         "--paths", "50", "--ppl-samples", "300",
         "--classifier", str(tiny_classifier), "--data", str(tiny_mnist), "--json", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "FID (classifier features)" in proc.stdout and "requested digit recognised" in proc.stdout
    assert "path smoothness across digits" in proc.stdout
    r = json.loads(out.read_text())
    assert r["n"] == 300 and r["fid"] >= 0 and 1.0 <= r["inception_score"] <= 10.0
    assert sum(r["class_shares"]) == pytest.approx(1.0, abs=1e-3) and 0 <= r["conditional_accuracy"] <= 1
    meta = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"]).get_modelmeta().custom_metadata_map
    embedded = json.loads(meta["metrics"])
    assert embedded["fid"] == r["fid"] and embedded["conditional_accuracy"] == r["conditional_accuracy"]
    assert embedded["smoothness"]["across_digits"]["paths"] == 50 and embedded["ppl"]["within_digit"] > 0
    assert meta["latent_dim"] == "12"  # the rest of the metadata survives the rewrite


def test_cli_evaluate_of_a_missing_model_exits_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "training", "evaluate", str(tmp_path / "nope.onnx")],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "no such model file" in proc.stderr and "Traceback" not in proc.stderr


class _FakeSession:
    """Stands in for an ONNX Runtime session: metadata plus a NumPy `image` function."""

    def __init__(self, draw, latent_dim=8, num_classes=0, kind="generator"):
        self.draw = draw
        # Every key the contract requires: evaluate reads metadata with the app's own parser.
        self.meta = {"kind": kind, "contract_version": "2", "latent_dim": str(latent_dim),
                     "num_classes": str(num_classes), "epochs": "1", "architecture": "fake",
                     "dataset": "mnist", "created": "2026-01-01T00:00:00+00:00", "config": "{}"}

    def get_modelmeta(self):
        return type("Meta", (), {"custom_metadata_map": self.meta})()

    def run(self, names, feeds, options=None):  # options: the deadline's RunOptions
        return [self.draw(feeds["z"].astype(np.float64), feeds.get("class_weights")).astype(np.float32)]


class _FeatureClassifier:
    """Features = the flattened image, so PPL is measured in pixel space."""

    def run(self, names, feeds):
        x = feeds["image"].reshape(len(feeds["image"]), -1)
        return [np.full((len(x), 10), 0.1, np.float32), x]


_W = np.random.default_rng(0).standard_normal((8, 28 * 28)) / 3
_TEMPLATES = np.random.default_rng(1).uniform(0, 1, (10, 28 * 28))


def _smooth(z, w=None):
    return (1 / (1 + np.exp(-z @ _W))).reshape(-1, 28, 28)


def _staircase(z, w=None):
    """The retired digit-from-z[0] model: z[0]'s decile picks a whole different picture."""
    from math import erf, sqrt

    digit = np.minimum((10 * (0.5 * (1 + np.vectorize(erf)(z[:, 0] / sqrt(2))))).astype(int), 9)
    return (0.9 * _TEMPLATES[digit] + 0.1 * _smooth(z).reshape(len(z), -1)).reshape(-1, 28, 28)


def _argmax_digit(z, w):
    """A 'conditional' model that snaps a blend to its strongest digit: a cut in every morph."""
    return (0.9 * _TEMPLATES[np.argmax(w, 1)] + 0.1 * _smooth(z).reshape(len(z), -1)).reshape(-1, 28, 28)


def _blended_digit(z, w):
    return (0.9 * (w @ _TEMPLATES) + 0.1 * _smooth(z).reshape(len(z), -1)).reshape(-1, 28, 28)


def test_path_smoothness_tells_a_smooth_latent_space_from_a_staircase():
    from training.evaluate import _Generator, path_smoothness

    smooth = path_smoothness(_Generator(_FakeSession(_smooth), "smooth.onnx"), 200, seed=0)
    stairs = path_smoothness(_Generator(_FakeSession(_staircase), "stairs.onnx"), 200, seed=0)
    assert smooth["p99"] < 3 and smooth["share_above_5"] == 0
    assert stairs["p50"] > 5 and stairs["share_above_5"] > 0.5
    assert smooth["p50"] <= smooth["p95"] <= smooth["p99"]


def test_conditional_smoothness_is_reported_within_and_across_digits():
    from training.evaluate import _Generator, smoothness_report

    snap = smoothness_report(_Generator(_FakeSession(_argmax_digit, num_classes=10), "snap.onnx"),
                             _FeatureClassifier(), paths=100, ppl_samples=200, seed=0)
    blend = smoothness_report(_Generator(_FakeSession(_blended_digit, num_classes=10), "blend.onnx"),
                              _FeatureClassifier(), paths=100, ppl_samples=200, seed=0)
    assert set(snap["smoothness"]) == set(snap["ppl"]) == {"within_digit", "across_digits"}
    # Within a digit both models are the same smooth function of z ...
    assert snap["smoothness"]["within_digit"]["p99"] < 3 and blend["smoothness"]["within_digit"]["p99"] < 3
    # ... across digits only the one that draws blends morphs without a cut.
    assert snap["smoothness"]["across_digits"]["share_above_5"] > 0.9
    assert blend["smoothness"]["across_digits"]["p99"] < 4


def test_perceptual_path_length_is_quadratic_in_the_metric_and_finite():
    from training.evaluate import _Generator, perceptual_path_length

    def double(z, w=None):
        return 2 * _smooth(z)

    one = perceptual_path_length(_Generator(_FakeSession(_smooth), "a.onnx"), _FeatureClassifier(), 2000, seed=0)
    two = perceptual_path_length(_Generator(_FakeSession(double), "b.onnx"), _FeatureClassifier(), 2000, seed=0)
    assert 0 < one < np.inf
    assert two == pytest.approx(4 * one, rel=0.02)  # a squared distance over epsilon squared


@pytest.mark.parametrize("meta, needle", [
    ({"latent_dim": "²"}, "'latent_dim' must be a whole number"),
    ({"latent_dim": str(10**9)}, "'latent_dim' is 1000000000, outside 1..4096"),
    ({"kind": "classifier"}, "this is a classifier, not a generator"),
    ({"contract_version": "1"}, "python -m training export"),
])
def test_evaluator_refuses_bad_metadata_in_one_sentence(meta, needle):
    from training.evaluate import EvaluationError, _Generator

    session = _FakeSession(_smooth)
    session.meta.update(meta)
    with pytest.raises(EvaluationError, match=needle):
        _Generator(session, "bad.onnx")


def test_evaluator_refuses_a_generator_that_draws_nan():
    from training.evaluate import EvaluationError, _Generator, generate

    gen = _Generator(_FakeSession(lambda z, w: np.full((len(z), 28, 28), np.nan)), "nan.onnx")
    with pytest.raises(EvaluationError, match="non-finite"):
        generate(gen, 200, seed=0)


@pytest.mark.parametrize("key, value, needle", [
    ("latent_dim", "２", "whole number"),         # a full-width digit
    ("num_classes", "7", "num_classes"),          # digits are 0 or 10
    ("classes", "letters", "classes"),
    ("created", "yesterday", "ISO 8601"),
    ("contract_version", "3", "contract_version"),
])
def test_evaluate_reads_metadata_by_the_apps_rules(key, value, needle):
    """One parser for both sides: what the app refuses, evaluate refuses, in the same words."""
    from desktop_app.core.models.contract import ContractError, parse_metadata
    from training.evaluate import EvaluationError, _Generator

    session = _FakeSession(_smooth)
    session.meta[key] = value
    with pytest.raises(ContractError) as app:
        parse_metadata(Path("m.onnx"), session.meta, "generator")
    with pytest.raises(EvaluationError, match=needle) as ours:
        _Generator(session, "m.onnx")
    assert app.value.rule in str(ours.value)
