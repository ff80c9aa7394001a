"""The window's panels as a user sees them: busy indicator, verdict chart, keyframe
thumbnails, About box, and the empty state."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from desktop_app.views.frame_scheduler import STATS_INTERVAL_MS


def _frame(window, qtbot, action) -> None:
    with qtbot.waitSignal(window.frameRendered, timeout=5000):
        action()


def _menu_action(window, text: str):
    for menu_action in window.menuBar().actions():
        for action in menu_action.menu().actions():
            if action.text().replace("&", "") == text:
                return action
    raise AssertionError(f"no menu item {text!r}")


def test_the_busy_bar_shows_only_while_directions_are_computed(window, qtbot, model_dir):
    assert not window.ui.busy.isVisible()
    with qtbot.waitSignal(window.directionsReady, timeout=10_000):
        window.open_model(model_dir / "generator.onnx")
        assert window.ui.busy.isVisible()
        assert "principal directions" in window.ui.busy.label.text()
    assert not window.ui.busy.isVisible()


def test_failed_directions_hide_the_busy_bar_and_say_why(window, qtbot, model_dir,
                                                          monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("out of cheese")

    monkeypatch.setattr("desktop_app.views.explore.directions_worker.compute_directions", broken)
    with qtbot.waitSignal(window.directions_controller.worker.failed, timeout=10_000):
        window.open_model(model_dir / "generator.onnx")
    assert not window.ui.busy.isVisible()
    assert "out of cheese" in window.ui.direction_sliders.status.text()


def test_the_verdict_chart_tallest_bar_is_the_predicted_digit(window, qtbot, model_dir):
    window.open_model(model_dir / "conditional.onnx")
    verdict = window.ui.verdict
    for digit in (7, 3):
        _frame(window, qtbot, lambda d=digit: window.ui.digit_chooser.group.button(d).click())
        window.flush_verdict()
        heights = [r.height() for r in verdict.bar_rects()]
        assert int(np.argmax(heights)) == digit == verdict.verdict.digit
        assert heights[digit] > 0.9 * verdict._chart().height()  # ~100 % confident
        assert sum(verdict.verdict.probs) == pytest.approx(1.0, abs=1e-4)
        # On screen: the predicted bar is in the highlight colour, the others are not.
        image = verdict.grab().toImage()
        highlight = verdict.palette().highlight().color().rgb()
        tall = verdict.bar_rects()[digit].center().toPoint()
        assert image.pixelColor(tall).rgb() == highlight
        other = verdict.bar_rects()[(digit + 1) % 10].bottomLeft().toPoint()
        assert image.pixelColor(other.x() + 1, other.y() - 1).rgb() != highlight
        assert verdict.text().startswith(f"Classifier says {digit} ·")


def test_the_verdict_panel_hides_without_a_model_and_explains_a_missing_classifier(
        window, lone_generator):
    assert not window.ui.verdict.isVisible()
    window.open_model(lone_generator)
    assert window.ui.verdict.isVisible()
    assert "verdicts are off" in window.ui.verdict.text()


def test_keyframes_show_as_thumbnails_and_the_panel_is_filled(loaded, qtbot):
    _frame(loaded, qtbot, lambda: loaded.ui.controls.seed_box.setValue(11))
    loaded.path.add_keyframe()
    _frame(loaded, qtbot, lambda: loaded.ui.controls.seed_box.setValue(22))
    loaded.path.add_keyframe()
    panel = loaded.ui.interpolation
    loaded.ui.tabs.setCurrentWidget(panel)
    images = loaded.studio.keyframe_images()
    for i in range(2):
        thumb = panel.keyframe_list.item(i).icon().pixmap(84, 84).toImage()
        assert thumb.width() == 84  # 3× the digit, pixel for pixel
        assert thumb.pixelColor(3 * 14 + 1, 3 * 14 + 1).red() == images[i][14, 14]
    assert not np.array_equal(images[0], images[1])
    # Exports sit at the bottom of the tab; the list and the strip take the height.
    bottom = panel.animation_button.mapTo(panel, panel.animation_button.rect().bottomLeft()).y()
    assert bottom > panel.height() - 12
    assert panel.keyframe_list.height() > 150 and panel.strip.height() > 80
    # Enter on a thumbnail makes that keyframe the digit on screen again.
    panel.keyframe_list.setCurrentRow(0)
    _frame(loaded, qtbot, lambda: qtbot.keyClick(panel.keyframe_list, Qt.Key.Key_Return))
    assert np.array_equal(loaded.studio.state.z, loaded.studio.keyframes[0].z)
    # The playhead follows t over the strip: at 0.5 it is over the middle in-between.
    loaded.path.set_t(0.5)
    rect = panel.strip.target_rect()
    assert abs(panel.strip.playhead_x() - rect.center().x()) <= 2


def test_title_and_about_box_name_the_model_and_its_metrics(window, qtbot, model_dir):
    assert window.windowTitle() == "Digit Studio"
    window.open_model(model_dir / "with_metrics.onnx")
    assert window.windowTitle() == "Digit Studio — with_metrics.onnx"
    _menu_action(window, "About Digit Studio").trigger()
    box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    text = box.text()
    for expected in ("fixture-with-metrics", "FID", "5.026", "Inception-score",
                     "Class shares", "10.0%", "Path smoothness p99", "within a digit",
                     "across digits", "3.9×", "Perceptual path length", "48.25", "Epochs",
                     "2025-01-01 00:00 UTC", "Classifier", "classifier.onnx"):
        assert expected in text, expected
    box.close()


def test_unconditional_models_have_no_digit_controls(loaded, qtbot):
    qtbot.waitUntil(lambda: loaded.ui.latent_sliders.complete)
    assert loaded.ui.latent_sliders.rows[0].name.text() == "z0"
    assert not loaded.ui.digit_group.isVisible()
    loaded.latent.choose_digit(3)  # the 0-9 keys do nothing here
    assert loaded.studio.state.class_weights is None
    assert loaded.ui.model_label.text().count("unconditional") == 1


def test_the_frame_rate_is_shown_only_while_frames_flow(loaded, qtbot):
    scheduler, label = loaded.scheduler, loaded.ui.stats_label
    slider = loaded.ui.direction_sliders.rows[0].slider
    for value in range(0, 600, 60):  # frames flowing: one per event-loop turn
        with qtbot.waitSignal(loaded.frameRendered, timeout=5000):
            slider.setValue(value)
    qtbot.waitUntil(lambda: " fps" in label.text(), timeout=5000)
    # Then nothing is drawn: the scheduler itself reports idle once and stops waking up.
    qtbot.waitUntil(lambda: scheduler.fps() == 0, timeout=5000)
    qtbot.wait(2 * STATS_INTERVAL_MS)  # the one report of the idle second
    with qtbot.assertNotEmitted(scheduler.statsChanged, wait=3 * STATS_INTERVAL_MS):
        pass
    assert label.text() == f"frame {scheduler.last_frame_ms:.2f} ms"


def test_the_empty_window_offers_nothing_that_needs_a_model(window):
    assert not window.ui.grid_box.isEnabled()
    assert not window.ui.verdict.isVisible() and not window.ui.busy.isVisible()
    assert window.ui.latent_sliders.status.isVisible()
    assert window.statusBar().currentMessage() == ""


def test_the_about_box_shows_metadata_as_text_never_as_markup(model_dir):
    import dataclasses

    from desktop_app.core.models.generator import Generator
    from desktop_app.views.about import about_html

    info = Generator.from_path(model_dir / "generator.onnx").info
    html = about_html(dataclasses.replace(info, architecture="<img src=x>"), None)
    assert "&lt;img src=x&gt;" in html and "<img" not in html
    assert "<b>Classifier:</b> none loaded" in html
