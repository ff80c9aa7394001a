"""The Find tab reads the input with the studio's reader (reader.onnx beside the model,
else the shipped one) and judges the redrawn digits with the model's classifier; a reader
that will not load is said when the model opens, and the classifier reads instead; one
exported later is picked up without a restart.

The models are the fixture generator, its matched-filter classifier (which also serves as
a reader: it has the classifier's contract) and a synthetic encoder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from . import onnx_models as om
from .test_find_panel import ZERO, draw_and_find, pair_dir  # noqa: F401 - pair_dir: a fixture

@pytest.fixture
def reader_dir(pair_dir) -> Path:
    """The Find tab's model folder (conditional.onnx, its encoder, classifier.onnx) with a
    reader.onnx beside them."""
    om.save(om.classifier_model(), pair_dir / "reader.onnx")
    return pair_dir


def _search_once(window, qtbot, model: Path, monkeypatch):
    """Open `model`, draw a 0 on the Find tab; the keyword arguments the refinement got."""
    from desktop_app.views.find import worker

    seen = []
    real = worker.find_latent

    def spy(*args, **kwargs):
        if args[3] > 0:  # the refinement, not the encoder's guess
            seen.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(worker, "find_latent", spy)
    with qtbot.waitSignal(window.directionsReady, timeout=10_000):
        assert window.open_model(model)
    find = window.show_find()
    find.worker.refine_ms = 40.0
    draw_and_find(find, ZERO, qtbot)
    return find, seen


def test_the_reader_beside_the_model_reads_and_the_classifier_judges(window, qtbot, reader_dir, monkeypatch):
    find, seen = _search_once(window, qtbot, reader_dir / "conditional.onnx", monkeypatch)
    reader = window.studio.reader
    assert reader is not None and reader.path == reader_dir / "reader.onnx"
    assert seen and seen[-1]["reader"] is reader
    assert seen[-1]["classifier"] is window.studio.classifier
    assert window.ui.message_bar.text() == ""


def test_the_shipped_reader_serves_a_model_without_one(window, qtbot, reader_dir, isolated_app_env, monkeypatch):
    (reader_dir / "reader.onnx").rename(isolated_app_env / "reader.onnx")
    shutil.copy(reader_dir / "conditional.onnx", isolated_app_env / "generator.onnx")
    find, seen = _search_once(window, qtbot, reader_dir / "conditional.onnx", monkeypatch)
    assert window.studio.reader.path == isolated_app_env / "reader.onnx"
    assert seen[-1]["reader"] is window.studio.reader


def test_a_broken_reader_is_said_and_the_classifier_reads(window, qtbot, reader_dir, monkeypatch):
    window.show_find()  # the Find tab already open when the model comes
    (reader_dir / "reader.onnx").write_bytes(b"not an onnx file")
    find, seen = _search_once(window, qtbot, reader_dir / "conditional.onnx", monkeypatch)
    assert window.studio.reader is None and seen[-1]["reader"] is None
    assert seen[-1]["classifier"] is window.studio.classifier
    assert find.answer is not None  # the search still ran
    bar = window.ui.message_bar
    assert not bar.isHidden()
    assert "reader.onnx" in bar.text() and "reads the input with the classifier instead" in bar.text()


def test_a_reader_exported_later_is_picked_up_without_a_restart(window, qtbot, reader_dir, monkeypatch):
    (reader_dir / "reader.onnx").unlink()
    with qtbot.waitSignal(window.directionsReady, timeout=10_000):
        assert window.open_model(reader_dir / "conditional.onnx")
    assert window.studio.reader is None
    om.save(om.classifier_model(), reader_dir / "reader.onnx")
    qtbot.waitUntil(lambda: window.studio.reader is not None, timeout=10_000)
    assert window.studio.reader.path == reader_dir / "reader.onnx"


def test_your_digits_verdict_is_the_readers(window, qtbot, reader_dir, monkeypatch):
    """The verdict under the input is what the search takes it for: the reader's, named."""
    find, _ = _search_once(window, qtbot, reader_dir / "conditional.onnx", monkeypatch)
    said = []
    real = window.studio.reader.verdict
    monkeypatch.setattr(window.studio.reader, "verdict", lambda image: said.append(image) or real(image))
    find._show_verdicts()
    assert len(said) == 1 and np.array_equal(said[0], find.input)
    assert find.panel.input_verdict.verdict == real(find.input)
    assert "reader.onnx" in find.panel.input_verdict.toolTip()
    assert "classifier.onnx" in find.panel.answer_verdict.toolTip()
