"""Picking and view options: grid tiles are clickable, values can be typed, direction
sliders start over with a new model, the layout holds at 800×600, smooth upscaling."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt


def _flush(w):
    w.scheduler.flush()
    return w.ui.digit_view.pixels()


def test_clicking_a_grid_tile_makes_it_current(cond_window, qtbot):
    w, view = cond_window, cond_window.ui.digit_view
    w.ui.grid_box.setChecked(True)
    grid = _flush(w)
    row, col = 2, 5
    tile = grid[row * 29:row * 29 + 28, col * 29:col * 29 + 28]
    rect = view.target_rect()
    scale = rect.width() / grid.shape[1]
    at = QPoint(rect.left() + int((col * 29 + 14) * scale),
                rect.top() + int((row * 29 + 14) * scale))
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=at)
    single = _flush(w)
    assert not w.ui.grid_box.isChecked()
    assert np.array_equal(single, tile)
    assert "Picked seed" in w.statusBar().currentMessage()
    picked = w.studio.state.seed
    w.history.stack.undo()
    _flush(w)
    assert w.studio.state.seed == picked - (row * 8 + col)
    assert w.ui.controls.seed_box.value() == w.studio.state.seed


def test_a_double_clicked_value_can_be_typed(cond_window, qtbot):
    w = cond_window
    row = w.ui.direction_sliders.rows[1]
    qtbot.mouseDClick(row.value_label, Qt.MouseButton.LeftButton)
    assert row.editor.isVisible()
    row.editor.setText("1.234")
    qtbot.keyClick(row.editor, Qt.Key.Key_Return)
    assert not row.editor.isVisible()
    assert w.studio.state.coeffs[1] == np.float32(1.234)
    assert row.value_label.text() == "+1.23σ"
    qtbot.mouseDClick(row.value_label, Qt.MouseButton.LeftButton)
    row.editor.setText("nonsense")
    qtbot.keyClick(row.editor, Qt.Key.Key_Return)
    assert w.studio.state.coeffs[1] == np.float32(1.234)  # not a number: nothing changes
    qtbot.mouseDClick(row.value_label, Qt.MouseButton.LeftButton)
    row.editor.setText("99")
    qtbot.keyClick(row.editor, Qt.Key.Key_Return)
    assert w.studio.state.coeffs[1] == 3.0  # clamped to the slider's range
    assert w.history.stack.count() == 2


def test_direction_sliders_reset_on_a_model_change_and_the_status_bar_says_so(
        cond_window, qtbot, model_dir):
    w = cond_window
    w.ui.direction_sliders.rows[0].slider.setValue(550)
    assert w.studio.state.coeffs[0] != 0
    with qtbot.waitSignal(w.directionsReady, timeout=10_000):
        w.open_model(model_dir / "with_metrics.onnx")  # same latent size: latent kept
    assert "direction sliders reset to 0" in w.statusBar().currentMessage()
    assert not np.any(w.studio.state.coeffs)
    assert all(row.value() == 0 for row in w.ui.direction_sliders.rows)


def test_the_layout_holds_at_800_by_600(cond_window, qtbot):
    w = cond_window
    w.resize(800, 600)
    qtbot.waitUntil(lambda: w.width() == 800 and w.height() == 600)
    w.ui.tabs.setCurrentIndex(0)
    qtbot.wait(1)  # one event-loop turn for the layout
    for row in w.ui.direction_sliders.rows + w.ui.latent_sliders.rows[:3]:
        # Every row keeps a usable slider, its full height, and a value label beside it.
        assert row.slider.width() >= 60
        assert row.height() >= row.minimumSizeHint().height()
        assert row.value_label.geometry().left() >= row.slider.geometry().right()
    assert w.ui.digit_view.width() >= 112 and w.ui.digit_view.height() >= 112
    assert w.minimumWidth() <= 800 and w.minimumHeight() <= 600


def test_smooth_upscaling_is_an_option_next_to_pixel_exact(cond_window, qtbot):
    w, view = cond_window, cond_window.ui.digit_view
    _flush(w)

    def shades() -> int:
        image = view.grab().toImage()
        rect = view.target_rect()
        return len({image.pixelColor(x, rect.center().y()).red()
                    for x in range(rect.left() + 1, rect.right() - 1)})

    exact = shades()
    assert exact <= 28 + 1  # at most one grey per frame pixel along a line
    w.ui.smooth_box.setChecked(True)
    assert view.smooth
    assert shades() > exact  # bilinear: in-between greys
