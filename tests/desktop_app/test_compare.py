"""A second model side by side on the same latent: it draws exactly what the first draws
(latent, grid, path frame), and one that cannot is refused with one sentence."""

from __future__ import annotations

import numpy as np

from desktop_app.core.pixels import to_uint8
from desktop_app.core.explore.frames import why_not_side_by_side
from desktop_app.core.models.generator import Generator


def test_why_not_names_both_models_and_the_reason(model_dir):
    a = Generator.from_path(model_dir / "generator.onnx")
    assert why_not_side_by_side(a, Generator.from_path(model_dir / "generator_b.onnx")) is None
    size = why_not_side_by_side(a, Generator.from_path(model_dir / "generator16.onnx"))
    assert "generator16.onnx takes 16-d" in size and "generator.onnx 8-d" in size
    classes = why_not_side_by_side(a, Generator.from_path(model_dir / "conditional.onnx"))
    assert "10 digit classes" in classes and "no digit classes" in classes
    assert size.count(".") == classes.count(".") == 3  # one sentence (dots in file names)


def _second(w):
    w.scheduler.flush()
    return w.ui.compare.view.pixels()


def test_the_second_model_draws_the_same_latent(loaded, qtbot, model_dir):
    w = loaded
    assert not w.ui.compare.isVisibleTo(w)
    assert w.compare.open(model_dir / "generator_b.onnx")
    assert w.ui.compare.isVisibleTo(w)
    assert "generator_b.onnx" in w.ui.compare.title.text()
    other = Generator.from_path(model_dir / "generator_b.onnx")
    assert np.array_equal(_second(w), to_uint8(other.generate(w.studio.state.z))[0])
    assert not np.array_equal(_second(w), w.ui.digit_view.pixels())  # another model
    w.ui.controls.seed_box.setValue(31)
    assert np.array_equal(_second(w), to_uint8(other.generate(w.studio.state.z))[0])
    w.ui.grid_box.setChecked(True)
    assert _second(w).shape == w.ui.digit_view.pixels().shape == (231, 231)
    w.ui.grid_box.setChecked(False)
    w.path.add_keyframe()
    w.ui.controls.seed_box.setValue(32)
    w.path.add_keyframe()
    w.path.set_t(0.5)
    point = w.studio.point()
    assert np.array_equal(_second(w), to_uint8(other.generate(point.z))[0])
    w.ui.compare.stop_button.click()
    assert not w.ui.compare.isVisibleTo(w) and w.studio.compare_generator is None


def test_a_model_that_cannot_draw_the_latent_is_refused(loaded, qtbot, model_dir):
    w = loaded
    assert not w.compare.open(model_dir / "generator16.onnx")
    assert "cannot draw the same latent" in w.ui.message_bar.text()
    assert not w.ui.compare.isVisibleTo(w) and w.studio.compare_generator is None
    assert not w.compare.open(model_dir / "classifier.onnx")  # not a generator at all
    assert w.studio.compare_generator is None


def test_opening_a_main_model_of_another_size_stops_comparing(loaded, qtbot, model_dir):
    w = loaded
    assert w.compare.open(model_dir / "generator_b.onnx")
    assert w.open_model(model_dir / "generator16.onnx")
    assert w.studio.compare_generator is None and not w.ui.compare.isVisibleTo(w)
    assert "stopped comparing with generator_b.onnx" in w.statusBar().currentMessage()
    w.scheduler.flush()
    assert w.ui.digit_view.pixels() is not None
