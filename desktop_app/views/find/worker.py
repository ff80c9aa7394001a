"""`FindWorker`: prepares a picture and finds its latent off the GUI thread, cancellably.

One background thread (an executor, below the UI's priority, as for the directions) runs
one search at a time: preprocess (a drawing or an image file, see digit_contract/preprocess.py),
the encoder's guess, then refinement (core/find/inversion.py). Results come back through
queued signals tagged with the search's token; `start` (or `cancel`) makes the running
search stop at its next refinement step, and anything an older search still sends is
dropped. So while the user draws, each new stroke cancels the search before it.

Signals, each for the latest search only:
    prepared(image)                      the preprocessed (28, 28) input
    improved(Inversion)                  the encoder's guess (steps 0), then refinement
                                         steps, at most one per PROGRESS_MS
    found(Inversion)                     the final answer
    failed(message)                      one sentence (a bad picture, a failed run, a
                                         model that answered NaN: nothing is found then)
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal

from digit_contract.preprocess import ImageError

from ...core.find.inversion import find_latent
from ...core.models.contract import ModelRunError
from ...core.models.messages import first_line
from ..widgets.background import BackgroundWorker

# An answer within half a second, and the budget docs/results.md measures with: the
# held-out typefaces and photos need the several hypotheses that 400 ms pays for.
REFINE_MS = 400.0
PROGRESS_MS = 16.0  # one display frame: refinement steps faster than this are coalesced


class _Bridge(QObject):
    """Carries results from the worker thread to the GUI thread (queued connections)."""

    event = Signal(int, str, object)


class FindWorker(BackgroundWorker):
    prepared = Signal(object)
    improved = Signal(object)
    found = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None, refine_ms: float = REFINE_MS):
        super().__init__("find-latent", parent)
        self.refine_ms = refine_ms
        # No parent: the worker thread holds it, so it outlives a window closed mid-search.
        self._bridge = _Bridge()
        self._bridge.event.connect(self._on_event)

    def start(self, generator, encoder, prepare: Callable[[], np.ndarray], classifier=None,
              reader=None) -> None:
        """Search for the image `prepare()` makes (it runs on the worker thread and may
        raise `ImageError`), with `encoder` made for `generator` (None: only prepare the
        image) and, when given, the classifier judging the redrawn digits and the reader
        (else the classifier) reading the input (see core/find/inversion.py). Cancels the
        last search."""
        bridge, jobs, refine_ms = self._bridge, self._jobs, self.refine_ms

        def work(token: int) -> None:
            def stale() -> bool:
                return jobs.stale(token)

            def send(kind: str, payload: object) -> None:
                try:
                    bridge.event.emit(token, kind, payload)
                except RuntimeError:  # the receiver is gone; nobody is waiting
                    pass

            if stale():
                return  # a newer stroke arrived while this one waited
            try:
                image = prepare()
                send("prepared", image)
                if encoder is None:
                    return  # no encoder for this model: the input is all there is to show
                guess = find_latent(generator, encoder, image, 0.0)
                send("improved", guess)
                started = time.perf_counter()
                last = [started]

                def on_improve(step, z, weights, error) -> None:
                    now = time.perf_counter()
                    if (now - last[0]) * 1000.0 < PROGRESS_MS:
                        return
                    last[0] = now
                    picture = generator.generate_background(
                        z[None], None if weights is None else weights[None])[0]
                    send("improved", dataclasses.replace(
                        guess, z=z, class_weights=weights, reconstruction=picture,
                        error=error, steps=step, seconds=now - started))

                result = find_latent(generator, encoder, image, refine_ms, classifier=classifier,
                                     reader=reader, on_improve=on_improve, cancelled=stale)
            except (ImageError, ModelRunError) as exc:  # already one sentence
                send("failed", str(exc))
                return
            except Exception as exc:  # noqa: BLE001 - reported in the panel, not lost
                send("failed", f"Finding the digit failed: {first_line(exc, 200)}")
                return
            if not stale():
                send("found", result)

        jobs.submit(work)

    def _on_event(self, token: int, kind: str, payload: object) -> None:
        if self._jobs.stale(token):
            return
        if kind == "prepared":
            self.prepared.emit(payload)
        elif kind == "improved":
            self.improved.emit(payload)
        elif kind == "found":
            self.found.emit(payload)
        else:
            self.failed.emit(payload)
