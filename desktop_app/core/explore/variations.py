"""Variations: an 8×8 grid of latents around the current one.

The variations grid is the current latent z in the top-left cell and z + radius · d_i in
the others, each d_i a fixed N(0, I) draw: the radius (in standard deviations of the
prior) says how far the grid wanders, and moving it scales every offset at once, so a
small radius shows close cousins and a large one unrelated digits. The draws come from a
`round` number, which a pick advances, so a grid around a picked latent is a fresh one.
"""

from __future__ import annotations

import numpy as np

RADIUS_RANGE = (0.0, 2.0)
DEFAULT_RADIUS = 0.5
_STREAM = 0x7A71  # keeps these draws apart from the seeds' own streams


def offsets(round_: int, n: int, latent_dim: int) -> np.ndarray:
    """(n, latent_dim) float32: row 0 zeros (the current latent), rows 1.. N(0, I)."""
    rng = np.random.default_rng([int(round_), _STREAM])
    out = rng.standard_normal((n, latent_dim)).astype(np.float32)
    out[0] = 0.0
    return out


def variation_z(z: np.ndarray, radius: float, offs: np.ndarray) -> np.ndarray:
    """(n, latent_dim) float32: z + radius · offs (row 0 is z exactly)."""
    lo, hi = RADIUS_RANGE
    radius = float(min(max(radius, lo), hi))
    return (np.asarray(z, np.float32)[None, :] + np.float32(radius) * offs).astype(np.float32)


class VariationGrid:
    """Whether the grid shows variations, their radius, and the draws behind them."""

    def __init__(self) -> None:
        self.on = False
        self.radius = DEFAULT_RADIUS
        self._round = 0
        self._cache: tuple[tuple[int, int, int], np.ndarray] | None = None

    def set_radius(self, radius: float) -> None:
        lo, hi = RADIUS_RANGE
        self.radius = min(max(float(radius), lo), hi)

    def z(self, centre: np.ndarray, n: int) -> np.ndarray:
        """(n, latent_dim): `centre` first, then its variations at the current radius."""
        key = (self._round, n, len(centre))
        if self._cache is None or self._cache[0] != key:
            # Drawn once per round, not per frame: a radius drag only rescales them.
            self._cache = key, offsets(self._round, n, len(centre))
        return variation_z(centre, self.radius, self._cache[1])

    def next_round(self) -> None:
        """Fresh draws (after a pick: variations of the picked latent, not the same again)."""
        self._round += 1

