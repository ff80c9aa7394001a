"""`KeyframePath`: the keyframes a user lines up, the interpolation method and t: the
path the big view plays and scrubs, and the animation and strip exports draw.

Keyframes keep their class weights whatever model is loaded; the path runs through those
the loaded model can draw (class_fit.py) and skips the others. Every frame along it is
one generator call at (z_t, w_t) (interpolation.py): never a blend of two pictures. The
`Studio` owns one and announces every change to it.
"""

from __future__ import annotations

import numpy as np

from ..explore import class_fit, frames
from . import keyframes as kf
from .interpolation import METHODS, PathPoint, path_point
from .keyframes import Keyframe


def key_images(generator, keys) -> np.ndarray:
    """uint8 (n, 28, 28): each keyframe-like frame as `generator` draws it; black for one
    it cannot draw."""
    out = np.zeros((len(keys), 28, 28), np.uint8)
    fit = [i for i, k in enumerate(keys) if class_fit.drawable(k, generator)]
    if fit:
        out[fit] = frames.images(generator, [PathPoint(keys[i].z, keys[i].class_weights)
                                             for i in fit])
    return out


class KeyframePath:
    """`keys` (named A, B, C, … in path order unless the user chose a name), `method`
    ("lerp" or "slerp") and `t` in [0, 1]."""

    def __init__(self) -> None:
        self.keys: tuple[Keyframe, ...] = ()
        self.method = "slerp"
        self.t = 0.0

    def set_keys(self, keys) -> None:
        self.keys = tuple(kf.renumber(keys))

    def set_t(self, t: float) -> None:
        self.t = min(max(float(t), 0.0), 1.0)

    def set_method(self, method: str) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown interpolation {method!r}; use one of {METHODS}")
        self.method = method

    def drawable(self, generator) -> tuple[Keyframe, ...]:
        """The keyframes `generator` can draw: those the path runs through."""
        return tuple(k for k in self.keys if class_fit.drawable(k, generator))

    def point(self, generator, t: float | None = None) -> PathPoint:
        """(z, weights) at `t` (default: the path's own t); needs a drawable keyframe."""
        return path_point(self.drawable(generator), self.t if t is None else t, self.method)

    def images(self, generator, ts) -> np.ndarray:
        """uint8 (len(ts), 28, 28): frame i drawn at the path's (z_t, w_t), t = ts[i]."""
        keys = self.drawable(generator)
        if not keys:
            return np.zeros((0, 28, 28), np.uint8)
        return frames.images(generator, [path_point(keys, float(t), self.method)
                                         for t in ts])
