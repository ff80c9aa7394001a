"""The benchmark runs the real window and reports every number the performance targets name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KEYS = {"cold_start_s", "slider_latency_ms_p50", "slider_latency_ms_p99", "grid_latency_ms_p99",
        "grid_latency_ms_p99_busy", "slider_latency_ms_p99_busy",
        "drag_fps", "infer_batch1_us", "infer_batch64_us", "peak_rss_mb"}


def test_bench_prints_all_numbers_as_the_last_json_line(model_dir):
    result = subprocess.run(
        [sys.executable, "-m", "desktop_app.bench", str(model_dir / "generator.onnx"),
         "--quick"], cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    numbers = json.loads(result.stdout.strip().splitlines()[-1])
    assert KEYS <= numbers.keys()
    assert all(numbers[k] > 0 for k in KEYS)
    # Loose sanity bounds (the targets themselves are checked by people, on an idle machine).
    assert numbers["cold_start_s"] < 10 and numbers["slider_latency_ms_p50"] < 100
    assert numbers["drag_fps"] > 10 and numbers["peak_rss_mb"] < 1000


def test_bench_without_a_model_says_so():
    result = subprocess.run([sys.executable, "-m", "desktop_app.bench"], cwd=REPO,
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 2
    assert "no model" in json.loads(result.stdout.strip().splitlines()[-1])["error"]


def test_bench_measures_find_a_digit_on_real_digits_when_an_encoder_ships(mnist_dir):
    """The shipped generator has an encoder beside it: the three Find-a-digit keys appear."""
    from desktop_app.bench_find import find_latent_numbers
    from desktop_app.core.classifier import Classifier
    from desktop_app.core.generator import Generator
    from exported_models import CLASSIFIER, DEFAULT_GENERATOR

    gen = Generator.from_path(DEFAULT_GENERATOR)
    numbers = find_latent_numbers(gen, Classifier.from_path(CLASSIFIER), DEFAULT_GENERATOR, 5)
    assert numbers["find_latent_digits"] == 5
    assert 0 < numbers["find_latent_encoder_ms_p50"] < numbers["find_latent_refined_ms_p50"]
    assert numbers["find_latent_digit_agreement"] >= 0.8  # 5 real test digits, redrawn


def test_bench_says_why_find_a_digit_is_skipped_without_an_encoder(model_dir):
    from desktop_app.bench_find import find_latent_numbers
    from desktop_app.core.generator import Generator

    path = model_dir / "generator.onnx"
    numbers = find_latent_numbers(Generator.from_path(path), None, path, 5)
    assert numbers == {"find_latent_skipped": "no encoder beside the model (generator.encoder.onnx)"}
