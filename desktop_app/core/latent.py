"""`LatentState`: the latent vector being explored, as seed + edits, with no Qt in sight.

The effective latent is

    z = truncation · (base(seed) + delta) + Σ_i coeffs[i] · directions.step(i)

* `base(seed)` is N(0, I) drawn from `numpy.random.default_rng(seed)`: the same seed gives
  the same digit on every machine and in every run.
* `delta` holds the raw per-dimension edits (the raw sliders show `base + delta`).
* `truncation` scales the drawn vector: below 1 trades variety for typical-looking digits.
* `coeffs` are the principal-direction sliders, in standard deviations (see directions.py).

Views register a callback with `subscribe`; every setter notifies once, passing a reason
("seed", "truncation", "raw", "coeff", "label", "directions", "z", "reset") so a view
can skip work, e.g. raw sliders need no refresh when the change came from one of them.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

MAX_SEED = 2**31 - 1
# Raw sliders span ±RAW_RANGE: N(0, 1) values beyond ±4 occur once in ~16 000 draws.
RAW_RANGE = 4.0
DIRECTION_RANGE = 3.0


def _phi(x: float) -> float:
    """The standard normal CDF."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _phi_inverse(p: float) -> float:
    lo, hi = -10.0, 10.0
    for _ in range(80):  # bisection: exact to float precision, and only run at import
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _phi(mid) < p else (lo, mid)
    return 0.5 * (lo + hi)


# Models exported with `digit_from_latent` draw digit floor(10·Φ(z[0])) (docs/model-contract.md):
# digit k for z[0] in [DIGIT_EDGES[k-1], DIGIT_EDGES[k]), the deciles of N(0, 1).
DIGIT_EDGES = tuple(_phi_inverse(k / 10) for k in range(1, 10))
DIGIT_CENTRES = tuple(_phi_inverse((k + 0.5) / 10) for k in range(10))


def digit_of_z0(z0: float) -> int:
    """The digit a `digit_from_latent` model draws for latent value z[0]: floor(10·Φ(z0))."""
    return min(max(int(10.0 * _phi(float(z0))), 0), 9)


def seed_vector(seed: int, latent_dim: int) -> np.ndarray:
    """The reproducible N(0, I) draw for `seed`: (latent_dim,) float32."""
    return np.random.default_rng(seed).standard_normal(latent_dim).astype(np.float32)


class LatentState:
    """Seed, truncation, raw edits and direction coefficients of the current latent."""

    def __init__(self, latent_dim: int, seed: int = 0, truncation: float = 1.0):
        self._listeners: list[Callable[[str], None]] = []
        self.latent_dim = latent_dim
        self.seed: int | None = seed
        self.truncation = float(truncation)
        self._base = seed_vector(seed, latent_dim)
        self.delta = np.zeros(latent_dim, np.float32)
        self.label = 0
        self._steps = np.zeros((0, latent_dim), np.float32)
        self.coeffs = np.zeros(0, np.float32)
        self._grid_key: tuple[int, int] | None = None
        self._grid_bases = np.zeros((0, latent_dim), np.float32)

    # -- observers ------------------------------------------------------------------
    def subscribe(self, callback: Callable[[str], None]) -> None:
        self._listeners.append(callback)

    def _changed(self, reason: str) -> None:
        for callback in self._listeners:
            callback(reason)

    # -- reading ----------------------------------------------------------------------
    @property
    def raw(self) -> np.ndarray:
        """What the raw sliders show: base(seed) + delta, (latent_dim,) float32."""
        return self._base + self.delta

    @property
    def z(self) -> np.ndarray:
        """The effective latent fed to the generator, (latent_dim,) float32."""
        z = self.truncation * self.raw
        if self.coeffs.size:
            z = z + self.coeffs @ self._steps
        return z.astype(np.float32, copy=False)

    def raw_for(self, dim: int, z_value: float) -> float | None:
        """The raw slider value of `dim` at which z[dim] equals `z_value`, given the current
        truncation and directions (None at truncation 0, where no raw value gets there)."""
        if abs(self.truncation) < 1e-9:
            return None
        offset = float(self.coeffs @ self._steps[:, dim]) if self.coeffs.size else 0.0
        return (z_value - offset) / self.truncation

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
    def set_seed(self, seed: int) -> None:
        """A new draw; clears raw edits (they belonged to the old draw) but keeps directions."""
        self.seed = int(seed) % (MAX_SEED + 1)
        self._base = seed_vector(self.seed, self.latent_dim)
        self.delta[:] = 0
        self._changed("seed")

    def set_truncation(self, value: float) -> None:
        self.truncation = float(value)
        self._changed("truncation")

    def set_raw(self, dim: int, value: float) -> None:
        """Set what raw slider `dim` shows, i.e. (base + delta)[dim]."""
        self.delta[dim] = value - self._base[dim]
        self._changed("raw")

    def set_coeff(self, index: int, value: float) -> None:
        """Set principal-direction slider `index`, in standard deviations."""
        self.coeffs[index] = value
        self._changed("coeff")

    def set_label(self, label: int) -> None:
        self.label = int(label)
        self._changed("label")

    def set_directions(self, steps: np.ndarray) -> None:
        """steps : (k, latent_dim), the latent change of +1 std along each direction.

        Coefficients already set keep their values where the count allows.
        """
        old = self.coeffs
        self._steps = np.asarray(steps, np.float32).reshape(-1, self.latent_dim)
        self.coeffs = np.zeros(len(self._steps), np.float32)
        keep = min(len(old), len(self.coeffs))
        self.coeffs[:keep] = old[:keep]
        self._changed("directions")

    def set_z(self, z: np.ndarray) -> None:
        """Make `z` the current latent exactly: no seed, truncation 1, directions at 0."""
        z = np.asarray(z, np.float32).reshape(self.latent_dim)
        self.seed = None
        self._base = z.copy()
        self.delta[:] = 0
        self.truncation = 1.0
        self.coeffs[:] = 0
        self._changed("z")

    def reset(self) -> None:
        """Back to the plain draw (or loaded latent): raw edits and directions cleared."""
        self.delta[:] = 0
        self.coeffs[:] = 0
        self._changed("reset")
