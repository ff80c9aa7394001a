"""`Change` and `Evented`: how the core says what changed, in one typed word.

Every change of the explorer's state is announced once, with the `Change` that says why,
to every callback `subscribe`d (napari's `dims.events.current_step`, one level simpler: one
channel, a typed reason). `Change` is a `StrEnum`: a subscriber compares members
(`reason is Change.GRID`); older code comparing with the bare word still works.
"""

from __future__ import annotations

from contextlib import contextmanager
from enum import StrEnum
from typing import Callable, Iterator


class Change(StrEnum):
    """Why the state changed. The first group is the latent's own (`LatentState`)."""

    SEED = "seed"
    TRUNCATION = "truncation"
    RAW = "raw"
    COEFF = "coeff"
    CLASS_WEIGHTS = "class_weights"
    DIRECTIONS = "directions"
    Z = "z"
    RESET = "reset"
    RESTORE = "restore"
    # The studio's: models, what is on screen, the path, the grid, the lists.
    GENERATOR = "generator"
    CLASSIFIER = "classifier"
    READER = "reader"  # Find a digit's reader of the input
    DISPLAY = "display"
    T = "t"
    METHOD = "method"
    GRID = "grid"
    KEYFRAMES = "keyframes"
    BOOKMARKS = "bookmarks"
    COMPARE = "compare"
    PLAYBACK = "playback"
    CLUSTER_DIGITS = "cluster_digits"  # which digit each cluster mostly draws is known


Listener = Callable[[Change], None]


class Evented:
    """A subscriber list, an `_emit(change)` and a way to make compound changes quiet."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._quiet = 0

    def subscribe(self, callback: Listener) -> None:
        """`callback(change)` after every change."""
        self._listeners.append(callback)

    def _emit(self, change: Change) -> None:
        if self._quiet:
            return
        for callback in list(self._listeners):
            callback(change)

    @contextmanager
    def _quietly(self) -> Iterator[None]:
        """Changes made inside announce nothing: the caller announces the whole once."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1
