"""The Find a digit tab: draw or drop a digit, see the GAN's version, and use its latent.

The models are the fixture generator (seven-segment digits), its matched-filter classifier
and a synthetic encoder built like test_find_latent.py's, all `onnx.helper` graphs.
Strokes are real mouse events (QTest) on the drawing pad.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest

from desktop_app.core.find.encoder import encoder_path_for
from desktop_app.core.pixels import to_uint8

from . import onnx_models as om
from .test_find_latent import encoder_model
from .test_one_truth import assert_controls_match

# A "0" as the fixture draws it: a tall rectangle (canvas pixels of the 280-px pad).
ZERO = [(90, 40), (190, 40), (190, 240), (90, 240), (90, 40)]
ONE = [(140, 40), (140, 240)]


@pytest.fixture
def pair_dir(model_dir, tmp_path) -> Path:
    """conditional.onnx with conditional.encoder.onnx and classifier.onnx beside it."""
    folder = tmp_path / "pair"
    folder.mkdir()
    shutil.copy(model_dir / "conditional.onnx", folder / "conditional.onnx")
    shutil.copy(model_dir / "classifier.onnx", folder / "classifier.onnx")
    om.save(encoder_model(8, conditional=True, generator="conditional.onnx"),
            folder / "conditional.encoder.onnx")
    return folder


@pytest.fixture
def finder(window, qtbot, pair_dir):
    """The window with the paired model loaded and the Find tab shown; short refinement."""
    with qtbot.waitSignal(window.directionsReady, timeout=10_000):
        assert window.open_model(pair_dir / "conditional.onnx")
    find = window.show_find()
    find.worker.refine_ms = 40.0  # the same search, a shorter budget: tests stay quick
    assert find.encoder is not None, find.panel.note.text()
    return find


def draw(pad, points, qtbot) -> None:
    """One stroke through `points` (canvas pixels), as a user's mouse drag."""
    QTest.mousePress(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     pad.to_widget(*points[0]))
    for x, y in points[1:]:
        QTest.mouseMove(pad, pad.to_widget(x, y))
    QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       pad.to_widget(*points[-1]))


def draw_and_find(find, points, qtbot):
    with qtbot.waitSignal(find.answerFound, timeout=10_000) as blocker:
        draw(find.panel.pad, points, qtbot)
    return blocker.args[0]


def _drop(widget, path: Path) -> bool:
    """Drag `path` onto `widget` and drop it; True if the drag was accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(QPoint(10, 10), *args)
    widget.dragEnterEvent(enter)
    if not enter.isAccepted():
        return False
    widget.dropEvent(QDropEvent(QPointF(10, 10), *args))
    return True


def test_drawing_a_digit_shows_its_input_and_the_gans_recognised_answer(finder, qtbot):
    panel = finder.panel
    assert panel.pad.is_blank() and panel.input_view.pixels() is None
    found = draw_and_find(finder, ZERO, qtbot)
    # Many move events, one stroke; what the encoder saw is the MNIST-like drawing.
    assert panel.pad.stroke_count == 1 and panel.pad.pixels().max() == 255
    assert finder.input.shape == (28, 28) and finder.input.max() > 0.9
    assert panel.input_view.pixels() is not None
    np.testing.assert_array_equal(panel.answer_view.pixels(),
                                  to_uint8(found.reconstruction[None])[0])
    assert found.error <= found.error_before
    # The classifier calls both the drawing and the GAN's answer a 0.
    assert panel.input_verdict.verdict.digit == 0
    assert panel.answer_verdict.verdict.digit == 0
    assert panel.keyframe_button.isEnabled() and panel.explore_button.isEnabled()


def test_undo_stroke_and_clear_edit_the_drawing_and_a_blank_pad_has_no_answer(finder, qtbot):
    panel = finder.panel
    draw_and_find(finder, ZERO, qtbot)
    with_zero = panel.pad.pixels()
    draw_and_find(finder, ONE, qtbot)
    assert panel.pad.stroke_count == 2 and not np.array_equal(panel.pad.pixels(), with_zero)
    panel.undo_button.click()
    np.testing.assert_array_equal(panel.pad.pixels(), with_zero)
    panel.clear_button.click()
    assert panel.pad.is_blank() and panel.pad.pixels().max() == 0
    assert panel.input_view.pixels() is None and panel.answer_view.pixels() is None
    assert not panel.keyframe_button.isEnabled()
    panel.undo_button.click()  # right after Clear: the drawing comes back
    np.testing.assert_array_equal(panel.pad.pixels(), with_zero)


def test_brush_size_sets_the_width_of_the_next_stroke(finder, qtbot):
    panel = finder.panel
    panel.brush.setValue(6)
    draw(panel.pad, ONE, qtbot)
    thin = int((panel.pad.pixels()[140] > 128).sum())
    panel.clear_button.click()
    panel.brush.setValue(30)
    draw(panel.pad, ONE, qtbot)
    thick = int((panel.pad.pixels()[140] > 128).sum())
    assert 4 <= thin <= 8 and 28 <= thick <= 32


def test_use_as_keyframe_adds_the_found_latent_as_one_undoable_keyframe(finder, window, qtbot):
    found = draw_and_find(finder, ZERO, qtbot)
    assert window.studio.keyframes == ()
    finder.panel.keyframe_button.click()
    keys = window.studio.keyframes
    assert len(keys) == 1 and keys[0].name == "A"
    np.testing.assert_allclose(keys[0].z, found.z, atol=1e-6)
    np.testing.assert_allclose(keys[0].class_weights, found.class_weights, atol=1e-6)
    assert window.ui.interpolation.keyframe_list.count() == 1
    window.history.stack.undo()
    assert window.studio.keyframes == ()
    window.history.stack.redo()
    assert len(window.studio.keyframes) == 1


def test_explore_from_here_makes_the_found_latent_current_and_shows_it(finder, window, qtbot):
    studio = window.studio
    before = studio.state.z.copy()
    found = draw_and_find(finder, ZERO, qtbot)
    finder.panel.explore_button.click()
    assert window.ui.tabs.currentWidget() is window.ui.explore
    np.testing.assert_allclose(studio.state.z, found.z, atol=1e-6)
    np.testing.assert_allclose(studio.class_weights, found.class_weights, atol=1e-6)
    assert_controls_match(window)
    # The big view draws exactly the GAN's answer shown in the panel.
    np.testing.assert_array_equal(window.ui.digit_view.pixels(), finder.panel.answer_view.pixels())
    window.history.stack.undo()
    np.testing.assert_allclose(studio.state.z, before, atol=1e-6)
    assert_controls_match(window)


def test_a_dropped_picture_is_found_like_a_drawing(finder, qtbot, tmp_path):
    from PIL import Image

    paper = np.full((300, 200), 250, np.uint8)  # dark ink on white paper, a 0
    paper[40:260, 40:160] = 20
    paper[60:240, 60:140] = 250
    Image.fromarray(paper).save(tmp_path / "zero.png")
    with qtbot.waitSignal(finder.answerFound, timeout=10_000):
        assert _drop(finder.panel, tmp_path / "zero.png")
    assert finder.input.max() > 0.9 and finder.input[0, 0] == 0.0  # polarity turned to MNIST's
    assert finder.panel.input_verdict.verdict.digit == 0


def test_a_bad_dropped_file_is_one_message_and_nothing_breaks(finder, window, qtbot, tmp_path):
    bad = tmp_path / "holiday <b>photo<i>.png"  # markup in a name is shown literally
    bad.write_text("not a picture at all")
    assert _drop(finder.panel, bad)
    qtbot.waitUntil(lambda: window.ui.message_bar.text() != "", timeout=10_000)
    text = window.ui.message_bar.text()
    assert text == f"Cannot use {bad.name}: it is not a PNG, JPEG, BMP or WebP image."
    assert window.ui.message_bar.label.textFormat() == Qt.TextFormat.PlainText
    # A model file dropped on the panel is left to the main window.
    assert not _drop(finder.panel, tmp_path / "model.onnx")
    draw_and_find(finder, ZERO, qtbot)  # and the panel still works


def test_a_newer_search_cancels_the_older_one(finder, window, qtbot):
    gen, enc = window.studio.generator, finder.encoder
    first, second = np.zeros((28, 28), np.float32), np.zeros((28, 28), np.float32)
    first[4:24, 12:16], second[4:24, 8:20] = 1.0, 1.0
    answers, inputs = [], []
    finder.worker.found.connect(answers.append)
    finder.worker.prepared.connect(inputs.append)
    finder.worker.refine_ms = 2000.0  # long enough that only a cancel ends the first early
    finder.worker.start(gen, enc, lambda: first)
    finder.worker.refine_ms = 20.0
    with qtbot.waitSignal(finder.worker.found, timeout=10_000):
        finder.worker.start(gen, enc, lambda: second)
    assert len(answers) == 1 and all(image is second for image in inputs)


def test_without_an_encoder_the_panel_says_how_to_train_one(window, qtbot, model_dir):
    with qtbot.waitSignal(window.directionsReady, timeout=10_000):
        assert window.open_model(model_dir / "conditional.onnx")
    find = window.show_find()
    model = model_dir / "conditional.onnx"
    assert find.encoder is None
    text = find.panel.note.text()
    assert text == (f"conditional.onnx has no encoder beside it, so digits cannot be found; "
                    f"train one with `python -m training encoder RUN_DIR --out "
                    f"{encoder_path_for(model)}`.")
    # Drawing still shows the preprocessed input; the rest of the app keeps working.
    with qtbot.waitSignal(find.inputShown, timeout=10_000):
        draw(find.panel.pad, ZERO, qtbot)
    assert find.panel.answer_view.pixels() is None and not find.panel.keyframe_button.isEnabled()
    window.ui.controls.seed_box.setValue(5)
    assert_controls_match(window)


def test_the_panel_follows_the_model_to_one_with_an_encoder(window, qtbot, model_dir, pair_dir):
    with qtbot.waitSignal(window.directionsReady, timeout=10_000):
        assert window.open_model(model_dir / "conditional.onnx")
    find = window.show_find()
    find.worker.refine_ms = 40.0
    with qtbot.waitSignal(find.inputShown, timeout=10_000):
        draw(find.panel.pad, ZERO, qtbot)
    # Loading the model with an encoder searches the drawing already on the pad.
    with qtbot.waitSignal(find.answerFound, timeout=10_000):
        assert window.open_model(pair_dir / "conditional.onnx")
    assert find.encoder is not None and find.panel.keyframe_button.isEnabled()


def test_the_find_panel_is_not_imported_at_startup(tmp_path):
    script = textwrap.dedent("""
        import json, sys
        from desktop_app.views.app import application
        from desktop_app.views.main_window import MainWindow
        app = application()
        window = MainWindow()
        window.show()
        app.processEvents()
        names = ("desktop_app.views.find.panel", "desktop_app.views.find.controller",
                 "desktop_app.core.find.inversion", "PIL")
        before = [n for n in names if n in sys.modules]
        window.show_find()
        app.processEvents()
        print(json.dumps([before, window.ui.tabs.currentWidget() is window.ui.find_tab]))
        window.close()
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    before, shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert before == [] and shown is True


def test_clear_and_a_new_picture_never_leave_an_old_answer_on_show(finder, qtbot, tmp_path):
    """After Clear, no verdict of the wiped drawing stays; opening a picture clears the pad,
    and until the picture's answer arrives nothing of the drawing's answer is shown."""
    from PIL import Image

    panel = finder.panel
    draw_and_find(finder, ZERO, qtbot)
    assert panel.answer_verdict.verdict is not None
    panel.clear_button.click()
    assert panel.input_verdict.verdict is None and panel.answer_verdict.verdict is None
    assert panel.answer_view.pixels() is None and not panel.keyframe_button.isEnabled()

    draw_and_find(finder, ZERO, qtbot)
    paper = np.full((300, 200), 250, np.uint8)  # a 1 on white paper
    paper[40:260, 90:110] = 20
    Image.fromarray(paper).save(tmp_path / "one.png")
    shown = []
    finder.inputShown.connect(lambda: shown.append((panel.answer_view.pixels(), panel.answer_verdict.verdict,
                                                    panel.pad.is_blank())))
    with qtbot.waitSignal(finder.answerFound, timeout=10_000):
        finder.open_image(tmp_path / "one.png")
    answer_then, verdict_then, pad_blank_then = shown[0]
    assert answer_then is None and verdict_then is None and pad_blank_then  # the 0's answer was gone
    assert finder.input.shape == (28, 28) and panel.answer_view.pixels() is not None


def test_the_search_in_the_window_is_judged_by_the_models_classifier(finder, window, qtbot, monkeypatch):
    """The refinement the Find tab runs gets the classifier loaded beside the model, as the
    held-out figures in docs/results.md were measured."""
    from desktop_app.views.find import worker

    seen = []

    def spy(*args, **kwargs):
        seen.append(kwargs.get("classifier"))
        return real(*args, **kwargs)

    real = worker.find_latent
    monkeypatch.setattr(worker, "find_latent", spy)
    draw_and_find(finder, ZERO, qtbot)
    assert window.studio.classifier is not None
    assert window.studio.classifier in seen  # the refinement's call (the encoder-only guess needs none)
