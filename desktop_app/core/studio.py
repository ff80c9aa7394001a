"""`Studio`: everything one window explores, without Qt: models, latent, keyframes, and
which frame is on screen.

One source of truth: the frame on screen is a pure function of this object. It is either
the current latent (`display == "latent"`, alone or as an 8×8 grid) or the path at t
(`display == "path"`, while a path is played or scrubbed). `controls()` says what every
control must show for that frame, so the controls never contradict the picture.

Every change goes through a method here and is announced once to `subscribe`rs with a
reason: the latent's own reasons (see latent.py) plus "generator", "classifier",
"display", "t", "method", "grid", "keyframes" and "restore". Views only render.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from . import keyframes as kf
from .classifier import Classifier, Verdict
from .export import tile, to_uint8
from .files import LatentFile
from .generator import Generator
from .interpolation import Keyframe, PathPoint, path_point, path_points, render_points
from .latent import LatentState
from .snapshot import Controls, Snapshot
from .weights import check as check_weights, one_hot

GRID_SIDE = 8
GRID_GAP = 1
GRID_LINE = 48  # a dim grey line between cells, distinct from the black background
# The latent edits a view may ask for (`Studio.edit`): each a LatentState method.
EDITS = frozenset({"set_seed", "set_seed_keeping_edits", "set_truncation", "set_raw",
                   "set_coeff", "set_class_weights", "set_digit", "reset"})


@dataclass(frozen=True)
class Frame:
    """One rendered frame: `pixels` uint8 (h, w); `first` the float (28, 28) image of the
    frame on screen (the grid's top-left), for the classifier."""

    pixels: np.ndarray
    first: np.ndarray


class Studio:
    """Models, latent state, keyframes and the displayed frame."""

    def __init__(self) -> None:
        self.generator: Generator | None = None
        self.classifier: Classifier | None = None
        self.state: LatentState | None = None
        self.keyframes: tuple[Keyframe, ...] = ()
        self.method = "slerp"
        self.t = 0.0
        self.display = "latent"
        self.grid = False
        self._listeners: list[Callable[[str], None]] = []
        self._quiet = 0

    # -- events -----------------------------------------------------------------------
    def subscribe(self, callback: Callable[[str], None]) -> None:
        """`callback(reason)` after every change (see the module docstring)."""
        self._listeners.append(callback)

    def _emit(self, reason: str) -> None:
        for callback in self._listeners:
            callback(reason)

    @contextmanager
    def _quietly(self) -> Iterator[None]:
        """Compound changes announce themselves once, at the end, with one reason."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def _on_state_changed(self, reason: str) -> None:
        if self._quiet:
            return
        if reason != "directions":
            # The latent changed: it is what the user is looking at now.
            self.display = "latent"
        self._emit(reason)

    # -- models -----------------------------------------------------------------------
    def set_generator(self, generator: Generator) -> tuple[bool, bool]:
        """Switch to `generator`. Returns (kept, directions_reset): kept when the latent
        (and keyframes) survive, i.e. the latent dimension is unchanged; directions_reset
        when direction sliders that moved the latent were cleared (the new model's PC1 is
        another direction)."""
        old = self.state
        self.generator = generator
        kept = old is not None and old.latent_dim == generator.latent_dim
        reset = False
        with self._quietly():
            if kept:
                reset = self.state.clear_directions()
                self.state.set_num_classes(generator.num_classes)
            else:
                seed = old.seed if old is not None and old.seed is not None else 0
                self.state = LatentState(generator.latent_dim, seed=seed,
                                         num_classes=generator.num_classes)
                if old is not None and old.num_classes == generator.num_classes:
                    self.state.class_weights = old.class_weights  # the digit chosen stays
                self.state.subscribe(self._on_state_changed)
                self.keyframes = ()
                reset = old is not None and bool(np.any(old.coeffs))
            self.display = "latent"
            self._fit_keyframes()
        self._emit("generator")
        return kept, reset

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

        self.keyframes = tuple(Keyframe(k.z, fit(k.class_weights), k.name)
                               for k in self.keyframes)

    def set_classifier(self, classifier: Classifier | None) -> None:
        self.classifier = classifier
        self._emit("classifier")

    @property
    def ready(self) -> bool:
        return self.generator is not None and self.state is not None

    @property
    def class_weights(self) -> np.ndarray | None:
        """(num_classes,) weights of the current latent; None for unconditional models."""
        if not (self.ready and self.generator.conditional):
            return None
        return self.state.class_weights

    # -- what is on screen ------------------------------------------------------------------
    @property
    def showing_path(self) -> bool:
        return self.display == "path" and bool(self.keyframes)

    def point(self, t: float | None = None) -> PathPoint:
        return path_point(self.keyframes, self.t if t is None else t, self.method)

    def shown(self) -> PathPoint:
        """The latent and weights of the frame on screen (the grid's top-left cell)."""
        if self.showing_path:
            return self.point()
        return PathPoint(self.state.z, self.class_weights)

    def controls(self) -> Controls:
        """What every control shows for the frame on screen (see `Controls`)."""
        if self.showing_path:
            point = self.point()
            return Controls(None, 1.0, point.z, np.zeros_like(self.state.coeffs),
                            point.class_weights)
        s = self.state
        return Controls(s.seed, s.truncation, s.raw, s.coeffs, self.class_weights)

    def show_latent(self) -> None:
        if self.display != "latent":
            self.display = "latent"
            self._emit("display")

    def show_path(self, t: float | None = None) -> None:
        """Show the path at `t` in [0, 1] (or at the current t); needs a keyframe."""
        if t is not None:
            self.t = min(max(float(t), 0.0), 1.0)
        if self.keyframes:
            self.display = "path"
        self._emit("t")

    def set_grid(self, on: bool) -> None:
        self.grid = bool(on)
        self.display = "latent"  # the grid is the latent's neighbourhood
        self._emit("grid")

    def set_method(self, method: str) -> None:
        self.method = method
        self._emit("method")

    # -- latent edits ---------------------------------------------------------------------
    def edit(self, name: str, *args) -> None:
        """Apply the `LatentState` edit `name(*args)` to the frame on screen: a path frame
        is first adopted as the current latent, so an edit continues from what is seen."""
        if name not in EDITS:
            raise ValueError(f"unknown edit {name!r}")
        if not self.ready:
            return
        if name in ("set_class_weights", "set_digit") and self.class_weights is None:
            return  # unconditional models have no digit to choose
        if self.showing_path:
            self._adopt(self.point())
        getattr(self.state, name)(*args)

    def _adopt(self, point: PathPoint) -> None:
        with self._quietly():
            if point.class_weights is not None and self.state.num_classes:
                self.state.class_weights = point.class_weights.copy()
            self.state.set_z(point.z)
            self.display = "latent"

    def pick_tile(self, index: int) -> int | None:
        """Make grid cell `index` (row-major, 0 the current latent) the current latent;
        returns its seed, or None when no grid is shown."""
        if not (self.ready and self.grid and not self.showing_path) or index <= 0:
            return None
        seed = (self.state.seed or 0) + index
        self.edit("set_seed_keeping_edits", seed)
        return self.state.seed

    def activate_keyframe(self, index: int) -> None:
        """Keyframe `index` becomes the current latent (and digit)."""
        self._adopt(self.keyframes[index])
        self._emit("z")

    def go_to(self, z: np.ndarray, class_weights: np.ndarray | None = None) -> None:
        """Make (z, class_weights) the current latent, e.g. one found for a drawn digit.

        z : (latent_dim,); class_weights : (num_classes,) on the simplex, required for a
        conditional model and ignored for an unconditional one. Raises ValueError otherwise.
        """
        self._adopt(self._found_point(z, class_weights))
        self._emit("z")

    def _found_point(self, z, class_weights) -> PathPoint:
        z = np.asarray(z, np.float32).reshape(self.state.latent_dim).copy()
        if not self.generator.conditional:
            return PathPoint(z, None)
        if class_weights is None:
            raise ValueError("a conditional model needs class weights")
        return PathPoint(z, check_weights(class_weights, self.generator.num_classes)[0])

    # -- keyframes ----------------------------------------------------------------------
    def current_keyframe(self, name: str = "") -> Keyframe:
        """The frame on screen as a keyframe."""
        point = self.shown()
        weights = point.class_weights
        return Keyframe(point.z.copy(), None if weights is None else weights.copy(), name)

    def set_keyframes(self, keys) -> None:
        self.keyframes = tuple(kf.renumber(keys))
        if not self.keyframes:
            self.display = "latent"
        self._emit("keyframes")

    def add_keyframe(self) -> Keyframe:
        """Append the frame on screen as a keyframe named A, B, C, …"""
        frame = self.current_keyframe(kf.auto_name(len(self.keyframes)))
        self.set_keyframes(self.keyframes + (frame,))
        return frame

    def add_keyframe_at(self, z: np.ndarray, class_weights: np.ndarray | None = None
                        ) -> Keyframe:
        """Append (z, class_weights) as a keyframe named A, B, C, … (see `go_to` for the
        shapes); returns it."""
        point = self._found_point(z, class_weights)
        frame = Keyframe(point.z, point.class_weights, kf.auto_name(len(self.keyframes)))
        self.set_keyframes(self.keyframes + (frame,))
        return frame

    def remove_keyframe(self, index: int) -> None:
        self.set_keyframes(kf.removed(self.keyframes, index))

    def move_keyframe(self, source: int, target: int) -> None:
        self.set_keyframes(kf.moved(self.keyframes, source, target))

    def rename_keyframe(self, index: int, name: str) -> None:
        self.set_keyframes(kf.renamed(self.keyframes, index, name))

    def morph_digits(self, a: int, b: int) -> int:
        """Keyframes for the latent on screen drawn as digit a, then digit b: along the path
        the weights go from one-hot a to one-hot b. Returns how many keyframes it replaced
        (the caller says so; undo brings them back)."""
        z = self.shown().z.copy()
        n = self.generator.num_classes
        replaced = len(self.keyframes)
        self.t = 0.0
        self.set_keyframes([Keyframe(z, one_hot(a, n)), Keyframe(z, one_hot(b, n))])
        self.show_path(0.0)
        return replaced

    # -- undo -------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        return Snapshot(self.state.snapshot(), self.keyframes, self.display, self.t)

    def restore(self, snap: Snapshot) -> None:
        """Bring back the user's work as it was at `snap` (same model or latent size)."""
        if snap.latent.base.shape != (self.state.latent_dim,):
            return
        with self._quietly():
            self.state.restore(snap.latent)
            self.keyframes = snap.keyframes
            self._fit_keyframes()
            self.display, self.t = snap.display, snap.t
        self._emit("restore")

    # -- rendering ------------------------------------------------------------------------
    def render(self) -> Frame:
        """The frame on screen: the path at t, the 8×8 grid, or the single latent."""
        gen = self.generator
        if self.showing_path:
            images = render_points(gen, [self.point()])
        elif self.grid:
            # Every cell the same digit or blend: the grid shows its styles.
            images = gen.generate(self.state.grid_z(GRID_SIDE * GRID_SIDE), self.class_weights)
        else:
            images = gen.generate(self.state.z, self.class_weights)
        pixels = to_uint8(images)
        pixels = tile(pixels, GRID_SIDE, GRID_GAP, GRID_LINE) if len(pixels) > 1 else pixels[0]
        return Frame(pixels, images[0])

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

    # -- files ------------------------------------------------------------------------------
    def to_file(self) -> LatentFile:
        return LatentFile(self.current_keyframe(), list(self.keyframes), self.state.seed,
                          self.state.truncation, self.method, self.t,
                          self.generator.path.name if self.generator else "")

    def apply_file(self, data: LatentFile) -> None:
        """Adopt a loaded latent file (its latent_dim was checked against the model)."""
        weights = data.current.class_weights
        with self._quietly():
            if self.generator.conditional and weights is not None \
                    and len(weights) == self.generator.num_classes:
                self.state.class_weights = check_weights(weights, len(weights))[0]
            self.keyframes = tuple(data.keyframes)
            self._fit_keyframes()  # fills or drops weights to fit the model
            self.method, self.t = data.method, data.t
            self.state.set_z(data.current.z)
            self.display = "latent"
        self._emit("restore")
