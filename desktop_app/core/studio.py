"""`Studio`: the one owner of everything a window explores, without Qt: the models, the
latent, the keyframes and t, the grid, playback, bookmarks, the principal directions and
which frame is on screen.

One source of truth: the frame on screen is a pure function of this object. It is either
the current latent (`display == "latent"`, alone or as an 8×8 grid) or the path at t
(`display == "path"`, while a path is played or scrubbed). `controls()` says what every
control must show for that frame, so the controls never contradict the picture.

Every field is read-only from outside; every change is a typed method here and is
announced once to `subscribe`rs with a `Change` (core/events.py). Views bind: they call
commands and render on events; they never write a field. Loading a model is one use
case, `load_model` (model_loading.py).

The studio keeps the state and says what changed; small Qt-free parts it owns hold each
concern's rules: `LatentState` (latent.py) the latent, `KeyframePath` (keyframe_path.py)
the keyframes, method and t, `Bookmarks` (bookmarks.py), `VariationGrid` (variations.py)
the grid's variations, `DirectionsCache` (directions_cache.py) and `ClusterDigitCache`
(cluster_digit_cache.py) what background work found for the model, and
latent_file_fit.py how a latent file fits it. A second model may draw the same latents
beside the first (frames.py); keyframes and bookmarks keep their own class weights,
whatever model is loaded (class_fit.py). See docs/state.md for the picture.
"""

from __future__ import annotations

import numpy as np

from .events import Change, Evented
from .explore import class_fit, frames, variations as var
from .explore.bookmarks import Bookmarks
from .explore.cluster_digit_cache import ClusterDigitCache
from .explore.directions import Directions
from .explore.directions_cache import DirectionsCache, weights_key
from .explore.frames import GRID_GAP, GRID_SIDE, Frame
from .explore.latent import LatentState
from .explore.weights import check as check_weights, one_hot
from .files import latent_file_fit
from .files.latent_files import LatentFile
from .models.classifier import Classifier, Verdict
from .models.generator import Generator
from .models.model_loading import LoadReport, SessionStore, load_model
from .models.model_switch import carry_latent
from .morph import keyframes as kf
from .morph.interpolation import MODES, PathPoint
from .morph.keyframe_path import KeyframePath, key_images
from .morph.keyframes import Keyframe
from .snapshot import Controls, Snapshot

__all__ = ["Change", "GRID_GAP", "GRID_SIDE", "Frame", "Snapshot", "Studio"]


class Studio(Evented):
    """Models, latent state, path, grid, playback, bookmarks and the displayed frame."""

    def __init__(self) -> None:
        super().__init__()
        self._generator: Generator | None = None
        self._classifier: Classifier | None = None
        self._reader: Classifier | None = None
        self._compare_generator: Generator | None = None  # draws the same latents too
        self._state: LatentState | None = None
        self._path = KeyframePath()
        self._display = "latent"
        self._grid = False
        self._variation = var.VariationGrid()  # on: the grid shows z + radius·d_i
        self._bookmarks = Bookmarks()
        self._speed, self._mode = 1.0, "loop"  # playback: 1 = 100 %; once, loop or pingpong
        self._directions = DirectionsCache()
        self._cluster_digits = ClusterDigitCache()

    # -- read-only state ------------------------------------------------------------------
    generator = property(lambda self: self._generator)
    classifier = property(lambda self: self._classifier)
    reader = property(lambda self: self._reader)  # reads Find a digit's input (or None)
    compare_generator = property(lambda self: self._compare_generator,
                                 doc="A second model drawing the same latents (None: none).")
    state = property(lambda self: self._state, doc="The `LatentState` (read its fields; "
                                                   "change it through the commands here).")
    keyframes = property(lambda self: self._path.keys)
    bookmarks = property(lambda self: self._bookmarks.items)
    method = property(lambda self: self._path.method)
    t = property(lambda self: self._path.t)
    display = property(lambda self: self._display)
    grid = property(lambda self: self._grid)
    variation = property(lambda self: self._variation)
    speed = property(lambda self: self._speed, doc="Playback speed, 1 = 100 %.")
    mode = property(lambda self: self._mode, doc="Playback: once, loop or pingpong.")
    directions = property(lambda self: self._directions.current,
                          doc="The principal directions the sliders move along now.")
    cluster_digits = property(lambda self: self._cluster_digits.digits,
                              doc="The digit each cluster mostly draws (None: not known).")

    def _on_state_changed(self, reason: Change) -> None:
        if self._quiet:
            return
        if reason is not Change.DIRECTIONS:
            # The latent changed: it is what the user is looking at now.
            self._display = "latent"
        self._emit(reason)

    # -- models -----------------------------------------------------------------------
    def load_model(self, path, store: SessionStore | None = None) -> LoadReport:
        """Open the generator at `path`: the whole use case (model_loading.py). Raises
        `ContractError`, changing nothing, when it is not a usable generator."""
        return load_model(self, path, store)

    def set_generator(self, generator: Generator) -> tuple[bool, bool]:
        """Switch to `generator`. Returns (kept, directions_reset): kept when the latent
        (and keyframes) survive, i.e. the latent dimension is unchanged; directions_reset
        when direction sliders that moved the latent were cleared (the new model's PC1 is
        another direction)."""
        self._generator = generator
        self._directions.new_model()
        self._cluster_digits.forget()
        with self._quietly():
            old = self._state
            self._state, kept, reset = carry_latent(old, generator)
            if self._state is not old:
                self._state.subscribe(self._on_state_changed)
                self._path.set_keys(())
                self._bookmarks.items = ()
            self._display = "latent"
            self._tag_keys()
            other = self._compare_generator
            if other is not None and frames.why_not_side_by_side(generator, other):
                self._compare_generator = None  # the views say so on GENERATOR
        self._emit(Change.GENERATOR)
        return kept, reset

    def _tag_keys(self) -> None:
        """Record the kind of class on keyframes and bookmarks that lack it; weightless
        ones take the current class on a conditional model (class_fit.tagged)."""
        fill = self.class_weights

        def tag(keys):
            return tuple(class_fit.tagged(k, self._generator, fill) for k in keys)

        self._path.keys, self._bookmarks.items = tag(self._path.keys), tag(self._bookmarks.items)

    def set_classifier(self, classifier: Classifier | None) -> None:
        self._classifier = classifier
        self._cluster_digits.forget()
        self._emit(Change.CLASSIFIER)

    def set_reader(self, reader: Classifier | None) -> None:
        self._reader = reader
        self._emit(Change.READER)

    def set_compare_generator(self, generator: Generator | None) -> str | None:
        """Draw the same latents with `generator` beside the current model (None: stop).
        Returns one sentence saying why not, and changes nothing, when it cannot."""
        if generator is not None:
            if not self.ready:
                return "Open a model before comparing another with it."
            why = frames.why_not_side_by_side(self._generator, generator)
            if why:
                return why
        self._compare_generator = generator
        self._emit(Change.COMPARE)
        return None

    @property
    def ready(self) -> bool:
        return self._generator is not None and self._state is not None

    @property
    def clusters(self) -> bool:
        """True when the model's classes are clusters (named "cluster c", never "digit c")."""
        return bool(self._generator is not None and self._generator.clusters)

    def key_note(self, key: Keyframe) -> str:
        """What a keyframe or bookmark draws, for its label (see `class_fit.note`)."""
        return class_fit.note(key, self._generator)

    @property
    def class_weights(self) -> np.ndarray | None:
        """(num_classes,) weights of the current latent; None for unconditional models."""
        if not (self.ready and self._generator.conditional):
            return None
        return self._state.class_weights

    # -- what background work finds for the model -------------------------------------------
    def cluster_digits_wanted(self) -> tuple[int, Generator, Classifier] | None:
        """(serial, generator, classifier) when a model whose classes are clusters and a
        classifier are loaded and what each cluster draws is not known yet; else None."""
        if not self.clusters or self._classifier is None \
                or self._cluster_digits.digits is not None:
            return None
        return self._cluster_digits.serial, self._generator, self._classifier

    def offer_cluster_digits(self, serial: int, digits) -> bool:
        """A result of `core.cluster_digits` for `serial` (see `cluster_digits_wanted`):
        adopted unless the generator or classifier changed since. True when adopted."""
        if not (self.clusters and self._cluster_digits.offer(serial, digits,
                                                             self._generator.num_classes)):
            return False
        self._emit(Change.CLUSTER_DIGITS)
        return True

    def directions_wanted(self) -> tuple[int, np.ndarray | None] | None:
        """(model serial, class weights) whose directions the sliders should move along,
        when the directions now are not those (None: nothing to compute)."""
        return self._directions.wanted(self.class_weights) if self.ready else None

    def use_cached_directions(self) -> bool:
        """Adopt the directions already computed for the weights now, if any."""
        wanted = self.directions_wanted()
        cached = None if wanted is None else self._directions.cached(wanted[1])
        if cached is None:
            return False
        self._set_directions(cached)
        return True

    def offer_directions(self, serial: int, result: Directions) -> bool:
        """A computed result for the model `serial` (see `directions_wanted`): cached, and
        adopted when it is for the weights on screen now. True when adopted."""
        if not (self.ready and self._directions.keep(serial, result, self._state.latent_dim)):
            return False
        wanted = self.directions_wanted()
        if wanted is None or weights_key(wanted[1]) != weights_key(result.class_weights):
            return False
        self._set_directions(result)
        return True

    def _set_directions(self, result: Directions) -> None:
        self._directions.current = result
        with self._quietly():
            self._state.set_directions(result.steps)  # the latent does not move
        self._emit(Change.DIRECTIONS)

    # -- what is on screen ------------------------------------------------------------------
    @property
    def path_keys(self) -> tuple[Keyframe, ...]:
        """The keyframes this model can draw: the path runs through them (class_fit)."""
        return self._path.drawable(self._generator)

    @property
    def showing_path(self) -> bool:
        return self._display == "path" and bool(self.path_keys)

    def point(self, t: float | None = None) -> PathPoint:
        return self._path.point(self._generator, t)

    def shown(self) -> PathPoint:
        """The latent and weights of the frame on screen (the grid's top-left cell)."""
        if self.showing_path:
            return self.point()
        return PathPoint(self._state.z, self.class_weights)

    def controls(self) -> Controls:
        """What every control shows for the frame on screen (see `Controls`)."""
        if self.showing_path:
            point = self.point()
            return Controls(None, 1.0, point.z, np.zeros_like(self._state.coeffs),
                            point.class_weights)
        s = self._state
        return Controls(s.seed, s.truncation, s.raw, s.coeffs, self.class_weights)

    def show_latent(self) -> None:
        if self._display != "latent":
            self._display = "latent"
            self._emit(Change.DISPLAY)

    def show_path(self, t: float | None = None) -> None:
        """Show the path at `t` in [0, 1] (or at the current t); needs a keyframe."""
        if t is not None:
            self._path.set_t(t)
        if self.path_keys:
            self._display = "path"
        self._emit(Change.T)

    def set_grid(self, on: bool) -> None:
        if bool(on) == self._grid and self._display == "latent":
            return
        self._grid = bool(on)
        self._display = "latent"  # the grid is the latent's neighbourhood
        self._emit(Change.GRID)

    def set_variations(self, on: bool) -> None:
        """The grid shows variations around the latent (on) or the next seeds (off)."""
        self._variation.on = bool(on)
        self._display = "latent"
        self._emit(Change.GRID)

    def set_radius(self, radius: float) -> None:
        """How far the variations wander, in prior standard deviations (RADIUS_RANGE)."""
        self._variation.set_radius(radius)
        self._emit(Change.GRID)

    def grid_z(self) -> np.ndarray:
        """(64, latent_dim): the grid's latents, the current one first."""
        n = GRID_SIDE * GRID_SIDE
        if self._variation.on:
            return self._variation.z(self._state.z, n)
        return self._state.grid_z(n)

    def set_method(self, method: str) -> None:
        self._path.set_method(method)
        self._emit(Change.METHOD)

    def set_playback(self, speed: float | None = None, mode: str | None = None) -> None:
        """Playback speed (1 = 100 %, 0.01..4) and mode (once, loop or pingpong)."""
        if mode is not None:
            if mode not in MODES:
                raise ValueError(f"unknown playback mode {mode!r}; use one of {MODES}")
            self._mode = mode
        if speed is not None:
            self._speed = min(max(float(speed), 0.01), 4.0)
        self._emit(Change.PLAYBACK)

    # -- latent edits (each one user action; the history records it) -------------------
    def _editable(self, needs_classes: bool = False) -> bool:
        """Ready for an edit of the frame on screen: a path frame is first adopted as the
        current latent, so an edit continues from what is seen."""
        if not self.ready or (needs_classes and self.class_weights is None):
            return False
        if self.showing_path:
            self._adopt(self.point())
        return True

    def set_seed(self, seed: int) -> None:
        """A new draw (and, for a conditional model, the seed's class)."""
        if self._editable():
            self._state.set_seed(seed)

    def set_seed_keeping_edits(self, seed: int) -> None:
        if self._editable():
            self._state.set_seed_keeping_edits(seed)

    def set_truncation(self, value: float) -> None:
        if self._editable():
            self._state.set_truncation(value)

    def set_raw(self, dim: int, value: float) -> None:
        if self._editable():
            self._state.set_raw(dim, value)

    def set_coeff(self, index: int, value: float) -> None:
        if self._editable() and 0 <= index < len(self._state.coeffs):
            self._state.set_coeff(index, value)

    def set_class_weights(self, weights) -> None:
        """The digit or blend to draw, (num_classes,); ignored for unconditional models."""
        if self._editable(needs_classes=True):
            self._state.set_class_weights(weights)

    def set_digit(self, digit: int) -> None:
        """The pure digit (or cluster); ignored for a class this model does not have."""
        if self.class_weights is not None and 0 <= digit < self._generator.num_classes \
                and self._editable(needs_classes=True):
            self._state.set_digit(digit)

    def reset(self) -> None:
        """Raw edits and direction sliders back to 0."""
        if self._editable():
            self._state.reset()

    def restore_session(self, seed: int, truncation: float,
                        weights: np.ndarray | None) -> None:
        """The seed, truncation and class weights of an earlier run (weights that do not
        fit this model are ignored: the seed's class is drawn)."""
        if not self.ready:
            return
        s = self._state
        with self._quietly():
            s.set_truncation(truncation)
            keep = weights is not None and s.num_classes and len(weights) == s.num_classes
            if keep:
                s.set_class_weights(weights)
        s.set_seed(seed, keep_weights=bool(keep))

    def _adopt(self, point: PathPoint | Keyframe) -> None:
        """`point` becomes the current latent; its weights too, when this model draws
        them (a keyframe it cannot draw gives its z and keeps the class chosen)."""
        weights = point.class_weights
        if isinstance(point, Keyframe) and not class_fit.drawable(point, self._generator):
            weights = None
        with self._quietly():
            if weights is not None and self._state.num_classes \
                    and len(weights) == self._state.num_classes:
                self._state.set_class_weights(weights.copy())
            self._state.set_z(point.z)
            self._display = "latent"

    def pick_tile(self, index: int) -> str | None:
        """Make grid cell `index` (row-major, 0 the current latent) the current latent;
        returns what was picked ("seed 42", "variation 12"), or None when no grid is shown.
        A picked variation becomes the centre of fresh variations."""
        if not (self.ready and self._grid and not self.showing_path) or index <= 0:
            return None
        if self._variation.on:
            z = self.grid_z()[index]
            self._variation.next_round()
            self._adopt(PathPoint(z, self.class_weights))
            self._emit(Change.Z)
            return f"variation {index}"
        self.set_seed_keeping_edits((self._state.seed or 0) + index)
        return f"seed {self._state.seed}"

    def activate_keyframe(self, index: int) -> None:
        """Keyframe `index` becomes the current latent (and digit, if drawable)."""
        self._adopt(self._path.keys[index])
        self._emit(Change.Z)

    def go_to(self, z: np.ndarray, class_weights: np.ndarray | None = None) -> None:
        """Make (z, class_weights) the current latent, e.g. one found for a drawn digit.

        z : (latent_dim,); class_weights : (num_classes,) on the simplex, required for a
        conditional model and ignored for an unconditional one. Raises ValueError otherwise.
        """
        self._adopt(self._found_point(z, class_weights))
        self._emit(Change.Z)

    def _found_point(self, z, class_weights) -> PathPoint:
        z = np.asarray(z, np.float32).reshape(self._state.latent_dim).copy()
        if not self._generator.conditional:
            return PathPoint(z, None)
        if class_weights is None:
            raise ValueError("a conditional model needs class weights")
        return PathPoint(z, check_weights(class_weights, self._generator.num_classes)[0])

    # -- keyframes ----------------------------------------------------------------------
    def _as_key(self, z: np.ndarray, weights: np.ndarray | None, name: str) -> Keyframe:
        kind = class_fit.kind_of(self._generator) if weights is not None else None
        return Keyframe(z.copy(), None if weights is None else weights.copy(), name, kind)

    def current_keyframe(self, name: str = "") -> Keyframe:
        """The frame on screen as a keyframe."""
        point = self.shown()
        return self._as_key(point.z, point.class_weights, name)

    def set_keyframes(self, keys) -> None:
        self._path.set_keys(keys)
        if not self.path_keys:
            self._display = "latent"
        self._emit(Change.KEYFRAMES)

    def adopt_saved_keyframes(self, keys) -> int:
        """Replace the keyframes with ones saved in an earlier run (those of this latent
        size); returns how many of them this model cannot draw (they are kept)."""
        if not self.ready:
            return 0
        self._path.set_keys([k for k in keys if k.z.shape == (self._state.latent_dim,)])
        self._tag_keys()
        self.set_keyframes(self._path.keys)
        return len(self._path.keys) - len(self.path_keys)

    def add_keyframe(self) -> Keyframe:
        """Append the frame on screen as a keyframe named A, B, C, …"""
        frame = self.current_keyframe(kf.auto_name(len(self._path.keys)))
        self.set_keyframes(self._path.keys + (frame,))
        return frame

    def add_keyframe_at(self, z: np.ndarray, class_weights: np.ndarray | None = None
                        ) -> Keyframe:
        """Append (z, class_weights) as a keyframe named A, B, C, … (see `go_to` for the
        shapes); returns it."""
        point = self._found_point(z, class_weights)
        frame = self._as_key(point.z, point.class_weights, kf.auto_name(len(self._path.keys)))
        self.set_keyframes(self._path.keys + (frame,))
        return frame

    def remove_keyframe(self, index: int) -> None:
        self.set_keyframes(kf.removed(self._path.keys, index))

    def move_keyframe(self, source: int, target: int) -> None:
        self.set_keyframes(kf.moved(self._path.keys, source, target))

    def rename_keyframe(self, index: int, name: str) -> None:
        self.set_keyframes(kf.renamed(self._path.keys, index, name))

    def morph_digits(self, a: int, b: int) -> int:
        """Keyframes for the latent on screen drawn as digit (or cluster) a, then b: along
        the path the weights go from one-hot a to one-hot b. Returns how many keyframes it
        replaced (the caller says so; undo brings them back)."""
        z = self.shown().z
        n = self._generator.num_classes
        replaced = len(self._path.keys)
        self._path.set_t(0.0)
        self.set_keyframes([self._as_key(z, one_hot(c, n), "") for c in (a, b)])
        self.show_path(0.0)
        return replaced

    # -- bookmarks ---------------------------------------------------------------------
    def add_bookmark(self) -> Keyframe | None:
        """Keep the frame on screen in the bookmarks (None when the list is full)."""
        if self._bookmarks.full:
            return None
        seed = None if self.showing_path else self._state.seed
        mark = self.current_keyframe(self._bookmarks.name_for(seed))
        self._bookmarks.add(mark)
        self._emit(Change.BOOKMARKS)
        return mark

    def remove_bookmark(self, index: int) -> None:
        self._bookmarks.remove(index)
        self._emit(Change.BOOKMARKS)

    def go_to_bookmark(self, index: int) -> None:
        """Bookmark `index` becomes the current latent (and digit, if drawable)."""
        self._adopt(self._bookmarks.items[index])
        self._emit(Change.Z)

    def images_of(self, keys) -> np.ndarray:
        """uint8 (n, 28, 28): each keyframe-like frame as drawn; black for one this model
        cannot draw."""
        return key_images(self._generator, keys)

    # -- undo -------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        return Snapshot(self._state.snapshot(), self._path.keys, self._display, self._path.t,
                        self._bookmarks.items, self._directions.current,
                        self._directions.serial)

    def restore(self, snap: Snapshot) -> None:
        """Bring back the user's work as it was at `snap` (same model or latent size)."""
        if snap.latent.base.shape != (self._state.latent_dim,):
            return
        with self._quietly():
            self._state.restore(snap.latent)
            self._path.keys, self._bookmarks.items = snap.keyframes, snap.bookmarks
            self._tag_keys()
            self._display, self._path.t = snap.display, snap.t
            # The latent comes back along its own directions (exact); another model's
            # are replaced, without moving it, once this model's arrive.
            self._directions.current = (snap.directions if snap.model == self._directions.serial
                                        else None)
        self._emit(Change.RESTORE)

    # -- rendering ------------------------------------------------------------------------
    def render(self) -> Frame:
        """The frame on screen: the path at t, the 8×8 grid, or the single latent."""
        if self.showing_path:
            point = self.point()
            z, weights = point.z[None, :], point.class_weights
        elif self._grid:
            # Every cell the same digit or blend: the grid shows its styles.
            z, weights = self.grid_z(), self.class_weights
        else:
            z, weights = self._state.z[None, :], self.class_weights
        return frames.render(self._generator, z, weights, self._compare_generator)

    def verdict(self, image: np.ndarray) -> Verdict | None:
        """The classifier's verdict on one (28, 28) image; None without a classifier."""
        return self._classifier.verdict(image) if self._classifier else None

    def keyframe_images(self) -> np.ndarray:
        """uint8 (n, 28, 28): each keyframe as drawn (thumbnails for the keyframe list)."""
        return self.images_of(self._path.keys)

    def strip(self, count: int) -> np.ndarray:
        """uint8 (count, 28, 28): evenly spaced in-betweens from the first keyframe to the last."""
        return self.path_frames(np.linspace(0.0, 1.0, count) if count > 1 else [0.0])

    def path_frames(self, ts) -> np.ndarray:
        """uint8 (len(ts), 28, 28): frame i drawn by the generator at the path's
        (z_t, w_t) for t = ts[i] in [0, 1] (animation exports; never a blend of images)."""
        return self._path.images(self._generator, ts)

    # -- files ------------------------------------------------------------------------------
    def to_file(self) -> LatentFile:
        return LatentFile(self.current_keyframe(), list(self._path.keys), self._state.seed,
                          self._state.truncation, self._path.method, self._path.t,
                          self._generator.path.name if self._generator else "")

    def misfit_weights(self, data: LatentFile) -> str:
        """"" when every frame of `data` is drawable by the model now loaded, else one
        phrase saying which are not (`apply_file` keeps such keyframes as they are, and
        the current latent keeps the class chosen). An unconditional model ignores weights."""
        if not self.ready:
            return ""
        return latent_file_fit.misfit(data, self._generator, self.class_weights)

    def apply_file(self, data: LatentFile) -> None:
        """Adopt a loaded latent file (its latent_dim was checked against the model; class
        weights are applied where this model draws them, see `misfit_weights`)."""
        weights = latent_file_fit.current_weights(data, self._generator, self.class_weights)
        with self._quietly():
            if weights is not None:
                self._state.set_class_weights(weights)
            self._path.keys = tuple(data.keyframes)
            self._tag_keys()
            self._path.method, self._path.t = data.method, data.t
            self._state.set_z(data.current.z)
            self._display = "latent"
        self._emit(Change.RESTORE)
