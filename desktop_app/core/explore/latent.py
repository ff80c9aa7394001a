"""`LatentState`: the latent vector being explored, as seed + edits, with no Qt in sight.

The effective latent is

    z = truncation · (base(seed) + delta) + Σ_i coeffs[i] · directions.step(i)

* `base(seed)` is N(0, I) drawn from `numpy.random.default_rng(seed)`: the same seed gives
  the same digit on every machine and in every run.
* `delta` holds the raw per-dimension edits (the raw sliders show `base + delta`).
* `truncation` scales the drawn vector: below 1 trades variety for typical-looking digits.
* `coeffs` are the principal-direction sliders, in standard deviations (see directions.py).

Conditional models also get `class_weights` (num_classes,), the digit or blend of digits
drawn (or the cluster or blend of clusters, for a generator whose classes are clusters).
Truncation and directions act on z only, never on the weights. A seed draws a class too
(`seed_digit`), so a random sample is a random digit, reproducibly: uniformly over the
digits, or by the model's `class_priors` over its clusters.

Its owner (`Studio`) registers a callback with `subscribe`; every setter notifies once,
passing a `Change` (SEED, TRUNCATION, RAW, COEFF, CLASS_WEIGHTS, DIRECTIONS, Z, RESET,
RESTORE) so a view can skip work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..events import Change
from .weights import check as check_weights, one_hot

MAX_SEED = 2**31 - 1
# Raw sliders span ±RAW_RANGE: N(0, 1) values beyond ±4 occur once in ~16 000 draws.
RAW_RANGE = 4.0
DIRECTION_RANGE = 3.0


def seed_vector(seed: int, latent_dim: int) -> np.ndarray:
    """The reproducible N(0, I) draw for `seed`: (latent_dim,) float32."""
    return np.random.default_rng(seed).standard_normal(latent_dim).astype(np.float32)


def seed_digit(seed: int, num_classes: int, priors=None) -> int:
    """The class a conditional model draws for `seed`, from its own stream so it never
    disturbs `seed_vector(seed)`: uniform over the classes (digits), or, given `priors`
    (a cluster model's `class_priors`, num_classes positive shares), by those shares."""
    rng = np.random.default_rng([int(seed), 0xD161])
    if priors is None:
        return int(rng.integers(num_classes))
    cumulative = np.cumsum(np.asarray(priors, np.float64))
    if cumulative.shape != (num_classes,):
        raise ValueError(f"priors must have {num_classes} values, got {cumulative.shape}")
    pick = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return min(pick, num_classes - 1)



@dataclass(frozen=True)
class LatentSnapshot:
    """Everything `LatentState.restore` needs to bring a latent back exactly (undo)."""

    seed: int | None
    truncation: float
    base: np.ndarray
    delta: np.ndarray
    coeffs: np.ndarray
    class_weights: np.ndarray | None
    # The directions the coefficients were set along (shared, never written): undo puts
    # them back with the coefficients, so the latent comes back exactly.
    steps: np.ndarray | None = None

    def same_as(self, other: "LatentSnapshot") -> bool:
        return (self.seed == other.seed and self.truncation == other.truncation
                and np.array_equal(self.base, other.base)
                and np.array_equal(self.delta, other.delta)
                and np.array_equal(self.coeffs, other.coeffs)
                and _same(self.class_weights, other.class_weights))


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None
                                         and np.array_equal(a, b))


class LatentState:
    """Seed, truncation, raw edits and direction coefficients of the current latent."""

    def __init__(self, latent_dim: int, seed: int = 0, truncation: float = 1.0,
                 num_classes: int = 0, class_priors=None):
        self._listeners: list[Callable[[Change], None]] = []
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        # A cluster model's priors (random classes follow them); None: uniform digits.
        self.class_priors: tuple[float, ...] | None = (
            None if class_priors is None or not num_classes else tuple(class_priors))
        self.seed: int | None = seed
        self.truncation = float(truncation)
        self._base = seed_vector(seed, latent_dim)
        self.delta = np.zeros(latent_dim, np.float32)
        self.class_weights: np.ndarray | None = (
            self._seed_weights(seed) if num_classes else None)
        self._steps = np.zeros((0, latent_dim), np.float32)
        self.coeffs = np.zeros(0, np.float32)
        self._grid_key: tuple[int, int] | None = None
        self._grid_bases = np.zeros((0, latent_dim), np.float32)

    def _seed_weights(self, seed: int) -> np.ndarray:
        """One-hot weights of the class `seed` draws (see `seed_digit`)."""
        return one_hot(seed_digit(seed, self.num_classes, self.class_priors), self.num_classes)

    # -- observers ------------------------------------------------------------------
    def subscribe(self, callback: Callable[[Change], None]) -> None:
        self._listeners.append(callback)

    def _changed(self, reason: Change) -> None:
        for callback in self._listeners:
            callback(reason)

    # -- reading ----------------------------------------------------------------------
    @property
    def raw(self) -> np.ndarray:
        """What the raw sliders show: base(seed) + delta, (latent_dim,) float32."""
        return self._base + self.delta

    @property
    def steps(self) -> np.ndarray:
        """(k, latent_dim): the latent change of +1 std along each direction."""
        return self._steps

    @property
    def z(self) -> np.ndarray:
        """The effective latent fed to the generator, (latent_dim,) float32."""
        z = self.truncation * self.raw
        if self.coeffs.size:
            z = z + self.coeffs @ self._steps
        return z.astype(np.float32, copy=False)

    def grid_z(self, n: int) -> np.ndarray:
        """(n, latent_dim): the current latent, then n-1 neighbours drawn from seed+1...

        Neighbours get the same raw edits, truncation and directions, so every slider
        moves the whole grid.
        """
        first = 0 if self.seed is None else self.seed
        if self._grid_key != (first, n):
            # Drawing 63 generators per frame cost ~2 ms; the draws only change with the seed.
            self._grid_bases = np.stack(
                [np.zeros(self.latent_dim, np.float32)]
                + [seed_vector((first + i) % (MAX_SEED + 1), self.latent_dim)
                   for i in range(1, n)])
            self._grid_key = (first, n)
        raws = self._grid_bases + self.delta
        raws[0] = self.raw
        z = self.truncation * raws
        if self.coeffs.size:
            z = z + self.coeffs @ self._steps
        return z.astype(np.float32, copy=False)

    # -- writing ----------------------------------------------------------------------
    def set_seed(self, seed: int, keep_weights: bool = False) -> None:
        """A new draw; clears raw edits (they belonged to the old draw) but keeps directions.

        Conditional models also draw the seed's class (digit or cluster), unless
        `keep_weights` (restoring a saved session, whose class or blend is restored
        separately).
        """
        self.seed = int(seed) % (MAX_SEED + 1)
        self._base = seed_vector(self.seed, self.latent_dim)
        self.delta[:] = 0
        if self.num_classes and not keep_weights:
            self.class_weights = self._seed_weights(self.seed)
        self._changed(Change.SEED)

    def set_truncation(self, value: float) -> None:
        self.truncation = float(value)
        self._changed(Change.TRUNCATION)

    def set_raw(self, dim: int, value: float) -> None:
        """Set what raw slider `dim` shows, i.e. (base + delta)[dim]."""
        self.delta[dim] = value - self._base[dim]
        self._changed(Change.RAW)

    def set_coeff(self, index: int, value: float) -> None:
        """Set principal-direction slider `index`, in standard deviations."""
        self.coeffs[index] = value
        self._changed(Change.COEFF)

    def set_class_weights(self, weights) -> None:
        """The digit or blend to draw: (num_classes,) non-negative, summing to 1
        (conditional models only; raises ValueError otherwise)."""
        if not self.num_classes:
            raise ValueError("an unconditional model has no class weights")
        self.class_weights = check_weights(weights, self.num_classes)[0]
        self._changed(Change.CLASS_WEIGHTS)

    def set_digit(self, digit: int) -> None:
        """Draw the pure digit (or cluster): one-hot weights."""
        self.set_class_weights(one_hot(digit, self.num_classes) if self.num_classes else [])

    def set_num_classes(self, num_classes: int, weights=None, class_priors=None) -> None:
        """Adopt another model's classes (same latent_dim): their count and, for clusters,
        their priors (None: digits). Weights are kept when the width and the kind of class
        match, else `weights` or the seed's class (or None for unconditional)."""
        priors = None if class_priors is None or not num_classes else tuple(class_priors)
        same_kind = (priors is None) == (self.class_priors is None)
        self.class_priors = priors
        if num_classes == self.num_classes and same_kind and weights is None:
            return
        self.num_classes = num_classes
        if not num_classes:
            self.class_weights = None
        elif weights is not None:
            self.class_weights = check_weights(weights, num_classes)[0]
        else:
            self.class_weights = self._seed_weights(self.seed or 0)
        self._changed(Change.CLASS_WEIGHTS)

    def set_directions(self, steps: np.ndarray) -> None:
        """steps : (k, latent_dim), the latent change of +1 std along each direction.

        The latent does not move: what the old coefficients added is folded into the raw
        edits (truncation permitting) and the new coefficients start at 0. Directions
        belong to one digit (directions.py); another digit's are another basis.
        """
        offset = self.coeffs @ self._steps if self.coeffs.size else None
        if offset is not None and np.any(offset) and self.truncation > 0:
            self.delta = (self.delta + offset / self.truncation).astype(np.float32)
        self._steps = np.asarray(steps, np.float32).reshape(-1, self.latent_dim)
        self.coeffs = np.zeros(len(self._steps), np.float32)
        self._changed(Change.DIRECTIONS)

    def set_z(self, z: np.ndarray) -> None:
        """Make `z` the current latent exactly: no seed, truncation 1, directions at 0."""
        z = np.asarray(z, np.float32).reshape(self.latent_dim)
        self.seed = None
        self._base = z.copy()
        self.delta[:] = 0
        self.truncation = 1.0
        self.coeffs[:] = 0
        self._changed(Change.Z)

    def snapshot(self) -> LatentSnapshot:
        weights = None if self.class_weights is None else self.class_weights.copy()
        return LatentSnapshot(self.seed, self.truncation, self._base.copy(), self.delta.copy(),
                              self.coeffs.copy(), weights, self._steps)

    def restore(self, snap: LatentSnapshot) -> None:
        """Bring back a snapshot of this latent (same latent_dim), with the directions its
        coefficients were set along; a snapshot without them keeps the directions now and
        drops coefficients for directions that no longer exist (missing ones are 0)."""
        self.seed = snap.seed
        self.truncation = snap.truncation
        self._base = snap.base.copy()
        self.delta = snap.delta.copy()
        if snap.steps is not None and snap.steps.shape[1:] == (self.latent_dim,):
            self._steps = snap.steps
            self.coeffs = snap.coeffs.copy()
        else:
            keep = min(len(snap.coeffs), len(self.coeffs))
            self.coeffs[:] = 0
            self.coeffs[:keep] = snap.coeffs[:keep]
        if self.num_classes and snap.class_weights is not None \
                and len(snap.class_weights) == self.num_classes:
            self.class_weights = snap.class_weights.copy()
        self._changed(Change.RESTORE)

    def set_seed_keeping_edits(self, seed: int) -> None:
        """Another seed under the same raw edits, truncation, directions and weights: what
        a grid tile shows (see `grid_z`)."""
        self.seed = int(seed) % (MAX_SEED + 1)
        self._base = seed_vector(self.seed, self.latent_dim)
        self._changed(Change.SEED)

    def clear_directions(self) -> bool:
        """Forget directions and their coefficients (another model's PC1 is another
        direction). True if a coefficient was non-zero, i.e. the latent changed."""
        moved = bool(np.any(self.coeffs))
        self._steps = np.zeros((0, self.latent_dim), np.float32)
        self.coeffs = np.zeros(0, np.float32)
        self._changed(Change.DIRECTIONS)
        return moved

    def reset(self) -> None:
        """Back to the plain draw (or loaded latent): raw edits and directions cleared."""
        self.delta[:] = 0
        self.coeffs[:] = 0
        self._changed(Change.RESET)
