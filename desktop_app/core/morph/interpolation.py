"""Paths through keyframes: linear and spherical interpolation, and playback timing.

A path through keyframes K0 … K(n-1) is parameterised by t in [0, 1]: t = 0 is K0,
t = 1 is the last keyframe, and each segment gets an equal share of t.

Conditional generators take class weights (a point on the simplex, contract v2). A path
interpolates both: lerp or slerp for z, a straight line for the weights (a straight line
between two points of the simplex stays on it). Every point is drawn by ONE generator call
G(z_t, w_t); no two images are ever mixed. With the same z at both ends and one-hot
weights for digits a and b, this is the "morph between two digits, same latent" mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .keyframes import Keyframe

METHODS = ("lerp", "slerp")
MODES = ("once", "loop", "pingpong")


@dataclass(frozen=True)
class PathPoint:
    """What to draw at some t: the image is G(z, class_weights), one generator call."""

    z: np.ndarray
    class_weights: np.ndarray | None = None


def lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Straight line from a (t = 0) to b (t = 1); exact at both ends."""
    a = np.asarray(a, np.float32)
    b = np.asarray(b, np.float32)
    return ((1.0 - t) * a + t * b).astype(np.float32)


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation: the direction turns along the great circle from a to b
    while the length goes linearly from |a| to |b|, so equal-norm ends keep their norm.

    Why not straight lerp: N(0, I) latents live near a sphere of radius sqrt(latent_dim);
    the middle of a straight line is shorter and gives washed-out, atypical digits.
    """
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    if t <= 0.0:
        return a.astype(np.float32)
    if t >= 1.0:
        return b.astype(np.float32)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na < 1e-12 or nb < 1e-12:
        return lerp(a, b, t)
    ua, ub = a / na, b / nb
    omega = np.arccos(np.clip(ua @ ub, -1.0, 1.0))
    if omega < 1e-6:
        direction = ua
    elif np.pi - omega < 1e-6:
        # Opposite ends: every great circle works; turn through an axis orthogonal to a.
        helper = np.zeros_like(ua)
        helper[np.argmin(np.abs(ua))] = 1.0
        ortho = helper - (helper @ ua) * ua
        ortho /= np.linalg.norm(ortho)
        direction = np.cos(np.pi * t) * ua + np.sin(np.pi * t) * ortho
    else:
        direction = (np.sin((1 - t) * omega) * ua + np.sin(t * omega) * ub) / np.sin(omega)
    return (direction * ((1 - t) * na + t * nb)).astype(np.float32)


def interpolate(a: np.ndarray, b: np.ndarray, t: float, method: str) -> np.ndarray:
    if method not in METHODS:
        raise ValueError(f"unknown interpolation {method!r}; use one of {METHODS}")
    return slerp(a, b, t) if method == "slerp" else lerp(a, b, t)


def path_point(keyframes: Sequence[Keyframe], t: float, method: str = "slerp") -> PathPoint:
    """The point at t in [0, 1] along the keyframes (at least one)."""
    if not keyframes:
        raise ValueError("the path needs at least one keyframe")
    t = float(np.clip(t, 0.0, 1.0))
    if len(keyframes) == 1:
        return PathPoint(keyframes[0].z, keyframes[0].class_weights)
    pos = t * (len(keyframes) - 1)
    i = min(int(pos), len(keyframes) - 2)
    local = pos - i
    a, b = keyframes[i], keyframes[i + 1]
    z = interpolate(a.z, b.z, local, method)
    if a.class_weights is None or b.class_weights is None:
        weights = a.class_weights
    else:
        # Linear, whatever the z method: slerp's sphere has no meaning on the simplex.
        weights = lerp(a.class_weights, b.class_weights, local)
    return PathPoint(z, weights)


def render_points(generator, points: Sequence[PathPoint]) -> np.ndarray:
    """Images of the points in one batch: (n, 28, 28) float32, image i = G(z_i, w_i).

    Conditional generators need weights on every point (ValueError otherwise).
    """
    z = np.stack([p.z for p in points]).astype(np.float32)
    if not generator.conditional:
        return generator.generate(z)
    if any(p.class_weights is None for p in points):
        raise ValueError("a conditional generator needs class weights on every path point")
    return generator.generate(z, np.stack([p.class_weights for p in points]))


def playhead(elapsed_s: float, period_s: float, mode: str) -> tuple[float, bool]:
    """Where playback is after `elapsed_s` seconds, one pass taking `period_s`.

    Returns (t in [0, 1], finished). "once" stops at 1; "loop" jumps back to 0;
    "pingpong" runs 0 → 1 → 0 and repeats.
    """
    if mode not in MODES:
        raise ValueError(f"unknown playback mode {mode!r}; use one of {MODES}")
    cycles = max(elapsed_s, 0.0) / max(period_s, 1e-6)
    if mode == "once":
        return min(cycles, 1.0), cycles >= 1.0
    if mode == "loop":
        return cycles % 1.0, False
    phase = cycles % 2.0
    return (phase if phase <= 1.0 else 2.0 - phase), False


def elapsed_for(t: float, period_s: float) -> float:
    """The elapsed time at which a forward pass reaches t (to resume playback from t)."""
    return float(np.clip(t, 0.0, 1.0)) * period_s
