"""Undo and redo (Edit menu, Ctrl+Z / Ctrl+Shift+Z): every user edit is one step, a whole
drag included, and the morph's replaced keyframes come back."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt


def _undo(w, qtbot) -> None:
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)


def _redo(w, qtbot) -> None:
    qtbot.keyClick(w, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)


def test_a_whole_drag_is_one_step(cond_window, qtbot):
    w = cond_window
    w.activateWindow()
    slider = w.ui.latent_sliders.rows[3].slider
    before = w.studio.state.raw.copy()
    slider.setSliderDown(True)
    for position in range(400, 700, 30):
        slider.setValue(position)
    slider.setSliderDown(False)  # released: the drag is over
    dragged = w.studio.state.raw.copy()
    assert w.history.stack.count() == 1
    _undo(w, qtbot)
    np.testing.assert_allclose(w.studio.state.raw, before)
    _redo(w, qtbot)
    np.testing.assert_allclose(w.studio.state.raw, dragged)
    # A second drag of the same slider is a step of its own.
    slider.setSliderDown(True)
    slider.setValue(100)
    slider.setSliderDown(False)
    assert w.history.stack.count() == 2


def test_seed_truncation_digit_and_directions_undo_in_order(cond_window, qtbot):
    w, ui = cond_window, cond_window.ui
    start = w.studio.snapshot()
    ui.controls.seed_box.setValue(31)
    ui.controls.truncation.slider.setValue(50)
    ui.controls.truncation.editFinished.emit()
    weights = w.studio.state.class_weights.copy()
    ui.digit_chooser.group.button(6).click()
    ui.direction_sliders.rows[0].slider.setValue(0)
    assert w.history.stack.count() == 4
    w.history.stack.undo()
    assert w.studio.state.coeffs[0] == 0.0
    w.history.stack.undo()
    np.testing.assert_array_equal(w.studio.state.class_weights, weights)
    w.history.stack.undo()
    assert w.studio.state.truncation == 1.0
    w.history.stack.undo()
    assert w.studio.snapshot().same_as(start)
    w.scheduler.flush()
    assert ui.controls.seed_box.value() == start.latent.seed


def test_keyframe_add_remove_reorder_rename_undo(cond_window, qtbot):
    w, panel = cond_window, cond_window.ui.interpolation
    for seed in (1, 2, 3):
        w.ui.controls.seed_box.setValue(seed)
        panel.add_button.click()
    z = [k.z for k in w.studio.keyframes]
    panel.keyframeMoved.emit(0, 2)
    assert [k.name for k in w.studio.keyframes] == ["A", "B", "C"]
    np.testing.assert_array_equal(w.studio.keyframes[2].z, z[0])
    panel.keyframeRenamed.emit(1, "  tall   seven ")
    assert w.studio.keyframes[1].name == "tall seven"
    assert panel.keyframe_list.item(1).text().startswith("tall seven")
    panel.removeRequested.emit(0)
    assert len(w.studio.keyframes) == 2 and w.studio.keyframes[0].name == "tall seven"
    for _ in range(3):
        w.history.stack.undo()
    assert [k.name for k in w.studio.keyframes] == ["A", "B", "C"]
    np.testing.assert_array_equal(w.studio.keyframes[0].z, z[0])
    assert panel.keyframe_list.count() == 3
    while w.history.stack.canUndo():
        w.history.stack.undo()
    assert w.studio.keyframes == ()


def test_the_morph_says_what_it_replaced_and_undo_brings_it_back(cond_window, qtbot):
    w, panel = cond_window, cond_window.ui.interpolation
    for seed in (1, 2, 3):
        w.ui.controls.seed_box.setValue(seed)
        panel.add_button.click()
    mine = w.studio.keyframes
    w.ui.digit_chooser.morph_button.click()
    assert len(w.studio.keyframes) == 2
    assert "replaced 3 keyframe" in w.statusBar().currentMessage()
    assert "Undo" in w.statusBar().currentMessage()
    w.history.stack.undo()
    assert len(w.studio.keyframes) == 3
    assert all(np.array_equal(a.z, b.z) for a, b in zip(w.studio.keyframes, mine))


def test_undo_history_ends_at_a_model_of_another_latent_size(cond_window, qtbot, model_dir):
    w = cond_window
    w.ui.controls.seed_box.setValue(12)
    assert w.history.stack.canUndo()
    w.open_model(model_dir / "generator16.onnx")
    assert not w.history.stack.canUndo()
