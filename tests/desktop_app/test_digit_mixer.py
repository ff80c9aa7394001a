"""The digit controls of a conditional model, driven like a user would: buttons and keys
0-9 set one-hot weights, the mixer holds a blend, and whatever they show is what is drawn,
G(current z, current weights)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from desktop_app.core.pixels import to_uint8
from desktop_app.core.explore.latent import seed_digit
from desktop_app.core.explore.weights import mix, one_hot


def _frame(window, qtbot, action) -> np.ndarray:
    with qtbot.waitSignal(window.frameRendered, timeout=5000):
        action()
    return window.ui.digit_view.pixels()


def _drawn_from_state(window) -> np.ndarray:
    """What the controls claim: the generator's image of the current z and weights."""
    state = window.studio.state
    return to_uint8(window.studio.generator.generate(state.z, state.class_weights))[0]


@pytest.fixture
def conditional(window, qtbot, model_dir):
    with qtbot.waitSignal(window.directionsReady, timeout=10_000):
        assert window.open_model(model_dir / "conditional.onnx")
    qtbot.waitUntil(lambda: window.ui.digit_view.pixels() is not None, timeout=5000)
    return window


def test_digit_buttons_and_keys_set_one_hot_weights(conditional, qtbot):
    w, chooser = conditional, conditional.ui.digit_chooser
    shown = _frame(w, qtbot, lambda: chooser.group.button(6).click())
    assert np.array_equal(w.studio.state.class_weights, one_hot(6, 10))
    assert np.array_equal(shown, _drawn_from_state(w))
    assert chooser.group.checkedId() == 6 and chooser.caption.text() == "digit 6"
    w.activateWindow()
    w.ui.digit_view.setFocus()
    shown = _frame(w, qtbot, lambda: qtbot.keyClick(w.ui.digit_view, Qt.Key.Key_2))
    assert np.array_equal(w.studio.state.class_weights, one_hot(2, 10))
    assert np.array_equal(shown, _drawn_from_state(w))
    assert chooser.group.checkedId() == 2


def test_the_mixer_holds_a_blend_and_the_frame_is_that_blend(conditional, qtbot):
    w, chooser = conditional, conditional.ui.digit_chooser
    _frame(w, qtbot, lambda: chooser.group.button(3).click())
    chooser.mix_b.setValue(8)  # at 0 % of B: still a pure 3
    assert np.array_equal(w.studio.state.class_weights, one_hot(3, 10))
    shown = _frame(w, qtbot, lambda: chooser.mix_slider.setValue(30))
    np.testing.assert_allclose(w.studio.state.class_weights, mix(3, 8, 0.3, 10), atol=1e-6)
    assert np.array_equal(shown, _drawn_from_state(w))
    assert chooser.caption.text() == "70 % 3 + 30 % 8"
    assert chooser.group.checkedId() == -1  # a blend is no single digit
    pure3 = to_uint8(w.studio.generator.generate(w.studio.state.z, one_hot(3, 10)))[0]
    assert not np.array_equal(shown, pure3)
    # All the way across: a pure 8, and its button lights up without moving the mixer.
    _frame(w, qtbot, lambda: chooser.mix_slider.setValue(100))
    assert np.array_equal(w.studio.state.class_weights, one_hot(8, 10))
    assert chooser.group.checkedId() == 8 and chooser.mix_slider.value() == 100
    # A button puts the mixer back at "all of A".
    _frame(w, qtbot, lambda: chooser.group.button(5).click())
    assert (chooser.mix_a.value(), chooser.mix_slider.value()) == (5, 0)


def test_the_blend_survives_seed_edits_and_keyframes(conditional, qtbot):
    w, chooser = conditional, conditional.ui.digit_chooser
    chooser.mix_a.setValue(1)
    chooser.mix_b.setValue(7)
    _frame(w, qtbot, lambda: chooser.mix_slider.setValue(40))
    blend = mix(1, 7, 0.4, 10)
    qtbot.waitUntil(lambda: w.ui.latent_sliders.complete)
    row = w.ui.latent_sliders.rows[0]
    shown = _frame(w, qtbot, lambda: row.slider.setValue(row.slider.maximum()))
    np.testing.assert_allclose(w.studio.state.class_weights, blend, atol=1e-6)
    assert np.array_equal(shown, _drawn_from_state(w))
    w.path.add_keyframe()
    assert w.ui.interpolation.keyframe_list.item(0).text() == "A · 60 % 1 + 40 % 7"
    np.testing.assert_allclose(w.studio.keyframes[0].class_weights, blend, atol=1e-6)
    # A new seed is a new random sample: it draws the seed's own digit.
    _frame(w, qtbot, lambda: w.ui.controls.seed_box.setValue(1234))
    weights = w.studio.state.class_weights
    assert weights.max() == 1.0 and chooser.group.checkedId() == int(np.argmax(weights))
    assert np.array_equal(w.ui.digit_view.pixels(), _drawn_from_state(w))
    # Entering keyframe A brings its blend back, in the controls and on screen.
    w.ui.interpolation.keyframe_list.setCurrentRow(0)
    shown = _frame(w, qtbot, lambda: qtbot.keyClick(w.ui.interpolation.keyframe_list,
                                                    Qt.Key.Key_Return))
    np.testing.assert_allclose(w.studio.state.class_weights, blend, atol=1e-6)
    assert chooser.caption.text() == "60 % 1 + 40 % 7"
    assert np.array_equal(shown, _drawn_from_state(w))


def test_the_blend_is_remembered_across_a_restart(conditional, qtbot, model_dir):
    from desktop_app.views.main_window import MainWindow

    chooser = conditional.ui.digit_chooser
    _frame(conditional, qtbot, lambda: conditional.ui.controls.seed_box.setValue(77))
    chooser.mix_a.setValue(4)
    chooser.mix_b.setValue(9)
    _frame(conditional, qtbot, lambda: chooser.mix_slider.setValue(25))
    conditional.close()
    again = MainWindow()
    qtbot.addWidget(again)
    again.open_model(model_dir / "conditional.onnx")
    assert again.studio.state.seed == 77
    np.testing.assert_allclose(again.studio.state.class_weights, mix(4, 9, 0.25, 10),
                               atol=1e-5)
    again.close()


def test_changing_the_digit_changes_the_classifier_verdict(window, qtbot, model_dir):
    window.open_model(model_dir / "conditional.onnx")
    assert window.ui.digit_group.isVisible()
    qtbot.waitUntil(lambda: window.ui.verdict.verdict is not None)
    assert window.ui.verdict.verdict.digit == seed_digit(0, 10)  # seed 0 draws its own digit
    for digit in (7, 3):
        _frame(window, qtbot, lambda d=digit: window.ui.digit_chooser.group.button(d).click())
        # The verdict follows the painted frame within a display frame, by its own timer.
        qtbot.waitUntil(lambda d=digit: window.ui.verdict.verdict.digit == d, timeout=2000)
        assert window.ui.verdict.verdict.confidence > 0.9
        assert f"says {digit} ·" in window.ui.verdict.text()


def test_morphing_two_digits_keeps_the_latent(window, qtbot, model_dir):
    window.open_model(model_dir / "conditional.onnx")
    window.ui.digit_chooser.morph_from.setValue(2)
    window.ui.digit_chooser.morph_to.setValue(5)
    _frame(window, qtbot, window.ui.digit_chooser.morph_button.click)
    window.flush_verdict()
    assert window.ui.verdict.verdict.digit == 2
    z = [k.z for k in window.studio.keyframes]
    assert np.array_equal(z[0], z[1])
    assert window.ui.interpolation.keyframe_list.item(1).text() == "B · digit 5"
    _frame(window, qtbot, lambda: window.path.set_t(1.0))
    window.flush_verdict()
    assert window.ui.verdict.verdict.digit == 5
    # Half-way the generator draws one image from the half-and-half weights.
    shown = _frame(window, qtbot, lambda: window.path.set_t(0.5))
    gen = window.studio.generator
    direct = gen.generate(z[0], np.eye(10, dtype=np.float32)[[2, 5]].mean(axis=0))
    assert np.array_equal(shown, to_uint8(direct)[0])
    assert window.ui.digit_chooser.caption.text() == "50 % 2 + 50 % 5"


def test_the_chooser_shows_the_weights_it_is_given_again_after_a_click_went_nowhere(qtbot):
    """Frames call show_weights with unchanged weights and it skips the work then; a click
    that did not change them (nothing listening here) must still be undone by the next."""
    from desktop_app.views.explore.digit_chooser import DigitChooserWidget

    chooser = DigitChooserWidget()
    qtbot.addWidget(chooser)
    chooser.show_weights(one_hot(2, 10))
    chooser.group.button(7).click()
    assert chooser.group.checkedId() == 7
    chooser.show_weights(one_hot(2, 10))
    assert chooser.group.checkedId() == 2
    chooser.mix_slider.setValue(40)  # a mixer edit nobody answered
    chooser.show_weights(one_hot(2, 10))
    assert chooser.mix_slider.value() == 0 and chooser.mix_a.value() == 2
    assert "2" in chooser.caption.text()
