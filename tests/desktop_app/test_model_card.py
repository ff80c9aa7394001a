"""Without Qt: what the About box and the z0 digit row are built from."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from desktop_app.core.classifier import Classifier
from desktop_app.core.contract import ModelInfo
from desktop_app.core.generator import Generator
from desktop_app.core.latent import DIGIT_CENTRES, DIGIT_EDGES, LatentState, digit_of_z0
from desktop_app.core.model_card import model_rows
from desktop_app.core.studio import Studio


def _info(**changes) -> ModelInfo:
    base = ModelInfo(path=Path("generator.onnx"), kind="generator", num_classes=0,
                     architecture="cdcgan", epochs=20, dataset="mnist",
                     created="2026-11-25T22:04:46+00:00", latent_dim=100)
    return dataclasses.replace(base, **changes)


def test_rows_name_the_model_and_format_its_metrics():
    rows = dict(model_rows(_info(
        digit_from_latent="digit = floor(10 * Phi(z[0]))",
        metrics={"fid": 5.0258, "inception_score": 9.7151, "n": 10000, "epochs": 20,
                 "class_shares": [0.0999, 0.1001] + [0.1] * 8, "test_accuracy": 0.9908,
                 "new_metric": {"nested": [1, 2]}, "train_seconds": 375.1})))
    assert rows["Architecture"] == "cdcgan" and rows["Epochs"] == "20"
    assert rows["Created"] == "2026-11-25 22:04 UTC"
    assert rows["Latent"] == "100 dimensions"
    assert "z0 picks the digit" in rows["Kind"]
    assert rows["Digit from latent"] == "digit = floor(10 * Phi(z[0]))"
    assert rows["FID (lower is better)"] == "5.026"
    assert rows["Inception-score analogue (max 10)"] == "9.715"
    assert rows["Samples evaluated"] == "10,000"
    assert rows["Class shares, digits 0-9"].startswith("10.0% · 10.0% · 10.0%")
    assert rows["Test accuracy"] == "99.08%" and rows["Training time"] == "6.3 min"
    assert rows["new metric"] == "{'nested': [1, 2]}"  # unknown keys still shown
    names = [name for name, _ in model_rows(_info(metrics={"epochs": 20}))]
    assert names.count("Epochs") == 1  # the metrics' copy of the epochs is not repeated


def test_odd_metadata_values_stay_short_plain_text():
    rows = dict(model_rows(_info(architecture="x" * 5000, created="not a date",
                                 metrics={"fid": "n/a", "class_shares": [1, "two"]})))
    assert len(rows["Architecture"]) <= 160 and rows["Architecture"].endswith("…")
    assert rows["FID (lower is better)"] == "n/a"
    assert rows["Class shares, digits 0-9"] == "[1, 'two']"
    assert rows["Created"] == "not a date"


def test_shipped_style_metadata_is_read_from_the_file(model_dir):
    info = Generator.from_path(model_dir / "digit_z0.onnx").info
    assert info.digit_from_z0 and info.metrics["fid"] == 5.0258
    assert not Generator.from_path(model_dir / "generator.onnx").info.digit_from_z0
    assert not Generator.from_path(model_dir / "conditional.onnx").info.digit_from_z0


def test_z0_digit_bins_are_the_deciles_of_the_normal():
    phi = [0.5 * (1 + math.erf(e / math.sqrt(2))) for e in DIGIT_EDGES]
    assert np.allclose(phi, np.arange(1, 10) / 10, atol=1e-12)
    assert [digit_of_z0(c) for c in DIGIT_CENTRES] == list(range(10))
    assert digit_of_z0(-100.0) == 0 and digit_of_z0(100.0) == 9
    assert digit_of_z0(DIGIT_EDGES[4] + 1e-9) == 5 and digit_of_z0(DIGIT_EDGES[4] - 1e-9) == 4


def test_raw_for_accounts_for_truncation_and_directions():
    state = LatentState(4, seed=3)
    state.set_directions(np.eye(4, dtype=np.float32)[:2] * 0.5)
    state.set_truncation(0.5)
    state.set_coeff(0, 2.0)
    raw = state.raw_for(0, 0.7)
    state.set_raw(0, raw)
    assert abs(state.z[0] - 0.7) < 1e-6
    state.set_truncation(0.0)
    assert state.raw_for(0, 0.7) is None


def test_studio_chooses_a_digit_through_z0_only_for_such_models(model_dir):
    studio = Studio()
    studio.set_generator(Generator.from_path(model_dir / "digit_z0.onnx"))
    for digit in (0, 6, 9):
        assert studio.choose_digit_by_z0(digit)
        assert studio.z0_digit()[0] == digit
    studio.set_generator(Generator.from_path(model_dir / "generator16.onnx"))
    assert not studio.choose_digit_by_z0(3)


def test_a_verdict_carries_all_ten_probabilities(model_dir):
    clf = Classifier.from_path(model_dir / "classifier.onnx")
    gen = Generator.from_path(model_dir / "conditional.onnx")
    verdict = clf.verdict(gen.generate(np.zeros(8), [4])[0])
    assert len(verdict.probs) == 10 and abs(sum(verdict.probs) - 1) < 1e-4
    assert verdict.digit == 4 == int(np.argmax(verdict.probs))
    assert verdict.confidence == verdict.probs[4]
