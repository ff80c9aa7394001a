"""Keyframes come back on the next launch, one list per latent size; saved keyframes made
for another kind of model are kept with their class weights, and a damaged entry restores
nothing."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.views.main_window import MainWindow


def _restart(old, qtbot, model) -> MainWindow:
    old.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.open_model(model)
    return again


def _keys(w):
    return [(k.name, k.z.copy(), None if k.class_weights is None else k.class_weights.copy())
            for k in w.studio.keyframes]


def _same(a, b) -> bool:
    return len(a) == len(b) and all(
        x[0] == y[0] and np.array_equal(x[1], y[1])
        and (x[2] is None and y[2] is None or np.array_equal(x[2], y[2]))
        for x, y in zip(a, b))


def test_keyframes_are_restored_on_the_next_launch(cond_window, qtbot, model_dir):
    w = cond_window
    w.path.add_keyframe()
    w.latent.choose_digit(3)
    w.ui.controls.seed_box.setValue(77)
    w.path.add_keyframe()
    w.path.rename_keyframe(1, "three")
    before = _keys(w)
    again = _restart(w, qtbot, model_dir / "conditional.onnx")
    assert _same(_keys(again), before)
    assert again.ui.interpolation.keyframe_list.count() == 2
    assert "2 keyframe(s) restored" in again.statusBar().currentMessage()
    assert again.history.stack.count() == 0  # where the session starts, not an edit


def test_each_latent_size_keeps_its_own_list(loaded, qtbot, model_dir):
    w = loaded
    w.path.add_keyframe()
    w.ui.controls.seed_box.setValue(5)
    w.path.add_keyframe()
    eight = _keys(w)
    assert w.open_model(model_dir / "generator16.onnx")
    assert w.studio.keyframes == ()  # 8-d keyframes do not fit a 16-d model
    w.path.add_keyframe()
    sixteen = _keys(w)
    assert w.open_model(model_dir / "generator.onnx")
    assert _same(_keys(w), eight)
    again = _restart(w, qtbot, model_dir / "generator16.onnx")
    assert _same(_keys(again), sixteen)


def test_keyframes_made_for_another_kind_of_model_are_kept(cond_window, qtbot, model_dir):
    w = cond_window  # conditional, 8-d: its keyframes carry class weights
    w.path.add_keyframe()
    before = _keys(w)
    again = _restart(w, qtbot, model_dir / "generator.onnx")  # unconditional, also 8-d
    # An unconditional model draws them from z alone; their digit is kept for later.
    assert _same(_keys(again), before)
    assert len(again.studio.path_keys) == 1
    assert again.open_model(model_dir / "conditional.onnx")
    assert _same(_keys(again), before)


@pytest.mark.parametrize("junk", ["garbage", '{"format": "digit-studio/latents"}',
                                  '{"format": "digit-studio/latents", "version": 2, '
                                  '"latent_dim": 16, "current": {"z": [0]}}'])
def test_a_damaged_entry_restores_nothing(window, qtbot, model_dir, junk):
    window.settings.setValue("keyframes/8d", junk)
    assert window.open_model(model_dir / "generator.onnx")
    assert window.studio.keyframes == ()
    window.scheduler.flush()
    assert window.ui.digit_view.pixels() is not None  # the model still loads and draws
    assert "restored" not in window.statusBar().currentMessage()
