"""Latent maths without Qt: seeds, edits, interpolation, playback timing, directions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.core.models.classifier import Classifier
from desktop_app.core.explore.directions import compute_directions
from desktop_app.core.models.generator import Generator
from desktop_app.core.morph.interpolation import lerp, path_point, playhead, render_points, slerp
from desktop_app.core.morph.keyframes import Keyframe
from desktop_app.core.explore.latent import LatentState, seed_digit, seed_vector
from desktop_app.core.studio import Studio
from desktop_app.core.explore.weights import mix, one_hot

from .hypothesis_settings import quick

vectors = st.integers(0, 2**31 - 1).map(lambda s: seed_vector(s, 16))


def test_the_same_seed_draws_the_same_latent():
    assert np.array_equal(LatentState(32, seed=7).z, LatentState(32, seed=7).z)
    assert not np.array_equal(LatentState(32, seed=7).z, LatentState(32, seed=8).z)


def test_edits_truncation_and_reset():
    state = LatentState(4, seed=1)
    events = []
    state.subscribe(events.append)
    drawn = state.z.copy()
    state.set_raw(2, 3.5)
    assert state.raw[2] == pytest.approx(3.5) and state.z[2] == pytest.approx(3.5)
    state.set_truncation(0.5)
    assert state.z[2] == pytest.approx(1.75)
    state.set_directions(np.eye(4)[:2] * 2.0)
    state.set_coeff(1, 1.0)
    assert state.z[1] == pytest.approx(0.5 * drawn[1] + 2.0)
    state.reset()
    assert np.allclose(state.z, 0.5 * drawn)  # truncation is its own control
    assert events == ["raw", "truncation", "directions", "coeff", "reset"]


def test_a_loaded_latent_is_shown_exactly_and_reset_returns_to_it():
    state = LatentState(3)
    z = np.array([0.1, -2.0, 3.0], np.float32)
    state.set_z(z)
    state.set_raw(0, 1.0)
    state.reset()
    assert state.seed is None and np.array_equal(state.z, z)


def test_grid_starts_with_the_current_latent_and_shares_edits():
    state = LatentState(8, seed=3)
    state.set_raw(0, 2.0)
    grid = state.grid_z(64)
    assert grid.shape == (64, 8)
    assert np.array_equal(grid[0], state.z)
    assert len({row.tobytes() for row in grid}) == 64


@quick(max_examples=60)
@given(vectors, vectors)
def test_interpolation_hits_both_keyframes_exactly(a, b):
    for method in ("lerp", "slerp"):
        keys = [Keyframe(a), Keyframe(b)]
        assert np.array_equal(path_point(keys, 0.0, method).z, a)
        assert np.array_equal(path_point(keys, 1.0, method).z, b)


@quick(max_examples=60)
@given(vectors, vectors, st.floats(0.0, 1.0))
def test_slerp_keeps_the_norm_of_equal_norm_ends(a, b, t):
    b = b / np.linalg.norm(b) * np.linalg.norm(a)
    assert np.linalg.norm(slerp(a, b, t)) == pytest.approx(np.linalg.norm(a), rel=1e-4)


def test_slerp_interpolates_norms_and_handles_opposite_ends():
    a = np.array([3.0, 0.0], np.float32)
    b = np.array([0.0, 1.0], np.float32)
    assert np.linalg.norm(slerp(a, b, 0.5)) == pytest.approx(2.0)
    mid = slerp(a, -a, 0.5)
    assert np.linalg.norm(mid) == pytest.approx(3.0) and abs(mid @ a) < 1e-4
    # lerp through the middle of a sphere shortens the latent: what slerp avoids
    assert np.linalg.norm(lerp(a, -a, 0.5)) == pytest.approx(0.0)


def test_path_through_three_keyframes_visits_the_middle_one():
    keys = [Keyframe(np.full(4, float(i), np.float32), name=str(i)) for i in range(3)]
    assert np.array_equal(path_point(keys, 0.5, "lerp").z, keys[1].z)
    points = [path_point(keys, t, "lerp") for t in np.linspace(0.0, 1.0, 5)]
    assert [float(p.z[0]) for p in points] == [0.0, 0.5, 1.0, 1.5, 2.0]


def test_a_path_interpolates_z_and_the_weights_linearly():
    a, b = seed_vector(1, 8), seed_vector(2, 8)
    keys = [Keyframe(a, one_hot(2, 10)), Keyframe(b, mix(5, 9, 0.5, 10))]
    mid = path_point(keys, 0.25, "slerp")
    np.testing.assert_allclose(mid.z, slerp(a, b, 0.25))
    expected = 0.75 * one_hot(2, 10) + 0.25 * mix(5, 9, 0.5, 10)  # linear, even with slerp
    np.testing.assert_allclose(mid.class_weights, expected, atol=1e-7)
    np.testing.assert_array_equal(path_point(keys, 0.0).class_weights, keys[0].class_weights)
    np.testing.assert_array_equal(path_point(keys, 1.0).class_weights, keys[1].class_weights)
    assert path_point([Keyframe(a), Keyframe(b)], 0.5).class_weights is None


@pytest.mark.parametrize("method", ["lerp", "slerp"])
def test_a_mid_path_frame_is_the_generators_own_drawing_not_a_blend(model_dir, method):
    gen = Generator.from_path(model_dir / "conditional.onnx")
    za, zb = seed_vector(0, 8), seed_vector(1, 8)
    keys = [Keyframe(za, one_hot(2, 10)), Keyframe(zb, one_hot(7, 10))]
    frames = render_points(gen, [path_point(keys, t, method)
                                 for t in np.linspace(0.0, 1.0, 5)])
    ends = gen.generate(np.stack([za, zb]), np.stack([one_hot(2, 10), one_hot(7, 10)]))
    np.testing.assert_allclose(frames[[0, -1]], ends, atol=1e-6)
    t = 0.5
    z_t = slerp(za, zb, t) if method == "slerp" else lerp(za, zb, t)
    direct = gen.generate(z_t, mix(2, 7, t, 10))[0]  # G(z_t, w_t), computed here
    np.testing.assert_allclose(frames[2], direct, atol=1e-6)
    # The generator is non-linear (tanh of the mixed embedding): averaging the two end
    # images, the retired cross-fade, draws something visibly different.
    assert np.abs(frames[2] - 0.5 * (ends[0] + ends[1])).max() > 0.1


def test_the_digit_morph_keeps_the_latent_and_is_drawn_by_the_generator(model_dir):
    studio = Studio()
    studio.set_generator(Generator.from_path(model_dir / "conditional.onnx"))
    studio.morph_digits(3, 8)
    a, b = studio.keyframes
    assert np.array_equal(a.z, b.z)
    assert np.array_equal(a.class_weights, one_hot(3, 10))
    assert np.array_equal(b.class_weights, one_hot(8, 10))
    studio.show_path(0.3)
    frame = studio.render()
    direct = studio.generator.generate(a.z, mix(3, 8, 0.3, 10))[0]
    np.testing.assert_allclose(frame.first, direct, atol=1e-6)
    strip = studio.strip(5)
    assert strip.shape == (5, 28, 28) and len({f.tobytes() for f in strip}) == 5


def test_a_seed_draws_its_own_digit_reproducibly():
    states = [LatentState(8, seed=s, num_classes=10) for s in range(200)]
    digits = [int(np.argmax(st_.class_weights)) for st_ in states]
    assert digits == [seed_digit(s, 10) for s in range(200)]
    assert set(digits) == set(range(10))  # every digit comes up
    state = LatentState(8, seed=0, num_classes=10)
    events = []
    state.subscribe(events.append)
    state.set_digit(4)
    state.set_seed(17)
    assert np.array_equal(state.class_weights, one_hot(seed_digit(17, 10), 10))
    assert np.array_equal(state.z, LatentState(8, seed=17).z)  # the digit leaves z alone
    state.set_class_weights(mix(1, 6, 0.7, 10))
    state.set_seed(18, keep_weights=True)
    np.testing.assert_allclose(state.class_weights, mix(1, 6, 0.7, 10))
    assert events == ["class_weights", "seed", "class_weights", "seed"]
    assert LatentState(8, seed=0).class_weights is None  # unconditional: no weights


def test_truncation_scales_z_and_never_the_weights():
    state = LatentState(8, seed=5, num_classes=10)
    state.set_class_weights(mix(3, 8, 0.3, 10))
    drawn = state.z.copy()
    for value in (0.0, 0.5, 2.0):
        state.set_truncation(value)
        np.testing.assert_allclose(state.z, value * drawn, rtol=1e-6)
        np.testing.assert_allclose(state.class_weights, mix(3, 8, 0.3, 10))


@pytest.mark.parametrize("mode, elapsed, expected", [
    ("once", 0.5, (0.25, False)), ("once", 2.5, (1.0, True)),
    ("loop", 2.5, (0.25, False)), ("pingpong", 1.0, (0.5, False)),
    ("pingpong", 3.0, (0.5, False)), ("pingpong", 3.5, (0.25, False)),
])
def test_playback_timing(mode, elapsed, expected):
    t, done = playhead(elapsed, 2.0, mode)
    assert (pytest.approx(t), done) == (pytest.approx(expected[0]), expected[1])


def test_directions_are_the_images_main_axes_in_std_units(model_dir):
    gen = Generator.from_path(model_dir / "generator16.onnx")
    d = compute_directions(gen, count=10, samples=1024)
    assert d.steps.shape == (10, 16)
    # one step = one standard deviation of N(0, I) latents along a unit direction
    assert np.allclose(np.linalg.norm(d.steps, axis=1), 1.0, atol=0.15)
    assert np.all(np.diff(d.explained) <= 1e-6) and 0 < d.explained.sum() <= 1
    z = seed_vector(5, 16)
    change = [np.abs(gen.generate(z + 2 * s) - gen.generate(z)).mean() for s in d.steps]
    assert change[0] > change[-1]  # the first direction moves the image most
    again = compute_directions(gen, count=10, samples=1024)
    assert np.allclose(again.steps, d.steps)  # same model, same sliders


def test_directions_never_exceed_the_latent_dim(model_dir):
    gen = Generator.from_path(model_dir / "conditional.onnx")
    assert compute_directions(gen, count=12, samples=512).count == 8


def test_directions_at_fixed_weights_change_the_style_and_never_the_digit(model_dir):
    gen = Generator.from_path(model_dir / "conditional.onnx")
    clf = Classifier.from_path(model_dir / "classifier.onnx")
    blend = mix(3, 8, 0.25, 10)
    d = compute_directions(gen, count=4, samples=512, class_weights=blend)
    np.testing.assert_allclose(d.class_weights, blend)
    studio = Studio()
    studio.set_generator(gen)
    studio.state.set_digit(3)
    studio.state.set_directions(d.steps)
    before = studio.render().first
    for i in range(d.count):
        for c in (-3.0, 3.0):
            studio.state.set_coeff(i, c)
            np.testing.assert_array_equal(studio.state.class_weights, one_hot(3, 10))
            frame = studio.render().first
            np.testing.assert_allclose(frame, gen.generate(studio.state.z, one_hot(3, 10))[0],
                                       atol=1e-6)
            assert clf.verdict(frame).digit == 3
        studio.state.set_coeff(i, 0.0)
    studio.state.set_coeff(0, 3.0)
    assert np.abs(studio.render().first - before).max() > 0.05  # the style did change
    other = compute_directions(gen, count=4, samples=512, class_weights=one_hot(7, 10))
    assert not np.allclose(other.steps, d.steps)  # sampled at the weights asked for
