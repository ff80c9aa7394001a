"""The main window, driven like a user would (offscreen): what they see must change."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QFileDialog

from desktop_app.views.morph.animation_dialog import AnimationDialog
from desktop_app.views.main_window import MainWindow


def _frame(window, qtbot, action) -> np.ndarray:
    """Do `action`, wait for the frame it causes, return the pixels on screen."""
    with qtbot.waitSignal(window.frameRendered, timeout=5000):
        action()
    return window.ui.digit_view.pixels()


def test_without_a_model_the_window_explains_what_to_do(window):
    assert window.ui.digit_view.pixels() is None
    assert not window.ui.right.isEnabled()
    assert not window.files.copy_image()  # nothing to copy, and no crash


def test_moving_a_direction_slider_changes_the_digit(loaded, qtbot):
    before = loaded.ui.digit_view.pixels()
    slider = loaded.ui.direction_sliders.rows[0].slider
    after = _frame(loaded, qtbot, lambda: slider.setValue(slider.maximum()))
    assert not np.array_equal(before, after)
    assert loaded.ui.direction_sliders.rows[0].value_label.text() == "+3.00σ"


def test_the_moved_slider_and_its_digit_reach_the_screen_in_one_repaint(loaded, qtbot):
    """The frame is drawn before Qt repaints the window for the slider's own move, so the
    first repaint after a change already shows the new digit (the frame scheduler's event
    is delivered before Qt's repaint request). Later repaints (the verdict, the status bar)
    are timers of their own and are not counted."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    class FirstRepaint(QObject):
        renders_then: int | None = None

        def eventFilter(self, obj, event):  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.UpdateRequest and self.renders_then is None:
                self.renders_then = loaded.scheduler.renders
            return False

    slider = loaded.ui.direction_sliders.rows[0].slider
    for value in (slider.minimum(), slider.maximum()):
        QApplication.processEvents()
        first = FirstRepaint()
        loaded.installEventFilter(first)
        renders = loaded.scheduler.renders
        slider.setValue(value)
        qtbot.waitUntil(lambda: first.renders_then is not None)
        loaded.removeEventFilter(first)
        assert first.renders_then == renders + 1  # the frame came before the first repaint


def test_a_direction_frame_repaints_the_digit_and_the_moved_slider_not_the_window(loaded, qtbot):
    """Each repainted widget costs frame time: unchanged controls (the seed box, the raw
    sliders a direction slider does not move) must not ask for a repaint, which would
    also repaint every widget behind them up to the window."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    class Paints(QObject):
        def __init__(self):
            super().__init__()
            self.widgets = set()

        def eventFilter(self, obj, event):  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Paint:
                self.widgets.add(obj)
            return False

    qtbot.waitUntil(lambda: loaded.ui.latent_sliders.complete)
    slider = loaded.ui.direction_sliders.rows[0].slider
    _frame(loaded, qtbot, lambda: slider.setValue(slider.maximum()))
    QApplication.processEvents()
    loaded.flush_verdict()
    QApplication.processEvents()
    paints = Paints()
    QApplication.instance().installEventFilter(paints)
    try:
        _frame(loaded, qtbot, lambda: slider.setValue(slider.minimum()))
        QApplication.processEvents()
    finally:
        QApplication.instance().removeEventFilter(paints)
    ui = loaded.ui
    assert ui.digit_view in paints.widgets and slider in paints.widgets
    quiet = [loaded, ui.controls.seed_box, *(row.slider for row in ui.latent_sliders.rows)]
    assert not [w for w in quiet if w in paints.widgets]


def test_moving_a_raw_slider_changes_the_digit(loaded, qtbot):
    qtbot.waitUntil(lambda: loaded.ui.latent_sliders.complete)
    assert len(loaded.ui.latent_sliders.rows) == 8
    before = loaded.ui.digit_view.pixels()
    slider = loaded.ui.latent_sliders.rows[3].slider
    after = _frame(loaded, qtbot, lambda: slider.setValue(slider.minimum()))
    assert not np.array_equal(before, after)
    assert abs(loaded.studio.state.raw[3] + 4.0) < 1e-5


def test_a_burst_of_slider_events_renders_once(loaded, qtbot):
    slider = loaded.ui.direction_sliders.rows[1].slider
    renders = loaded.scheduler.renders
    for value in range(0, 600, 10):  # 60 events before the event loop runs
        slider.setValue(value)
    qtbot.waitUntil(lambda: not loaded.scheduler.pending)
    assert loaded.scheduler.renders == renders + 1
    assert loaded.studio.state.coeffs[1] == slider.float_value()


def test_seed_random_and_reset(loaded, qtbot):
    first = loaded.ui.digit_view.pixels()
    _frame(loaded, qtbot, lambda: loaded.ui.controls.seed_box.setValue(1234))
    drawn = loaded.ui.digit_view.pixels()
    assert not np.array_equal(first, drawn)
    _frame(loaded, qtbot, lambda: loaded.ui.direction_sliders.rows[0].slider.setValue(0))
    reset = _frame(loaded, qtbot, loaded.ui.controls.reset_button.click)
    assert np.array_equal(reset, drawn)  # back to the plain draw of seed 1234
    _frame(loaded, qtbot, loaded.ui.controls.random_button.click)
    assert loaded.studio.state.seed == loaded.ui.controls.seed_box.value()


def test_grid_shows_64_digits(loaded, qtbot):
    grid = _frame(loaded, qtbot, lambda: loaded.ui.grid_box.setChecked(True))
    assert grid.shape == (8 * 29 - 1, 8 * 29 - 1)
    single = _frame(loaded, qtbot, lambda: loaded.ui.grid_box.setChecked(False))
    assert np.array_equal(grid[:28, :28], single)  # top-left cell is the current latent


def test_interpolation_ends_are_keyframes_a_and_b(loaded, qtbot):
    a = _frame(loaded, qtbot, lambda: loaded.ui.controls.seed_box.setValue(11))
    loaded.ui.interpolation.add_button.click()
    b = _frame(loaded, qtbot, lambda: loaded.ui.controls.seed_box.setValue(22))
    loaded.ui.interpolation.add_button.click()
    assert loaded.ui.interpolation.keyframe_list.count() == 2
    t_slider = loaded.ui.interpolation.t_slider.slider
    mid = _frame(loaded, qtbot, lambda: t_slider.setValue(500))
    at_a = _frame(loaded, qtbot, lambda: t_slider.setValue(0))
    at_b = _frame(loaded, qtbot, lambda: t_slider.setValue(t_slider.maximum()))
    assert np.array_equal(at_a, a) and np.array_equal(at_b, b)
    assert not np.array_equal(mid, a) and not np.array_equal(mid, b)
    # slerp: the middle of the path is as long as its (equal-norm) ends, on average
    point = loaded.studio.point(0.5)
    ends = [np.linalg.norm(k.z) for k in loaded.studio.keyframes]
    assert np.linalg.norm(point.z) == np.float32(np.mean(ends)).item() or abs(
        np.linalg.norm(point.z) - np.mean(ends)) < 1e-3
    assert loaded.ui.interpolation.strip.pixels() is not None


def test_playback_moves_t_and_pauses(loaded, qtbot):
    loaded.ui.controls.seed_box.setValue(3)
    loaded.path.add_keyframe()
    loaded.ui.controls.seed_box.setValue(4)
    loaded.path.add_keyframe()
    loaded.ui.interpolation.speed.setValue(400)
    loaded.ui.interpolation.play_button.click()
    assert loaded.playback.playing
    qtbot.waitUntil(lambda: 0.05 < loaded.studio.t < 0.95, timeout=3000)
    loaded.ui.interpolation.play_button.click()
    assert not loaded.playback.playing
    paused_at = loaded.studio.t
    qtbot.wait(100)
    assert loaded.studio.t == paused_at


def test_bad_model_shows_a_message_and_the_old_model_stays(loaded, qtbot, tmp_path):
    before = loaded.ui.digit_view.pixels()
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"\x08\x07garbage that is not a model")
    with qtbot.waitSignal(loaded.modelFailed):
        assert not loaded.open_model(bad)
    assert "broken.onnx" in loaded.ui.message_bar.text()
    assert "stays loaded" in loaded.ui.message_bar.text()
    assert loaded.studio.generator.path.name == "generator.onnx"
    slider = loaded.ui.direction_sliders.rows[0].slider
    after = _frame(loaded, qtbot, lambda: slider.setValue(0))
    assert not np.array_equal(before, after)  # still exploring the old model


def test_a_reexported_model_is_picked_up_keeping_the_latent(window, qtbot, model_dir,
                                                              lone_generator):
    with qtbot.waitSignal(window.modelLoaded):
        window.open_model(lone_generator)
    _frame(window, qtbot, lambda: window.ui.controls.seed_box.setValue(77))
    before = window.ui.digit_view.pixels()
    replacement = lone_generator.with_name("export.tmp")
    replacement.write_bytes((model_dir / "generator_b.onnx").read_bytes())
    with qtbot.waitSignal(window.modelLoaded, timeout=5000):
        replacement.replace(lone_generator)  # what an atomic export does
    qtbot.waitUntil(lambda: not np.array_equal(window.ui.digit_view.pixels(), before))
    assert window.studio.state.seed == 77 and window.ui.controls.seed_box.value() == 77


def test_half_written_and_deleted_models_do_not_break_the_app(window, qtbot, model_dir,
                                                               lone_generator):
    window.open_model(lone_generator)
    good = (model_dir / "generator_b.onnx").read_bytes()
    with qtbot.waitSignal(window.modelFailed, timeout=5000):
        lone_generator.write_bytes(good[: len(good) // 2])  # a writer still at work
    assert "generator.onnx" in window.ui.message_bar.text()
    assert window.studio.ready
    with qtbot.waitSignal(window.modelLoaded, timeout=5000):
        lone_generator.write_bytes(good)  # ... and done
    lone_generator.unlink()
    qtbot.waitUntil(lambda: "deleted" in window.ui.message_bar.text(), timeout=5000)
    _frame(window, qtbot, lambda: window.ui.controls.seed_box.setValue(5))


def test_a_model_with_another_latent_size_rebuilds_the_sliders(loaded, qtbot, model_dir):
    loaded.path.add_keyframe()
    with qtbot.waitSignal(loaded.directionsReady, timeout=10_000):
        loaded.open_model(model_dir / "generator16.onnx")
    qtbot.waitUntil(lambda: loaded.ui.latent_sliders.complete)
    assert len(loaded.ui.latent_sliders.rows) == 16
    assert len(loaded.ui.direction_sliders.rows) == 12  # the top 12 of 16 dimensions
    assert loaded.studio.keyframes == ()  # 8-d keyframes cannot drive a 16-d model


def test_dropping_a_model_file_opens_it(loaded, qtbot, model_dir):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(model_dir / "conditional.onnx"))])
    args = (QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)
    # Qt only routes drop events during a real drag, so call the handlers as Qt would.
    enter = QDragEnterEvent(QPoint(10, 10), *args[1:])  # QPoint: what both 6.11 and 6.12 take
    loaded.dragEnterEvent(enter)
    assert enter.isAccepted()
    with qtbot.waitSignal(loaded.modelLoaded):
        loaded.dropEvent(QDropEvent(*args))
    assert loaded.studio.generator.conditional
    text = QMimeData()
    text.setUrls([QUrl.fromLocalFile("/tmp/notes.txt")])
    refused = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, text,
                              Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    refused.ignore()
    loaded.dragEnterEvent(refused)
    assert not refused.isAccepted()


def test_latents_save_and_load_through_the_window(loaded, qtbot, tmp_path):
    _frame(loaded, qtbot, lambda: loaded.ui.controls.seed_box.setValue(31))
    loaded.path.add_keyframe()
    saved = loaded.ui.digit_view.pixels()
    assert loaded.files.save_latents(tmp_path / "mine.json")
    _frame(loaded, qtbot, lambda: loaded.ui.controls.seed_box.setValue(32))
    _frame(loaded, qtbot, lambda: loaded.files.load_latents(tmp_path / "mine.json"))
    assert np.array_equal(loaded.ui.digit_view.pixels(), saved)
    assert loaded.ui.interpolation.keyframe_list.count() == 1
    (tmp_path / "bad.json").write_text('{"format": "digit-studio/latents", "version": 1, '
                                       '"latent_dim": 8, "current": {"z": [NaN]}}')
    assert not loaded.files.load_latents(tmp_path / "bad.json")
    assert "bad.json" in loaded.ui.message_bar.text()


def _export_animation(window, path, monkeypatch) -> None:
    """File ▸ Export Animation…, the options dialog accepted as filled in (last time's
    choices), then `path` chosen in the file dialog."""
    monkeypatch.setattr(AnimationDialog, "exec",
                        lambda self: AnimationDialog.DialogCode.Accepted)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    [action] = [a for a in window.files.menu.actions()
                if a.text().replace("&", "") == "Export Animation…"]
    action.trigger()


def test_exports_write_files_or_explain_why_not(loaded, qtbot, tmp_path, monkeypatch):
    assert loaded.files.export_png(tmp_path / "digit.png", scale=4)
    _export_animation(loaded, tmp_path / "a.gif", monkeypatch)
    assert not (tmp_path / "a.gif").exists()  # no keyframes yet
    assert "two keyframes" in loaded.ui.message_bar.text()
    loaded.path.add_keyframe()
    loaded.ui.controls.seed_box.setValue(9)
    loaded.path.add_keyframe()
    _export_animation(loaded, tmp_path / "a.gif", monkeypatch)
    assert (tmp_path / "a.gif").is_file()
    assert "Exported a.gif" in loaded.statusBar().currentMessage()
    assert loaded.files.export_strip(tmp_path / "s.png")
    assert not loaded.files.export_strip(tmp_path / "missing" / "s.png")
    assert "s.png" in loaded.ui.message_bar.text()
    # The settings file's lock (.settings.ini.lock) is the settings', not an export.
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()
                  and p.name != ".settings.ini.lock") == [
        "a.gif", "digit.png", "s.png", "settings.ini"][: 3 + (tmp_path / "settings.ini")
                                                     .exists()]


def test_copy_puts_the_enlarged_digit_on_the_clipboard(loaded):
    assert loaded.files.copy_image()
    image = QGuiApplication.clipboard().image()
    assert (image.width(), image.height()) == (224, 224)


def test_keyboard_shortcuts(loaded, qtbot):
    loaded.activateWindow()
    loaded.ui.digit_view.setFocus()
    qtbot.keyClick(loaded.ui.digit_view, Qt.Key.Key_G)
    assert loaded.ui.grid_box.isChecked()
    seed = loaded.studio.state.seed
    qtbot.keyClick(loaded.ui.digit_view, Qt.Key.Key_BracketRight)
    assert loaded.studio.state.seed == seed + 1
    qtbot.keyClick(loaded.ui.digit_view, Qt.Key.Key_K)
    assert len(loaded.studio.keyframes) == 1


def test_settings_survive_a_restart(loaded, qtbot, model_dir):
    loaded.ui.grid_box.setChecked(True)
    loaded.ui.controls.seed_box.setValue(4242)
    loaded.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.ui.grid_box.isChecked()
    again.open_model(model_dir / "generator.onnx")
    assert again.studio.state.seed == 4242
    recent = again.settings.value("recent_models")
    assert str((model_dir / "generator.onnx").resolve()) in recent


def test_status_bar_shows_frame_time_and_fps(loaded, qtbot):
    slider = loaded.ui.direction_sliders.rows[0].slider
    for value in range(0, 100, 10):
        _frame(loaded, qtbot, lambda v=value: slider.setValue(v))
    qtbot.waitUntil(lambda: "fps" in loaded.ui.stats_label.text(), timeout=2000)
    assert "ms" in loaded.ui.stats_label.text()


def test_an_empty_start_opens_the_model_once_it_is_exported(qtbot, model_dir,
                                                             isolated_app_env):
    from desktop_app.views.app import launch

    window = launch()
    qtbot.addWidget(window)
    assert not window.studio.ready and "No model found" in window.ui.message_bar.text()
    target = isolated_app_env / "generator.onnx"
    staging = isolated_app_env / "generator.onnx.tmp"
    staging.write_bytes((model_dir / "generator.onnx").read_bytes())
    with qtbot.waitSignal(window.modelLoaded, timeout=5000):
        staging.replace(target)
    assert window.studio.generator.path == target
    assert window.ui.message_bar.text() == ""


def test_an_empty_start_does_not_open_a_classifier_as_its_model(qtbot, model_dir,
                                                                isolated_app_env):
    """With no model yet, a classifier.onnx exported first is the classifier of the
    generator to come, not a generator that fails to load."""
    from desktop_app.views.app import launch

    window = launch()
    qtbot.addWidget(window)
    failures = []
    window.modelFailed.connect(failures.append)
    with qtbot.waitSignal(window.watcher.fileChanged, timeout=5000):
        (isolated_app_env / "classifier.onnx").write_bytes(
            (model_dir / "classifier.onnx").read_bytes())
    assert failures == [] and "No model found" in window.ui.message_bar.text()
    staging = isolated_app_env / "generator.onnx.tmp"
    staging.write_bytes((model_dir / "generator.onnx").read_bytes())
    with qtbot.waitSignal(window.modelLoaded, timeout=5000):
        staging.replace(isolated_app_env / "generator.onnx")
    assert failures == []
    qtbot.waitUntil(lambda: window.ui.verdict.verdict is not None, timeout=5000)


def test_a_classifier_exported_later_turns_verdicts_on(window, qtbot, model_dir,
                                                        lone_generator):
    window.open_model(lone_generator)
    assert window.ui.verdict.verdict is None
    (lone_generator.parent / "classifier.onnx").write_bytes(
        (model_dir / "classifier.onnx").read_bytes())
    qtbot.waitUntil(lambda: window.ui.verdict.verdict is not None, timeout=5000)


def test_a_broken_classifier_is_reported_and_the_generator_still_works(window, qtbot,
                                                                       lone_generator):
    (lone_generator.parent / "classifier.onnx").write_bytes(b"not a classifier")
    assert window.open_model(lone_generator)
    assert "classifier.onnx" in window.ui.message_bar.text()
    assert "Verdicts are off" in window.ui.message_bar.text()
    qtbot.waitUntil(lambda: window.ui.digit_view.pixels() is not None)
    assert window.ui.verdict.verdict is None
