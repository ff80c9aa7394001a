"""One owner for the explorer's state, so every view agrees: keyframes keep their own
class weights across models, the mixer shows the weights on screen, every user action is
one undo step (and Ctrl+Z works from a spin box), and the principal directions follow the
digit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from desktop_app.core.pixels import to_uint8
from desktop_app.core.explore.weights import one_hot
from desktop_app.views.main_window import MainWindow

from . import onnx_models as om

DIGITS = (1, 7, 0, 5)


@pytest.fixture(scope="module")
def cluster_model(tmp_path_factory) -> Path:
    """An 8-d generator whose 20 classes are clusters (the shipped unconditional.onnx's
    kind): the same latent size as conditional.onnx, other classes."""
    folder = tmp_path_factory.mktemp("one_owner")
    return om.save(om.generator_model(8, clusters=20, seed=4), folder / "clusters.onnx")


def _open(window, qtbot, path) -> None:
    assert window.open_model(path)
    window.scheduler.flush()


def _labels(window) -> list[str]:
    panel = window.ui.interpolation.keyframe_list
    return [panel.item(i).text() for i in range(panel.count())]


def _weights(window) -> list[np.ndarray]:
    return [k.class_weights for k in window.studio.keyframes]


def _assert_digits_intact(window) -> None:
    assert len(window.studio.keyframes) == len(DIGITS)
    for weights, digit in zip(_weights(window), DIGITS):
        np.testing.assert_array_equal(weights, one_hot(digit, 10))


def test_keyframes_survive_switching_models(cond_window, qtbot, model_dir, cluster_model):
    w = cond_window
    for seed, digit in enumerate(DIGITS):
        w.ui.controls.seed_box.setValue(100 + seed)
        w.latent.choose_digit(digit)
        w.path.add_keyframe()
    w.bookmarks.add()  # a bookmark of the 5
    _open(w, qtbot, cluster_model)
    # The cluster model cannot draw digits: they are said to be so, and kept as they were.
    _assert_digits_intact(w)
    assert all("not drawable" in text for text in _labels(w)), _labels(w)
    np.testing.assert_array_equal(w.studio.bookmarks[0].class_weights, one_hot(5, 10))
    _open(w, qtbot, model_dir / "conditional.onnx")
    _assert_digits_intact(w)
    np.testing.assert_array_equal(w.studio.bookmarks[0].class_weights, one_hot(5, 10))
    # A restart with the cluster model loaded keeps them too.
    _open(w, qtbot, cluster_model)
    w.close()
    again = MainWindow()
    qtbot.addWidget(again)
    _open(again, qtbot, cluster_model)
    _assert_digits_intact(again)
    assert all("not drawable" in text for text in _labels(again)), _labels(again)
    # The digit model is back: each keyframe draws its own digit again.
    _open(again, qtbot, model_dir / "conditional.onnx")
    _assert_digits_intact(again)
    assert _labels(again) == [f"{name} · digit {d}" for name, d in zip("ABCD", DIGITS)]
    gen = again.studio.generator
    drawn = to_uint8(gen.generate(np.stack([k.z for k in again.studio.keyframes]),
                                  np.stack(_weights(again))))
    np.testing.assert_array_equal(again.studio.keyframe_images(), drawn)
    again.close()


def _mixer_pair(chooser) -> tuple[int, int, int]:
    return chooser.mix_a.value(), chooser.mix_b.value(), chooser.mix_slider.value()


def test_mixer_follows_the_digit_on_screen(cond_window, qtbot):
    w, chooser = cond_window, cond_window.ui.digit_chooser
    w.latent.choose_digit(9)
    chooser.mix_b.setValue(8)  # the mixer reads 9 → 8
    # What Find → Explore from here does with a found 7: soft weights, nearly all on 7.
    found = np.full(10, 0.0004, np.float32)
    found[7] = 1.0 - 9 * 0.0004
    w.history.record("Explore from found digit",
                     lambda: w.studio.go_to(w.studio.state.z, found))
    w.scheduler.flush()
    assert chooser.caption.text() == "digit 7"
    assert chooser.group.checkedId() == 7  # the digit button of what the caption says
    np.testing.assert_allclose(chooser.mixer_weights(), found, atol=0.006)
    # Nudging the mix slider blends from the 7 on screen, not from a stale 9 → 8.
    chooser.mix_slider.setValue(chooser.mix_slider.value() + 5)
    assert int(np.argmax(w.studio.state.class_weights)) == 7
    assert w.studio.state.class_weights[7] >= 0.9
    # On a path through blends of three classes the mixer holds the caption's two largest.
    keys = [np.array([0.5, 0.3, 0.2] + [0] * 7, np.float32),
            np.array([0, 0, 0.6, 0.4] + [0] * 6, np.float32)]
    for weights in keys:
        w.history.record("found", lambda wt=weights: w.studio.add_keyframe_at(
            w.studio.state.z, wt))
    w.path.set_t(0.0)
    w.scheduler.flush()
    assert chooser.caption.text() == "50 % 0 + 30 % 1 + 20 % 2"
    assert _mixer_pair(chooser) == (0, 1, 38)  # 30 / (50 + 30)


def _snap(w):
    return w.studio.snapshot()


def test_each_action_is_its_own_undo_step(cond_window, qtbot):
    w, chooser = cond_window, cond_window.ui.digit_chooser
    raw = w.ui.latent_sliders.rows[3].slider
    states = [_snap(w)]

    def act(action) -> None:
        action()
        states.append(_snap(w))

    def drag(slider, *positions) -> None:
        slider.setSliderDown(True)
        for p in positions:
            slider.setValue(p)
        slider.setSliderDown(False)

    act(lambda: chooser.group.button(3).click())
    act(lambda: chooser.mix_slider.setValue(30))  # a key press on the slider: 70 % 3 + 30 % 1
    act(lambda: chooser.mix_b.setValue(8))  # typed in a spin box: 70 % 3 + 30 % 8
    act(lambda: chooser.mix_a.setValue(2))  # 70 % 2 + 30 % 8
    act(lambda: drag(chooser.mix_slider, 40, 50, 60))
    act(lambda: drag(raw, 500, 650))
    assert w.history.stack.count() == len(states) - 1
    for expected in reversed(states[:-1]):
        w.history.stack.undo()
        assert _snap(w).same_as(expected)
    for expected in states[1:]:
        w.history.stack.redo()
        assert _snap(w).same_as(expected)
    # After two undos, a mixer edit is a step of its own, never folded into an older one.
    w.history.stack.undo()
    w.history.stack.undo()
    chooser.mix_b.setValue(5)
    assert w.history.stack.count() == len(states) - 2
    w.history.stack.undo()
    assert _snap(w).same_as(states[-3])


def _key(widget, qtbot, key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(widget, key, modifiers)


def test_undo_shortcut_works_in_a_spin_box(cond_window, qtbot):
    w, ui = cond_window, cond_window.ui
    chooser = ui.digit_chooser
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
    chooser.mix_slider.setValue(30)  # so that typing another B changes the blend

    def typed(box, text):
        def edit():
            box.selectAll()
            qtbot.keyClicks(box, text)
            _key(box, qtbot, Qt.Key.Key_Return)
        return edit

    # The morph's boxes only choose; Ctrl+Z there undoes the last edit made elsewhere.
    for box, edit in ((ui.controls.seed_box, typed(ui.controls.seed_box, "42")),
                      (chooser.mix_b, typed(chooser.mix_b, "8")),
                      (chooser.morph_to, lambda: w.latent.choose_digit(4))):
        box.setFocus()
        qtbot.waitUntil(box.hasFocus, timeout=5000)
        before = _snap(w)
        edit()
        after = _snap(w)
        assert not after.same_as(before), box
        _key(box, qtbot, Qt.Key.Key_Z, ctrl)
        assert _snap(w).same_as(before), box
        _key(box, qtbot, Qt.Key.Key_Z, ctrl | shift)
        assert _snap(w).same_as(after), box


def test_directions_follow_the_digit(cond_window, qtbot):
    w = cond_window
    first = w.studio.state.class_weights.copy()
    at_first = w.directions
    np.testing.assert_array_equal(at_first.class_weights, first)
    other = (int(np.argmax(first)) + 1) % 10
    w.latent.choose_digit(other)
    qtbot.waitUntil(lambda: w.directions is not None and np.array_equal(
        w.directions.class_weights, one_hot(other, 10)), timeout=10_000)
    assert w.ui.direction_sliders.rows  # the sliders are the new digit's
    # Back to the first digit: its directions come from the cache, at once.
    w.history.stack.undo()
    assert w.directions is at_first
