"""`Controls` and `Snapshot`: the two views of a `Studio` that leave it.

`Controls` is what every control shows for the frame on screen; `Snapshot` is the user's
work at one moment, which undo brings back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .explore.directions import Directions
from .explore.latent import LatentSnapshot
from .morph.keyframes import Keyframe


@dataclass(frozen=True)
class Controls:
    """What the controls show: the displayed frame's latent, written as seed, truncation,
    raw values, direction coefficients and class weights. A path frame reads as a custom
    latent (no seed, truncation 1, directions 0), exactly what editing it starts from."""

    seed: int | None
    truncation: float
    raw: np.ndarray
    coeffs: np.ndarray
    class_weights: np.ndarray | None


@dataclass(frozen=True)
class Snapshot:
    """The user's work at one moment, for undo: latent, keyframes, what was on screen,
    bookmarks, and the directions the latent's coefficients were set along (with the
    serial number of the model they belong to)."""

    latent: LatentSnapshot
    keyframes: tuple[Keyframe, ...]
    display: str
    t: float
    bookmarks: tuple[Keyframe, ...] = ()
    directions: Directions | None = None
    model: int = 0

    def same_as(self, other: "Snapshot") -> bool:
        return (self.display == other.display and self.t == other.t
                and _same_keys(self.keyframes, other.keyframes)
                and _same_keys(self.bookmarks, other.bookmarks)
                and self.latent.same_as(other.latent))


def _same_keys(a: tuple[Keyframe, ...], b: tuple[Keyframe, ...]) -> bool:
    def same(x: Keyframe, y: Keyframe) -> bool:
        wx, wy = x.class_weights, y.class_weights
        return x is y or (x.name == y.name and np.array_equal(x.z, y.z)
                          and x.classes == y.classes and (wx is None) == (wy is None)
                          and (wx is None or np.array_equal(wx, wy)))
    return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
