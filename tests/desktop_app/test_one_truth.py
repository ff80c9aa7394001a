"""One source of truth: after every kind of change, the controls describe the frame on
screen, the picture is that frame, and the badge says whether it is the current latent
or a frame of the path."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from desktop_app.core.files import latent_files as files
from desktop_app.core.pixels import to_uint8
from desktop_app.core.explore.latent import RAW_RANGE
from desktop_app.core.explore.weights import describe

STEP = 0.0051  # half a slider step (±4 over 800 steps, ±3 over 600), and a little


def assert_controls_match(w) -> None:
    """Every control describes the displayed frame, and the picture is that frame."""
    w.scheduler.flush()
    studio, ui = w.studio, w.ui
    shown, c = studio.shown(), studio.controls()
    # The numbers the controls hold make exactly the latent drawn.
    z = c.truncation * c.raw
    if c.coeffs.size:
        z = z + c.coeffs @ studio.state.steps
    np.testing.assert_allclose(z, shown.z, atol=1e-5)
    # The widgets show those numbers (the latent rows out of view catch up once frames
    # pause: test_latent_rows_out_of_view_follow_on_scroll_or_pause holds that).
    ui.latent_sliders.catch_up()
    for d, row in enumerate(ui.latent_sliders.rows):
        assert abs(row.value() - np.clip(c.raw[d], -RAW_RANGE, RAW_RANGE)) <= STEP, d
    for i, row in enumerate(ui.direction_sliders.rows):
        assert abs(row.value() - c.coeffs[i]) <= STEP, i
    assert abs(ui.controls.truncation.value() - c.truncation) <= STEP
    assert ui.controls.seed_box.text() == ("custom" if c.seed is None else str(c.seed))
    if shown.class_weights is not None:
        assert ui.digit_chooser.caption.text() == describe(shown.class_weights)
        np.testing.assert_allclose(c.class_weights, shown.class_weights)
    # The badge says which frame this is; the picture is it.
    assert ui.badge.path_shown == studio.showing_path
    image = to_uint8(studio.generator.generate(shown.z, shown.class_weights))[0]
    assert np.array_equal(ui.digit_view.pixels()[:28, :28], image)


def _slider(row):
    return row.slider


def test_the_controls_describe_the_displayed_frame_after_every_kind_of_change(
        cond_window, qtbot, tmp_path):
    w, ui = cond_window, cond_window.ui
    panel = ui.interpolation
    changes = [
        ("seed", lambda: ui.controls.seed_box.setValue(77)),
        ("truncation", lambda: _slider(ui.controls.truncation).setValue(150)),
        ("raw slider", lambda: _slider(ui.latent_sliders.rows[2]).setValue(700)),
        ("direction slider", lambda: _slider(ui.direction_sliders.rows[0]).setValue(500)),
        ("digit button", lambda: ui.digit_chooser.group.button(4).click()),
        ("mixer", lambda: ui.digit_chooser.mix_slider.setValue(30)),
        ("keyframe A", panel.add_button.click),
        ("seed again", lambda: ui.controls.seed_box.setValue(78)),
        ("digit 2", lambda: ui.digit_chooser.group.button(2).click()),
        ("keyframe B", panel.add_button.click),
        ("t slider", lambda: panel.t_slider.slider.setValue(400)),
        ("playback tick", lambda: w.playback.tick.emit(0.7)),
        ("raw edit on a path frame", lambda: _slider(ui.latent_sliders.rows[1]).setValue(100)),
        ("t again", lambda: panel.t_slider.slider.setValue(1000)),
        ("back to the latent", ui.badge.back_button.click),
        ("Interpolate tab", lambda: ui.tabs.setCurrentWidget(panel)),
        ("keyframe activated", lambda: panel.keyframeActivated.emit(0)),
        ("t zero", lambda: panel.t_slider.slider.setValue(0)),
        ("Explore tab", lambda: ui.tabs.setCurrentIndex(0)),
        ("grid", lambda: ui.grid_box.setChecked(True)),
        ("grid off", lambda: ui.grid_box.setChecked(False)),
        ("reset", ui.controls.reset_button.click),
        ("undo", w.history.stack.undo),
        ("redo", w.history.stack.redo),
        ("morph", lambda: w.path.morph(1, 7)),
        ("undo morph", w.history.stack.undo),
    ]
    for name, action in changes:
        action()
        try:
            assert_controls_match(w)
        except AssertionError as exc:
            raise AssertionError(f"after {name}: {exc}") from None
    # A latent file loaded from disk, then another model.
    path = tmp_path / "latents.json"
    files.save(path, w.studio.to_file())
    assert w.files.load_latents(path)
    assert_controls_match(w)


def test_t_zero_shows_keyframe_a_not_the_current_latent(cond_window, qtbot):
    w, panel = cond_window, cond_window.ui.interpolation
    w.ui.controls.seed_box.setValue(5)
    panel.add_button.click()
    w.ui.controls.seed_box.setValue(6)
    panel.add_button.click()
    w.ui.controls.seed_box.setValue(9)  # the current latent is neither keyframe
    w.ui.tabs.setCurrentWidget(panel)  # t was never touched
    assert_controls_match(w)
    assert w.studio.showing_path and w.studio.t == 0.0
    np.testing.assert_array_equal(w.studio.shown().z, w.studio.keyframes[0].z)
    assert "t = 0.000" in w.ui.badge.label.text()


def test_the_explore_tab_shows_the_latent_again(cond_window, qtbot):
    w, panel = cond_window, cond_window.ui.interpolation
    panel.add_button.click()
    w.ui.controls.seed_box.setValue(3)
    panel.add_button.click()
    w.ui.tabs.setCurrentWidget(panel)
    panel.t_slider.slider.setValue(500)
    w.scheduler.flush()
    assert w.studio.showing_path and not w.ui.badge.back_button.isHidden()
    w.ui.tabs.setCurrentIndex(0)
    assert not w.studio.showing_path
    assert_controls_match(w)
    assert w.ui.badge.back_button.isHidden()
    assert w.ui.badge.label.text() == "Showing the current latent"


def test_editing_a_path_frame_continues_from_it(cond_window, qtbot):
    w, panel = cond_window, cond_window.ui.interpolation
    panel.add_button.click()
    w.ui.controls.seed_box.setValue(3)
    panel.add_button.click()
    panel.t_slider.slider.setValue(500)
    shown = w.studio.shown()
    w.ui.digit_chooser.group.button(8).click()
    # The path frame became the current latent, then the digit changed; z is the frame's.
    np.testing.assert_allclose(w.studio.state.z, shown.z, atol=1e-6)
    assert not w.studio.showing_path
    assert_controls_match(w)


def test_the_wheel_scrolls_the_list_instead_of_editing_a_slider(cond_window, qtbot):
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    w = cond_window
    row = w.ui.latent_sliders.rows[5]
    before = w.studio.state.raw.copy()
    slider = row.slider
    centre = QPointF(slider.rect().center())
    event = QWheelEvent(centre, QPointF(slider.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, -120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(slider, event)
    np.testing.assert_array_equal(w.studio.state.raw, before)
    assert w.history.stack.count() == 0
    slider.setFocus()
    qtbot.waitUntil(slider.hasFocus)
    QApplication.sendEvent(slider, event)  # a focused slider does take the wheel
    assert w.studio.state.raw[5] != before[5]


def test_latent_rows_out_of_view_follow_on_scroll_or_pause(window, qtbot, tmp_path):
    """Moving a principal direction changes every dimension. The rows in view show the new
    vector in the frame that draws it; a row scrolled into view shows it at once; and once
    frames pause, every row does."""
    from tests.desktop_app import onnx_models as om

    om.save(om.generator_model(64, seed=4), tmp_path / "wide.onnx")
    window.resize(900, 620)
    with qtbot.waitSignal(window.directionsReady, timeout=10_000):
        assert window.open_model(tmp_path / "wide.onnx")
    panel = window.ui.latent_sliders
    qtbot.waitUntil(lambda: panel.complete and window.ui.digit_view.pixels() is not None, timeout=5000)
    window.ui.tabs.setCurrentWidget(window.ui.explore)
    panel.verticalScrollBar().setValue(0)
    qtbot.waitUntil(lambda: panel.rows[0].isVisible() and panel.rows[-1].height() > 0)

    def in_view(row) -> bool:
        top = panel.verticalScrollBar().value()
        g = row.geometry()
        return g.bottom() >= top and g.top() <= top + panel.viewport().height()

    def shows(d: int) -> bool:
        raw = window.studio.controls().raw
        return abs(panel.rows[d].value() - np.clip(raw[d], -RAW_RANGE, RAW_RANGE)) <= STEP

    assert not in_view(panel.rows[-1]), "the test needs rows out of view"
    _slider(window.ui.direction_sliders.rows[0]).setValue(150)
    window.scheduler.flush()
    visible = [d for d, row in enumerate(panel.rows) if in_view(row)]
    assert visible and all(shows(d) for d in visible)
    panel.verticalScrollBar().setValue(panel.verticalScrollBar().maximum())
    assert shows(len(panel.rows) - 1)  # scrolled into view: up to date at once
    panel.verticalScrollBar().setValue(0)
    window.studio.go_to(np.random.default_rng(7).uniform(-2, 2, len(panel.rows)))
    window.scheduler.flush()
    panel.resize(panel.width(), panel.height() + 300)  # a taller panel shows more rows
    revealed = [d for d, row in enumerate(panel.rows) if in_view(row) and d not in visible]
    assert revealed and all(shows(d) for d in revealed)  # current when first seen
    qtbot.waitUntil(lambda: not panel.pending, timeout=3000)  # frames paused: all rows
    assert all(shows(d) for d in range(len(panel.rows)))


def test_a_smaller_model_opened_from_another_tab_gets_its_own_sliders(window, qtbot, tmp_path):
    """Opening a 16-d model while a 64-d one is loaded and the Find tab is in front (every
    old row counts as out of view) once wrote 16 values into 64 rows and raised IndexError,
    leaving 64 rows, no directions and the old model's name in the status bar."""
    from tests.desktop_app import onnx_models as om

    om.save(om.generator_model(64, seed=4), tmp_path / "wide.onnx")
    om.save(om.generator_model(16, seed=5), tmp_path / "narrow.onnx")
    with qtbot.waitSignal(window.directionsReady, timeout=10_000):
        assert window.open_model(tmp_path / "wide.onnx")
    panel = window.ui.latent_sliders
    qtbot.waitUntil(lambda: panel.complete, timeout=5000)
    window.ui.tabs.setCurrentWidget(window.ui.find_tab)
    with qtbot.waitSignal(window.directionsReady, timeout=10_000):
        assert window.open_model(tmp_path / "narrow.onnx")
    qtbot.waitUntil(lambda: panel.complete, timeout=5000)
    panel.catch_up()
    raw = window.studio.controls().raw
    assert len(panel.rows) == 16 == len(raw)
    assert all(abs(row.value() - np.clip(v, -RAW_RANGE, RAW_RANGE)) <= STEP
               for row, v in zip(panel.rows, raw))
    assert "narrow.onnx" in window.statusBar().currentMessage()


def test_seed_zero_can_be_typed_over_custom(cond_window, qtbot):
    """A found or loaded latent has no seed and the box says "custom"; typing 0 and Enter
    once changed nothing, because "custom" was held as the value 0."""
    box = cond_window.ui.controls.seed_box
    cond_window.studio.set_seed(5)
    cond_window.studio.go_to(np.full(cond_window.studio.state.latent_dim, 0.5, np.float32),
                             cond_window.studio.class_weights)
    cond_window.scheduler.flush()
    assert box.text() == "custom" and cond_window.studio.state.seed is None
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "0")
    qtbot.keyClick(box, Qt.Key_Return)
    cond_window.scheduler.flush()
    assert cond_window.studio.state.seed == 0 and box.text() == "0"


def test_drawing_frames_does_not_lay_the_window_out_again(cond_window, qtbot):
    """A frame updates values, never geometry: a control that re-lays out the window on
    every frame (the seed box's range set on each frame did) made a slider's frame cost
    5 ms instead of about 1 ms. Twenty frames may let one earlier change settle, no more."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    class Counter(QObject):
        count = 0

        def eventFilter(self, obj, event):  # noqa: N802 - Qt override
            if event.type() == QEvent.LayoutRequest and obj is cond_window:
                Counter.count += 1
            return False

    direction = _slider(cond_window.ui.direction_sliders.rows[0])
    cond_window.studio.go_to(np.full(cond_window.studio.state.latent_dim, 0.3, np.float32),
                             cond_window.studio.class_weights)  # no seed: "custom"
    cond_window.scheduler.flush()
    QApplication.sendPostedEvents()  # the switch to "custom" may lay out once: let it
    QApplication.processEvents()
    counter = Counter()
    QApplication.instance().installEventFilter(counter)
    try:
        for value in range(100, 400, 15):
            direction.setValue(value)
            cond_window.scheduler.flush()
            QApplication.processEvents()
    finally:
        QApplication.instance().removeEventFilter(counter)
    assert Counter.count <= 1  # the regression laid the window out on each of the 20 frames
