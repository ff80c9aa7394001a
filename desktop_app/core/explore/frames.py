"""Latents to pixels for the big view: `Frame`, the 8×8 tiling, and a second model beside
the first (`why_not_side_by_side` says when two models cannot draw the same latent).

Every image is drawn by a generator at its own (z, class weights); nothing here mixes
two pictures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..morph.interpolation import PathPoint, render_points
from ..pixels import tile, to_uint8

GRID_SIDE = 8
GRID_GAP = 1
GRID_LINE = 48  # a dim grey line between cells, distinct from the black background


@dataclass(frozen=True)
class Frame:
    """One rendered frame: `pixels` uint8 (h, w); `first` the float (28, 28) image of the
    frame on screen (the grid's top-left), for the classifier; `compare` the same latents
    drawn by the second model, uint8 (h, w), or None when nothing is compared."""

    pixels: np.ndarray
    first: np.ndarray
    compare: np.ndarray | None = None


def draw(generator, z: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """(n, 28, 28) float32: z (n, latent_dim); weights (num_classes,) for every sample or
    (n, num_classes), ignored by an unconditional generator."""
    return generator.generate(z, weights if generator.conditional else None)


def layout(images: np.ndarray) -> np.ndarray:
    """uint8 pixels of the big view: one image, or the grid of them."""
    pixels = to_uint8(images)
    return tile(pixels, GRID_SIDE, GRID_GAP, GRID_LINE) if len(pixels) > 1 else pixels[0]


def render(generator, z: np.ndarray, weights: np.ndarray | None, compare=None) -> Frame:
    """The frame for latents z (n, latent_dim) and their weights, drawn by `generator` and,
    if given, by the `compare` generator beside it."""
    images = draw(generator, z, weights)
    second = layout(draw(compare, z, weights)) if compare is not None else None
    return Frame(layout(images), images[0], second)


def images(generator, points: Sequence[PathPoint]) -> np.ndarray:
    """uint8 (n, 28, 28): point i drawn by `generator` at its (z, weights)."""
    if not points or generator is None:
        return np.zeros((0, 28, 28), np.uint8)
    return to_uint8(render_points(generator, list(points)))


def why_not_side_by_side(current, other) -> str | None:
    """One sentence saying why `other` cannot draw the latents of `current`, or None when it
    can (same latent size, the same number of classes, and the same kind of class: digits
    or clusters)."""
    a, b = current.path.name, other.path.name
    if other.latent_dim != current.latent_dim:
        return (f"{b} takes {other.latent_dim}-d latents and {a} {current.latent_dim}-d, so "
                f"they cannot draw the same latent side by side.")
    if (other.num_classes, other.clusters) != (current.num_classes, current.clusters):
        def kind(g) -> str:
            if g.clusters:
                return f"{g.num_classes} clusters"
            return f"{g.num_classes} digit classes" if g.num_classes else "no digit classes"
        what = "class" if current.clusters or other.clusters else "digit"
        return (f"{b} has {kind(other)} and {a} {kind(current)}, so they cannot draw the "
                f"same {what} side by side.")
    return None
