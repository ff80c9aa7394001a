"""Without Qt: what the About box is built from, and the classifier's verdict."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from desktop_app.core.models.classifier import Classifier
from desktop_app.core.models.contract import ModelInfo
from desktop_app.core.models.generator import Generator
from desktop_app.core.models.model_card import model_rows
from desktop_app.core.explore.weights import one_hot


def _info(**changes) -> ModelInfo:
    base = ModelInfo(path=Path("generator.onnx"), kind="generator", num_classes=0,
                     architecture="cdcgan", epochs=20, dataset="mnist",
                     created="2026-11-25T22:04:46+00:00", latent_dim=100)
    return dataclasses.replace(base, **changes)


def test_a_timestamp_past_the_calendar_in_utc_is_shown_as_written():
    """The contract accepts any ISO 8601 time; converting one at the calendar's edge to
    UTC overflows, and the About box then raised instead of opening."""
    for created in ("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+12:00"):
        assert dict(model_rows(_info(created=created)))["Created"] == created


def test_rows_name_the_model_and_format_its_metrics():
    rows = dict(model_rows(_info(
        metrics={"fid": 5.0258, "inception_score": 9.7151, "n": 10000, "epochs": 20,
                 "class_shares": [0.0999, 0.1001] + [0.1] * 8, "test_accuracy": 0.9908,
                 "new_metric": {"nested": [1, 2]}, "train_seconds": 375.1})))
    assert rows["Architecture"] == "cdcgan" and rows["Epochs"] == "20"
    assert rows["Created"] == "2026-11-25 22:04 UTC"
    assert rows["Latent"] == "100 dimensions"
    assert rows["Kind"] == "unconditional generator"
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


def test_smoothness_and_ppl_rows_for_flat_and_per_digit_metrics():
    flat = dict(model_rows(_info(metrics={
        "smoothness": {"p50": 1.2, "p95": 1.9, "p99": 2.61, "share_above_5": 0.0},
        "ppl": 31.4})))
    assert flat["Path smoothness p99 (largest/median step)"] == (
        "2.61× (p50 1.2×, p95 1.9×, 0.0% of paths above 5×)")
    assert flat["Perceptual path length"] == "31.4"
    split = dict(model_rows(_info(num_classes=10, metrics={
        "smoothness": {"within_digit": {"p99": 3.47}, "across_digits": {"p99": 3.9}},
        "ppl": {"within_digit": 12.5, "across_digits": 48.25}})))
    assert split["Path smoothness p99 (largest/median step), within a digit"] == "3.47×"
    assert split["Path smoothness p99 (largest/median step), across digits"] == "3.9×"
    assert split["Perceptual path length, within a digit"] == "12.5"
    assert split["Perceptual path length, across digits"] == "48.25"
    assert "blend" in split["Kind"]
    # Nothing is required: a part alone, or a block without p99, still makes a row.
    odd = dict(model_rows(_info(metrics={"smoothness": {"across_digits": {"p50": 1}},
                                         "ppl": "n/a"})))
    assert odd["Path smoothness p99 (largest/median step), across digits"] == "{'p50': 1}"
    assert odd["Perceptual path length"] == "n/a"
    assert not any("smoothness" in name.lower() for name, _ in model_rows(_info()))


def test_shipped_style_metadata_is_read_from_the_file(model_dir):
    info = Generator.from_path(model_dir / "with_metrics.onnx").info
    assert info.conditional and info.metrics["fid"] == 5.0258
    rows = dict(model_rows(info))
    assert rows["Path smoothness p99 (largest/median step), across digits"].startswith("3.9×")


def test_a_verdict_carries_all_ten_probabilities(model_dir):
    clf = Classifier.from_path(model_dir / "classifier.onnx")
    gen = Generator.from_path(model_dir / "conditional.onnx")
    verdict = clf.verdict(gen.generate(np.zeros(8), one_hot(4, 10))[0])
    assert len(verdict.probs) == 10 and abs(sum(verdict.probs) - 1) < 1e-4
    assert verdict.digit == 4 == int(np.argmax(verdict.probs))
    assert verdict.confidence == verdict.probs[4]
