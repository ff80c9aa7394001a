"""Latent maths without Qt: seeds, edits, interpolation, playback timing, directions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.core.directions import compute_directions
from desktop_app.core.generator import Generator
from desktop_app.core.interpolation import (Keyframe, lerp, path_point, path_points,
                                            playhead, render_points, slerp)
from desktop_app.core.latent import LatentState, seed_vector

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
    points = path_points(keys, 5, "lerp")
    assert [float(p.z[0]) for p in points] == [0.0, 0.5, 1.0, 1.5, 2.0]


def test_digit_morph_crossfades_between_two_digits(model_dir):
    gen = Generator.from_path(model_dir / "conditional.onnx")
    z = seed_vector(0, 8)
    keys = [Keyframe(z, 2), Keyframe(z, 7)]
    ends = gen.generate(np.stack([z, z]), [2, 7])
    images = render_points(gen, path_points(keys, 3, "slerp"))
    assert np.allclose(images[0], ends[0]) and np.allclose(images[2], ends[1])
    assert np.allclose(images[1], 0.5 * (ends[0] + ends[1]), atol=1e-6)


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
