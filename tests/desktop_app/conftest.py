"""Fixtures for the desktop app: tiny contract-conforming models and an isolated window.

The models are built once per session with `onnx.helper` (see onnx_models.py), so no test
needs trained weights or TensorFlow. Every test gets its own settings file and an empty
shipped-models folder, so nothing reads or writes a real user's settings or models.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from . import onnx_models as om


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """generator.onnx (8-d), generator_b.onnx (other weights), generator16.onnx (16-d),
    conditional.onnx, classifier.onnx, and with_metrics.onnx: a conditional generator whose
    metadata carries evaluation metrics (v2 keys included), like the shipped default."""
    folder = tmp_path_factory.mktemp("models")
    om.save(om.generator_model(8, seed=0), folder / "generator.onnx")
    om.save(om.generator_model(8, seed=1), folder / "generator_b.onnx")
    om.save(om.generator_model(16, seed=2), folder / "generator16.onnx")
    om.save(om.generator_model(8, conditional=True), folder / "conditional.onnx")
    om.save(om.classifier_model(), folder / "classifier.onnx")
    part = {"p50": 1.31, "p95": 2.2, "p99": 3.47, "share_above_5": 0.004}
    metrics = {"fid": 5.0258, "inception_score": 9.7151, "n": 10000,
               "class_shares": [0.1] * 10, "architecture": "fixture",
               "smoothness": {"within_digit": part, "across_digits": {**part, "p99": 3.9}},
               "ppl": {"within_digit": 12.5, "across_digits": 48.25}}
    om.save(om.generator_model(8, conditional=True, seed=3, meta={
        "architecture": "fixture-with-metrics", "metrics": json.dumps(metrics)}),
        folder / "with_metrics.onnx")
    return folder


@pytest.fixture
def lone_generator(model_dir, tmp_path) -> Path:
    """A copy of generator.onnx in a folder of its own (no classifier beside it)."""
    folder = tmp_path / "lone"
    folder.mkdir()
    return Path(shutil.copy(model_dir / "generator.onnx", folder / "generator.onnx"))


@pytest.fixture(autouse=True)
def isolated_app_env(tmp_path, monkeypatch):
    """Settings in a temporary INI file; an empty shipped-models folder."""
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    monkeypatch.setenv("DIGIT_STUDIO_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("DIGIT_STUDIO_MODELS", str(shipped))
    return shipped


@pytest.fixture
def window(qtbot):
    """A shown MainWindow without a model; quick debounce for the file watcher."""
    from desktop_app.views.main_window import MainWindow

    w = MainWindow(debounce_ms=60)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


@pytest.fixture
def loaded(window, qtbot, model_dir):
    """The window with the 8-d fixture generator (and classifier) loaded and drawn."""
    with qtbot.waitSignal(window.directionsReady, timeout=10_000):
        assert window.open_model(model_dir / "generator.onnx")
    qtbot.waitUntil(lambda: window.ui.digit_view.pixels() is not None, timeout=5000)
    return window


@pytest.fixture
def cond_window(window, qtbot, model_dir):
    """The window with the conditional fixture generator loaded, directions ready."""
    with qtbot.waitSignal(window.directionsReady, timeout=10_000):
        assert window.open_model(model_dir / "conditional.onnx")
    qtbot.waitUntil(lambda: window.ui.digit_view.pixels() is not None, timeout=5000)
    qtbot.waitUntil(lambda: window.ui.latent_sliders.complete, timeout=5000)
    return window
