"""Animated exports: frame count, durations from fps, easing that moves t but never the
ends, GIF / APNG / WebP round trips through Pillow, and every frame drawn by the generator."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageSequence

from desktop_app.core.morph import animation
from desktop_app.core.morph.animation import AnimationOptions
from desktop_app.core.pixels import to_uint8
from desktop_app.core.models.generator import Generator
from desktop_app.core.studio import Studio
from desktop_app.core.explore.weights import one_hot


def test_path_times_count_and_exact_ends():
    for easing in animation.EASINGS:
        ts = animation.path_times(9, easing)
        assert len(ts) == 9
        assert ts[0] == 0.0 and ts[-1] == 1.0
        assert np.all(np.diff(ts) > 0)
    with pytest.raises(ValueError):
        animation.path_times(1)


def test_easing_changes_the_spacing_not_the_ends():
    linear = animation.path_times(11, "linear")
    eased = animation.path_times(11, "ease-in-out")
    assert np.allclose(np.diff(linear), 0.1)
    steps = np.diff(eased)
    # Slow at the keyframes, fastest half-way, symmetric.
    assert steps[0] < 0.1 < steps[5]
    assert np.allclose(steps, steps[::-1])
    assert not np.allclose(eased, linear)


def test_durations_follow_fps():
    assert animation.frame_duration_ms(25, "GIF") == 40
    assert animation.frame_duration_ms(30, "GIF") == 30  # hundredths of a second
    assert animation.frame_duration_ms(30, "APNG") == 33
    assert animation.frame_duration_ms(60, "WebP") == 17
    assert animation.frame_duration_ms(60, "GIF") == 20  # GIF's slowest-safe floor


def test_options_refuse_nonsense():
    for bad in ({"fps": 0}, {"count": 1}, {"scale": 0}, {"easing": "bounce"},
                {"fmt": "AVI"}):
        with pytest.raises(ValueError):
            AnimationOptions(**bad)


def test_gif_and_apng_are_always_offered():
    formats = animation.available_formats()
    assert formats[:2] == ["GIF", "APNG"]
    assert set(formats) <= set(animation.FORMATS)


@pytest.mark.parametrize("fmt", animation.available_formats())
def test_each_format_round_trips_through_pillow(fmt, tmp_path):
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)  # all different
    options = AnimationOptions(fps=20, count=5, scale=2, fmt=fmt)
    path = animation.save(tmp_path / f"a{options.suffix}", frames, options)
    with Image.open(path) as image:
        assert image.format == animation.FORMATS[fmt][0]
        assert image.n_frames == 5 and image.size == (56, 56)
        assert image.info.get("loop") == 0
        for i, frame in enumerate(ImageSequence.Iterator(image)):
            got = np.asarray(frame.convert("L"))[::2, ::2]  # loads the frame and its info
            assert frame.info["duration"] == 50
            assert np.array_equal(got, frames[i]), f"{fmt} frame {i} is not lossless"


@pytest.fixture
def studio(model_dir):
    s = Studio()
    s.set_generator(Generator.from_path(model_dir / "conditional.onnx"))
    z = s.state.z.copy()
    s.add_keyframe_at(z, one_hot(2, 10))
    s.add_keyframe_at(-z, one_hot(7, 10))
    return s


def test_every_frame_is_drawn_by_the_generator_at_its_point(studio):
    ts = animation.path_times(6, "ease-in-out")
    frames = studio.path_frames(ts)
    assert frames.shape == (6, 28, 28)
    for t, frame in zip(ts, frames):
        point = studio.point(float(t))
        drawn = to_uint8(studio.generator.generate(point.z, point.class_weights))[0]
        assert np.array_equal(frame, drawn)
    # Not a cross-fade: the middle frame is not the mean of the two ends.
    middle = studio.path_frames([0.5])[0].astype(int)
    blend = (frames[0].astype(int) + frames[-1].astype(int)) // 2
    assert not np.array_equal(middle, blend)


def test_the_dialog_offers_what_pillow_writes_and_remembers_choices(loaded, qtbot):
    w = loaded
    dialog = w.files.animation_dialog()
    qtbot.addWidget(dialog)
    offered = [dialog.format.itemData(i) for i in range(dialog.format.count())]
    assert offered == animation.available_formats()
    assert dialog.count.value() == 50  # one 2-second pass at 25 fps
    dialog.fps.setValue(10)
    dialog.count.setValue(30)
    dialog.scale.setValue(3)
    assert dialog.summary.text() == "84×84 pixels · 3.00 s per pass"
    dialog.easing.setCurrentIndex(dialog.easing.findData("ease-in-out"))
    dialog.format.setCurrentIndex(dialog.format.findData("APNG"))
    chosen = dialog.options()
    assert chosen == AnimationOptions(10, 30, 3, "ease-in-out", "APNG")
    from desktop_app.views.morph.animation_dialog import save_options

    save_options(w.settings, chosen)
    again = w.files.animation_dialog()
    qtbot.addWidget(again)
    assert again.options() == chosen


def test_the_window_exports_the_path_it_shows(cond_window, qtbot, tmp_path):
    w = cond_window
    w.path.add_keyframe()
    w.latent.choose_digit(7)
    w.ui.controls.seed_box.setValue(9)
    w.path.add_keyframe()
    w.ui.interpolation.pingpong.setChecked(True)  # there and back: 2·7 − 2 frames
    options = AnimationOptions(fps=12, count=7, scale=1, easing="ease-in-out", fmt="APNG")
    assert w.files.export_animation(tmp_path / "m.png", options)
    expected = w.studio.path_frames(animation.path_times(7, "ease-in-out"))
    with Image.open(tmp_path / "m.png") as image:
        got = [np.asarray(f.convert("L")) for f in ImageSequence.Iterator(image)]
        assert image.info["duration"] == 83
    assert len(got) == 12
    assert np.array_equal(got[0], expected[0]) and np.array_equal(got[6], expected[6])
    assert np.array_equal(got[7], expected[5])  # on the way back
    assert "Exported m.png" in w.statusBar().currentMessage()


def test_grey_levels_clip_and_black_out_what_a_broken_model_returns():
    x = np.array([np.nan, np.inf, -np.inf, -0.5, 0.0, 0.25, 0.999, 1.0, 7.0], np.float32)
    assert to_uint8(x).tolist() == [0, 255, 0, 0, 0, 64, 255, 255, 255]


def test_the_grid_puts_image_i_at_row_i_div_cols_and_fills_the_gaps():
    from desktop_app.core.pixels import tile

    images = np.arange(1, 6, dtype=np.uint8)[:, None, None] * np.ones((5, 2, 3), np.uint8)
    out = tile(images, 3, gap=1, fill=9)
    assert out.shape == (2 * 3 - 1, 3 * 4 - 1)
    assert (out[0:2, 0:3] == 1).all() and (out[0:2, 8:11] == 3).all()
    assert (out[3:5, 4:7] == 5).all()
    assert (out[2, :] == 9).all() and (out[:, 3] == 9).all()  # the gaps
    assert (out[3:5, 8:11] == 9).all()  # the empty sixth cell
