"""`Studio`: everything one window explores, without Qt — models, latent, keyframes, frames.

The Qt main window forwards user actions here and paints what `render()` returns, so the
behaviour behind every control can be tested without a display.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .classifier import Classifier, Verdict
from .export import tile, to_uint8
from .files import LatentFile
from .generator import Generator
from .interpolation import Keyframe, PathPoint, path_point, path_points, render_points
from .latent import LatentState
from .weights import check as check_weights, one_hot

GRID_SIDE = 8
GRID_GAP = 1
GRID_LINE = 48  # a dim grey line between cells, distinct from the black background


@dataclass(frozen=True)
class Frame:
    """One rendered frame: `pixels` uint8 (h, w); `first` the float (28, 28) image of the
    current latent (the grid's top-left), for the classifier."""

    pixels: np.ndarray
    first: np.ndarray
    compute_s: float


class Studio:
    """Models, latent state, keyframes and what is on screen ("latent" or "path" at t)."""

    def __init__(self) -> None:
        self.generator: Generator | None = None
        self.classifier: Classifier | None = None
        self.state: LatentState | None = None
        self.keyframes: list[Keyframe] = []
        self.method = "slerp"
        self.t = 0.0
        self.source = "latent"  # what the main view shows: the latent, or the path at t
        self.grid = False
        self._listeners: list[Callable[[str], None]] = []

    def subscribe(self, callback: Callable[[str], None]) -> None:
        """`callback(reason)` after every change of the latent state (see latent.py)."""
        self._listeners.append(callback)

    def _on_state_changed(self, reason: str) -> None:
        for callback in self._listeners:
            callback(reason)

    # -- models -----------------------------------------------------------------------
    def set_generator(self, generator: Generator) -> bool:
        """Switch to `generator`. Returns True when the latent (and keyframes) were kept,
        which happens when the latent dimension is unchanged."""
        old = self.state
        self.generator = generator
        kept = old is not None and old.latent_dim == generator.latent_dim
        if kept:
            self.state.set_num_classes(generator.num_classes)
        else:
            seed = old.seed if old is not None and old.seed is not None else 0
            self.state = LatentState(generator.latent_dim, seed=seed,
                                     num_classes=generator.num_classes)
            if old is not None and old.num_classes == generator.num_classes:
                self.state.class_weights = old.class_weights  # the digit chosen stays
            self.state.subscribe(self._on_state_changed)
            self.keyframes = []
            self.source = "latent"
        self._fit_keyframes()
        return kept

    def _fit_keyframes(self) -> None:
        """Drop weights for an unconditional model; give weightless keyframes the current
        digit for a conditional one."""
        n = self.generator.num_classes

        def fit(weights: np.ndarray | None) -> np.ndarray | None:
            if not n:
                return None
            if weights is not None and len(weights) == n:
                return weights
            return self.state.class_weights.copy()

        self.keyframes = [Keyframe(k.z, fit(k.class_weights), k.name) for k in self.keyframes]

    def set_classifier(self, classifier: Classifier | None) -> None:
        self.classifier = classifier

    @property
    def ready(self) -> bool:
        return self.generator is not None and self.state is not None

    @property
    def class_weights(self) -> np.ndarray | None:
        """(num_classes,) weights drawn now; None for unconditional models."""
        if not (self.ready and self.generator.conditional):
            return None
        return self.state.class_weights

    def shown_weights(self) -> np.ndarray | None:
        """The weights of the frame on screen: the path's at t, or the latent's."""
        if self.source == "path" and self.keyframes and self.class_weights is not None:
            return self.point().class_weights
        return self.class_weights

    # -- keyframes ----------------------------------------------------------------------
    def current_keyframe(self, name: str = "") -> Keyframe:
        weights = self.class_weights
        return Keyframe(self.state.z.copy(), None if weights is None else weights.copy(), name)

    def add_keyframe(self) -> Keyframe:
        """Append the current latent (and digit) as a keyframe named A, B, C, …"""
        frame = self.current_keyframe(_key_name(len(self.keyframes)))
        self.keyframes.append(frame)
        return frame

    def remove_keyframe(self, index: int) -> None:
        del self.keyframes[index]
        self.keyframes = [Keyframe(k.z, k.class_weights, _key_name(i))
                          for i, k in enumerate(self.keyframes)]

    def morph_digits(self, a: int, b: int) -> None:
        """Keyframes for the same latent drawn as digit a, then digit b: along the path the
        weights go from one-hot a to one-hot b and the generator draws every frame."""
        z = self.state.z.copy()
        n = self.generator.num_classes
        # Named A and B like any keyframes: the list adds what each one draws.
        self.keyframes = [Keyframe(z, one_hot(a, n), _key_name(0)),
                          Keyframe(z, one_hot(b, n), _key_name(1))]

    def point(self, t: float | None = None) -> PathPoint:
        return path_point(self.keyframes, self.t if t is None else t, self.method)

    # -- rendering ------------------------------------------------------------------------
    def render(self) -> Frame:
        """The frame for what is on screen now (single digit, 8×8 grid or path at t)."""
        start = time.perf_counter()
        gen = self.generator
        if self.source == "path" and self.keyframes:
            images = render_points(gen, [self.point()])
        elif self.grid:
            # Every cell the same digit or blend: the grid shows its styles.
            images = gen.generate(self.state.grid_z(GRID_SIDE * GRID_SIDE), self.class_weights)
        else:
            images = gen.generate(self.state.z, self.class_weights)
        pixels = to_uint8(images)
        pixels = tile(pixels, GRID_SIDE, GRID_GAP, GRID_LINE) if len(pixels) > 1 else pixels[0]
        return Frame(pixels, images[0], time.perf_counter() - start)

    def verdict(self, image: np.ndarray) -> Verdict | None:
        """The classifier's verdict on one (28, 28) image; None without a classifier."""
        return self.classifier.verdict(image) if self.classifier else None

    def keyframe_images(self) -> np.ndarray:
        """uint8 (n, 28, 28): each keyframe as drawn (thumbnails for the keyframe list)."""
        if not self.keyframes or not self.ready:
            return np.zeros((0, 28, 28), np.uint8)
        return to_uint8(render_points(self.generator,
                                      [PathPoint(k.z, k.class_weights)
                                       for k in self.keyframes]))

    def strip(self, count: int) -> np.ndarray:
        """uint8 (count, 28, 28): evenly spaced in-betweens from the first keyframe to the last."""
        if not self.keyframes:
            return np.zeros((0, 28, 28), np.uint8)
        return to_uint8(render_points(self.generator,
                                      path_points(self.keyframes, count, self.method)))

    def animation(self, frame_count: int, pingpong: bool) -> np.ndarray:
        """uint8 frames of one pass along the path (there and back for ping-pong)."""
        frames = self.strip(max(frame_count, 2))
        return np.concatenate([frames, frames[-2:0:-1]]) if pingpong else frames

    # -- files ------------------------------------------------------------------------------
    def to_file(self) -> LatentFile:
        return LatentFile(self.current_keyframe(), list(self.keyframes), self.state.seed,
                          self.state.truncation, self.method, self.t,
                          self.generator.path.name if self.generator else "")

    def apply_file(self, data: LatentFile) -> None:
        """Adopt a loaded latent file (its latent_dim was checked against the model)."""
        weights = data.current.class_weights
        if self.generator.conditional and weights is not None \
                and len(weights) == self.generator.num_classes:
            # Quietly: set_z below announces the whole change once.
            self.state.class_weights = check_weights(weights, len(weights))[0]
        self.keyframes = list(data.keyframes)
        self._fit_keyframes()  # fills or drops weights to fit the model
        self.method, self.t = data.method, data.t
        self.state.set_z(data.current.z)


def _key_name(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else f"K{i + 1}"

