"""Keyframes, linear and spherical interpolation along them, and playback timing.

A path through keyframes K0 … K(n-1) is parameterised by t in [0, 1]: t = 0 is K0,
t = 1 is the last keyframe, and each segment gets an equal share of t.

Conditional generators take the digit as an integer label, which cannot be interpolated.
Between two keyframes with different digits the latent is interpolated as usual and the
two digits' images of that latent are cross-faded (`PathPoint.blend`); with the same latent
at both ends this is the "morph between two digits, same latent" mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

METHODS = ("lerp", "slerp")
MODES = ("once", "loop", "pingpong")


@dataclass(frozen=True)
class Keyframe:
    """One stop on the path: a latent (latent_dim,) float32 and, for conditional models, a digit."""

    z: np.ndarray
    label: int | None = None
    name: str = ""


@dataclass(frozen=True)
class PathPoint:
    """What to draw at some t: latent `z`; image = (1-blend)·G(z, label) + blend·G(z, label_b)."""

    z: np.ndarray
    label: int | None = None
    label_b: int | None = None
    blend: float = 0.0


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
        return PathPoint(keyframes[0].z, keyframes[0].label)
    pos = t * (len(keyframes) - 1)
    i = min(int(pos), len(keyframes) - 2)
    local = pos - i
    a, b = keyframes[i], keyframes[i + 1]
    z = interpolate(a.z, b.z, local, method)
    if a.label == b.label or local == 0.0:
        return PathPoint(z, a.label)
    if local == 1.0:
        return PathPoint(z, b.label)
    return PathPoint(z, a.label, b.label, local)


def path_points(keyframes: Sequence[Keyframe], count: int, method: str = "slerp"
                ) -> list[PathPoint]:
    """`count` evenly spaced points from the first keyframe to the last (both included)."""
    ts = np.linspace(0.0, 1.0, max(count, 1)) if count > 1 else [0.0]
    return [path_point(keyframes, float(t), method) for t in ts]


def render_points(generator, points: Sequence[PathPoint]) -> np.ndarray:
    """Images of the points in one batch: (n, 28, 28) float32; cross-fades where blend > 0."""
    z = np.stack([p.z for p in points]).astype(np.float32)
    if not generator.conditional:
        return generator.generate(z)
    la = np.array([0 if p.label is None else p.label for p in points], np.int64)
    lb = np.array([a if p.label_b is None else p.label_b for a, p in zip(la, points)], np.int64)
    w = np.array([p.blend for p in points], np.float32)[:, None, None]
    if not w.any():
        return generator.generate(z, la)
    both = generator.generate(np.concatenate([z, z]), np.concatenate([la, lb]))
    n = len(points)
    return ((1 - w) * both[:n] + w * both[n:]).astype(np.float32)


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
