"""`DirectionsCache`: the principal directions the sliders move along now, and those
already computed for other digits or blends of the same model.

Directions belong to one model and one row of class weights. The cache numbers the
models (`serial`, bumped by `new_model`): a result computed for an older model is
refused, and one for another row of the same model is kept (the last `KEPT`), so coming
back to a digit reuses its directions instead of computing them again. The `Studio` owns
one and announces what it adopts.
"""

from __future__ import annotations

import numpy as np

from .directions import Directions

KEPT = 16  # directions of this many digits or blends are kept per model


def weights_key(weights: np.ndarray | None) -> bytes:
    """A dictionary key for a class-weight row (b"" for none): rounded, so float noise of
    the same blend finds the same directions."""
    return b"" if weights is None else np.round(np.asarray(weights, np.float64), 4).tobytes()


class DirectionsCache:
    """`current`: the directions in use (None: none yet); `serial`: the model they are for."""

    def __init__(self) -> None:
        self.serial = 0
        self.current: Directions | None = None
        self._kept: dict[bytes, Directions] = {}

    def new_model(self) -> None:
        """Another generator: every direction computed so far is stale."""
        self.serial += 1
        self.current, self._kept = None, {}

    def wanted(self, weights: np.ndarray | None) -> tuple[int, np.ndarray | None] | None:
        """(serial, weights) when the directions in use are not those of `weights`, the
        class-weight row on screen (None for an unconditional model); else None."""
        d = self.current
        if d is not None and weights_key(d.class_weights) == weights_key(weights):
            return None
        return self.serial, None if weights is None else weights.copy()

    def cached(self, weights: np.ndarray | None) -> Directions | None:
        """Directions already computed for `weights` on this model, if any."""
        return self._kept.get(weights_key(weights))

    def keep(self, serial: int, result: Directions, latent_dim: int) -> bool:
        """Keep `result`, computed for model `serial`; False (nothing kept) when that is
        not the model now or its steps are not (k, latent_dim)."""
        if serial != self.serial or result.steps.shape[1:] != (latent_dim,):
            return False
        self._kept[weights_key(result.class_weights)] = result
        while len(self._kept) > KEPT:
            self._kept.pop(next(iter(self._kept)))  # the oldest first
        return True
