"""`Studio`: everything one window explores, without Qt: models, latent, keyframes, and
which frame is on screen.

One source of truth: the frame on screen is a pure function of this object. It is either
the current latent (`display == "latent"`, alone or as an 8×8 grid) or the path at t
(`display == "path"`, while a path is played or scrubbed). `controls()` says what every
control must show for that frame, so the controls never contradict the picture.

Every change goes through a method here and is announced once to `subscribe`rs with a
reason: the latent's own reasons (see latent.py) plus "generator", "classifier",
"display", "t", "method", "grid", "keyframes", "bookmarks", "compare" and "restore".
Views only render. The grid is either the next seeds or variations around the latent
(variations.py); a second model may draw the same latents beside the first (frames.py).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

import numpy as np

from . import frames, keyframes as kf, variations as var
from .classifier import Classifier, Verdict
from .files import LatentFile
from .frames import GRID_GAP, GRID_SIDE, Frame
from .generator import Generator
from .interpolation import Keyframe, PathPoint, path_point
from .latent import LatentState
from .snapshot import Controls, Snapshot
from .weights import check as check_weights, class_noun, describe as describe_weights, one_hot

__all__ = ["EDITS", "GRID_GAP", "GRID_SIDE", "Frame", "Snapshot", "Studio"]
# The latent edits a view may ask for (`Studio.edit`): each a LatentState method.
EDITS = frozenset({"set_seed", "set_seed_keeping_edits", "set_truncation", "set_raw",
                   "set_coeff", "set_class_weights", "set_digit", "reset"})


class Studio:
    """Models, latent state, keyframes and the displayed frame."""

    def __init__(self) -> None:
        self.generator: Generator | None = None
        self.classifier: Classifier | None = None
        self.compare: Generator | None = None  # a second model drawing the same latents
        self.state: LatentState | None = None
        self.keyframes: tuple[Keyframe, ...] = ()
        self.method = "slerp"
        self.t = 0.0
        self.display = "latent"
        self.grid = False
        self.variation = var.VariationGrid()  # on: the grid shows z + radius·d_i
        self.bookmarks: tuple[Keyframe, ...] = ()
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
                self.state.set_num_classes(generator.num_classes,
                                           class_priors=generator.class_priors)
            else:
                seed = old.seed if old is not None and old.seed is not None else 0
                self.state = LatentState(generator.latent_dim, seed=seed,
                                         num_classes=generator.num_classes,
                                         class_priors=generator.class_priors)
                if old is not None and old.num_classes == generator.num_classes \
                        and (old.class_priors is None) == (generator.class_priors is None):
                    self.state.class_weights = old.class_weights  # the class chosen stays
                self.state.subscribe(self._on_state_changed)
                self.keyframes = self.bookmarks = ()
                reset = old is not None and bool(np.any(old.coeffs))
            self.display = "latent"
            self._fit_keyframes()
            if self.compare is not None and frames.why_not_side_by_side(generator,
                                                                        self.compare):
                self.compare = None  # the views say so on "generator"
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
        self.bookmarks = tuple(Keyframe(k.z, fit(k.class_weights), k.name)
                               for k in self.bookmarks)

    def set_classifier(self, classifier: Classifier | None) -> None:
        self.classifier = classifier
        self._emit("classifier")

    def set_compare(self, generator: Generator | None) -> str | None:
        """Draw the same latents with `generator` beside the current model (None: stop).
        Returns one sentence saying why not, and changes nothing, when it cannot."""
        if generator is not None:
            if not self.ready:
                return "Open a model before comparing another with it."
            why = frames.why_not_side_by_side(self.generator, generator)
            if why:
                return why
        self.compare = generator
        self._emit("compare")
        return None

    @property
    def ready(self) -> bool:
        return self.generator is not None and self.state is not None

    @property
    def clusters(self) -> bool:
        """True when the model's classes are clusters (named "cluster c", never "digit c")."""
        return bool(self.generator is not None and self.generator.clusters)

    def describe(self, weights: np.ndarray) -> str:
        """The words for a class-weight row of this model: "digit 3", "cluster 13", or the
        blend (see `weights.describe`)."""
        return describe_weights(weights, self.clusters)

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

    def set_variations(self, on: bool) -> None:
        """The grid shows variations around the latent (on) or the next seeds (off)."""
        self.variation.on = bool(on)
        self.display = "latent"
        self._emit("grid")

    def set_radius(self, radius: float) -> None:
        """How far the variations wander, in prior standard deviations (RADIUS_RANGE)."""
        self.variation.set_radius(radius)
        self._emit("grid")

    def grid_z(self) -> np.ndarray:
        """(64, latent_dim): the grid's latents, the current one first."""
        n = GRID_SIDE * GRID_SIDE
        if self.variation.on:
            return self.variation.z(self.state.z, n)
        return self.state.grid_z(n)

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

    def pick_tile(self, index: int) -> str | None:
        """Make grid cell `index` (row-major, 0 the current latent) the current latent;
        returns what was picked ("seed 42", "variation 12"), or None when no grid is shown.
        A picked variation becomes the centre of fresh variations."""
        if not (self.ready and self.grid and not self.showing_path) or index <= 0:
            return None
        if self.variation.on:
            z = self.grid_z()[index]
            self.variation.next_round()
            self._adopt(PathPoint(z, self.class_weights))
            self._emit("z")
            return f"variation {index}"
        seed = (self.state.seed or 0) + index
        self.edit("set_seed_keeping_edits", seed)
        return f"seed {self.state.seed}"

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

    def adopt_saved_keyframes(self, keys) -> int:
        """Replace the keyframes with ones saved in an earlier run, keeping only those
        that fit the model now loaded (latent size, and class weights exactly when the
        model takes them); returns how many were ignored."""
        n = self.generator.num_classes if self.ready else 0
        fits = [k for k in keys if k.z.shape == (self.state.latent_dim,)
                and (k.class_weights is None if not n else
                     k.class_weights is not None and len(k.class_weights) == n)]
        self.set_keyframes(fits)
        return len(keys) - len(fits)

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
        """Keyframes for the latent on screen drawn as digit (or cluster) a, then b: along
        the path the weights go from one-hot a to one-hot b. Returns how many keyframes it replaced
        (the caller says so; undo brings them back)."""
        z = self.shown().z.copy()
        n = self.generator.num_classes
        replaced = len(self.keyframes)
        self.t = 0.0
        self.set_keyframes([Keyframe(z, one_hot(a, n)), Keyframe(z, one_hot(b, n))])
        self.show_path(0.0)
        return replaced

    # -- bookmarks ---------------------------------------------------------------------
    def add_bookmark(self) -> Keyframe | None:
        """Keep the frame on screen in the bookmarks (None when the list is full)."""
        if len(self.bookmarks) >= var.MAX_BOOKMARKS:
            return None
        seed = None if self.showing_path else self.state.seed
        mark = self.current_keyframe(var.bookmark_name(self.bookmarks, seed))
        self.bookmarks += (mark,)
        self._emit("bookmarks")
        return mark

    def remove_bookmark(self, index: int) -> None:
        self.bookmarks = self.bookmarks[:index] + self.bookmarks[index + 1:]
        self._emit("bookmarks")

    def go_to_bookmark(self, index: int) -> None:
        """Bookmark `index` becomes the current latent (and digit)."""
        self._adopt(self.bookmarks[index])
        self._emit("z")

    def images_of(self, keys) -> np.ndarray:
        """uint8 (n, 28, 28): each keyframe-like (z, weights) frame as drawn."""
        return frames.images(self.generator,
                             [PathPoint(k.z, k.class_weights) for k in keys])

    # -- undo -------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        return Snapshot(self.state.snapshot(), self.keyframes, self.display, self.t,
                        self.bookmarks)

    def restore(self, snap: Snapshot) -> None:
        """Bring back the user's work as it was at `snap` (same model or latent size)."""
        if snap.latent.base.shape != (self.state.latent_dim,):
            return
        with self._quietly():
            self.state.restore(snap.latent)
            self.keyframes, self.bookmarks = snap.keyframes, snap.bookmarks
            self._fit_keyframes()
            self.display, self.t = snap.display, snap.t
        self._emit("restore")

    # -- rendering ------------------------------------------------------------------------
    def render(self) -> Frame:
        """The frame on screen: the path at t, the 8×8 grid, or the single latent."""
        if self.showing_path:
            point = self.point()
            z, weights = point.z[None, :], point.class_weights
        elif self.grid:
            # Every cell the same digit or blend: the grid shows its styles.
            z, weights = self.grid_z(), self.class_weights
        else:
            z, weights = self.state.z[None, :], self.class_weights
        return frames.render(self.generator, z, weights, self.compare)

    def verdict(self, image: np.ndarray) -> Verdict | None:
        """The classifier's verdict on one (28, 28) image; None without a classifier."""
        return self.classifier.verdict(image) if self.classifier else None

    def keyframe_images(self) -> np.ndarray:
        """uint8 (n, 28, 28): each keyframe as drawn (thumbnails for the keyframe list)."""
        return self.images_of(self.keyframes)

    def strip(self, count: int) -> np.ndarray:
        """uint8 (count, 28, 28): evenly spaced in-betweens from the first keyframe to the last."""
        return self.path_frames(np.linspace(0.0, 1.0, count) if count > 1 else [0.0])

    def path_frames(self, ts) -> np.ndarray:
        """uint8 (len(ts), 28, 28): frame i drawn by the generator at the path's
        (z_t, w_t) for t = ts[i] in [0, 1] (animation exports; never a blend of images)."""
        if not self.keyframes:
            return np.zeros((0, 28, 28), np.uint8)
        return frames.images(self.generator, [self.point(float(t)) for t in ts])

    # -- files ------------------------------------------------------------------------------
    def to_file(self) -> LatentFile:
        return LatentFile(self.current_keyframe(), list(self.keyframes), self.state.seed,
                          self.state.truncation, self.method, self.t,
                          self.generator.path.name if self.generator else "")

    def misfit_weights(self, data: LatentFile) -> str:
        """"" when every class-weight row of `data` fits the model now loaded, else one
        phrase saying that they do not (`apply_file` then gives those frames the current
        class). An unconditional model simply ignores weights."""
        if not (self.ready and self.generator.conditional):
            return ""
        n = self.generator.num_classes
        widths = sorted({len(k.class_weights) for k in [data.current, *data.keyframes]
                         if k.class_weights is not None and len(k.class_weights) != n})
        if not widths:
            return ""
        noun = class_noun(self.generator.clusters)
        held = " or ".join(str(w) for w in widths)
        return (f"its class weights hold {held} values but {self.generator.path.name} has "
                f"{n} {noun}s, so those frames draw the current {noun}")

    def apply_file(self, data: LatentFile) -> None:
        """Adopt a loaded latent file (its latent_dim was checked against the model; class
        weights are kept where their width fits the model, see `misfit_weights`)."""
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
