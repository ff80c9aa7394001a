"""Variations around the current latent with a radius, and bookmarks of latents: what a
user sees in the grid, what a click picks, and that undo takes each step back."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt

from desktop_app.core.explore import variations as var

CELL = 29  # 28 pixels and the 1-pixel line


def _tiles(w):
    w.scheduler.flush()
    grid = w.ui.digit_view.pixels()
    return [grid[r * CELL:r * CELL + 28, c * CELL:c * CELL + 28]
            for r in range(8) for c in range(8)]


def _drag_radius(w, value):
    slider = w.ui.radius.slider
    slider.setValue(slider.to_position(value))  # as a drag does: the value is announced


def _click_tile(w, qtbot, index):
    view = w.ui.digit_view
    rect = view.target_rect()
    scale = rect.width() / view.pixels().shape[1]
    row, col = divmod(index, 8)
    at = QPoint(rect.left() + int((col * CELL + 14) * scale),
                rect.top() + int((row * CELL + 14) * scale))
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=at)


def test_variation_maths_centre_and_radius():
    z = np.arange(4, dtype=np.float32)
    offs = var.offsets(3, 64, 4)
    assert np.array_equal(offs, var.offsets(3, 64, 4))  # reproducible
    near, far = var.variation_z(z, 0.25, offs), var.variation_z(z, 0.5, offs)
    assert np.array_equal(near[0], z) and np.array_equal(far[0], z)
    assert np.allclose(far - z, 2 * (near - z), atol=1e-6)
    assert np.array_equal(var.variation_z(z, 0.0, offs), np.tile(z, (64, 1)))


def test_the_variations_grid_follows_the_radius(cond_window, qtbot):
    w = cond_window
    single = (w.scheduler.flush(), w.ui.digit_view.pixels())[1]
    w.ui.variations_box.setChecked(True)
    assert w.ui.grid_box.isChecked() and w.ui.radius.isEnabled()
    tiles = _tiles(w)
    assert np.array_equal(tiles[0], single)  # the current latent, top-left
    assert "variations" in w.ui.badge.label.text() and "0.50σ" in w.ui.badge.label.text()
    _drag_radius(w, 1.5)
    wider = _tiles(w)
    assert np.array_equal(wider[0], single)
    assert not np.array_equal(wider[9], tiles[9])
    _drag_radius(w, 0.0)
    assert all(np.array_equal(t, single) for t in _tiles(w))  # radius 0: all the same
    assert w.ui.radius.value_label.text() == "0.00σ"


def test_picking_a_variation_centres_a_fresh_grid_on_it(cond_window, qtbot):
    w = cond_window
    w.ui.variations_box.setChecked(True)
    _drag_radius(w, 1.0)
    before = _tiles(w)
    _click_tile(w, qtbot, 10)
    after = _tiles(w)
    assert w.ui.grid_box.isChecked()  # still exploring variations
    assert np.array_equal(after[0], before[10])
    assert not np.array_equal(after[10], before[10])
    assert "Picked variation 10" in w.statusBar().currentMessage()
    w.history.stack.undo()
    assert np.array_equal(_tiles(w)[0], before[0])


def test_bookmark_and_click_to_go_back(cond_window, qtbot):
    w = cond_window
    w.scheduler.flush()
    kept = w.ui.digit_view.pixels()
    w.activateWindow()
    w.ui.digit_view.setFocus()
    qtbot.keyClick(w.ui.digit_view, Qt.Key.Key_B)
    marks = w.ui.bookmarks.list
    assert marks.count() == 1 and marks.item(0).text().startswith(f"seed {w.studio.state.seed}")
    w.ui.controls.seed_box.setValue(w.studio.state.seed + 5)
    w.scheduler.flush()
    assert not np.array_equal(w.ui.digit_view.pixels(), kept)
    w.ui.tabs.setCurrentWidget(w.ui.bookmarks)
    rect = marks.visualItemRect(marks.item(0))
    qtbot.mouseClick(marks.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    w.scheduler.flush()
    assert np.array_equal(w.ui.digit_view.pixels(), kept)
    assert np.array_equal(w.studio.state.z, w.studio.bookmarks[0].z)
    # Undo: back from the bookmark, then the seed, then the bookmark itself.
    w.history.stack.undo()
    w.scheduler.flush()
    assert not np.array_equal(w.ui.digit_view.pixels(), kept)
    w.history.stack.undo()
    w.history.stack.undo()
    assert marks.count() == 0
    w.history.stack.redo()
    assert marks.count() == 1
    w.ui.bookmarks.remove_button.click()
    assert marks.count() == 0 and w.studio.bookmarks == ()


def test_bookmarks_go_with_the_latent_size(cond_window, qtbot, model_dir):
    w = cond_window
    w.bookmarks.add()
    assert w.open_model(model_dir / "generator16.onnx")
    assert w.ui.bookmarks.list.count() == 0


def test_variations_and_radius_survive_a_restart(cond_window, qtbot, model_dir):
    from desktop_app.views.main_window import MainWindow

    cond_window.ui.variations_box.setChecked(True)
    _drag_radius(cond_window, 1.25)
    cond_window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.ui.variations_box.isChecked() and again.ui.radius.isEnabled()
    assert again.studio.variation.radius == 1.25 and again.ui.radius.value() == 1.25
