"""`DirectionsWorker`: computes a model's principal directions off the GUI thread.

Sampling a few thousand images and a PCA take 0.1-1 s; on the GUI thread that would
freeze the window right after every model load. The worker owns one background thread
(an executor) that runs at a lower OS priority than the UI, so frames are served first
when the cores are busy. The result comes back through a queued signal; a newer `start`
(or `cancel`) makes an older computation stop at its next batch and its result is dropped.
`shutdown` also waits for it: a thread still inside ONNX Runtime when the interpreter
exits aborts the process ("terminate called without an active exception", exit code 134).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ...core.explore.directions import Cancelled, compute_directions
from ...core.models.contract import ModelRunError
from ...core.models.messages import first_line
from ..widgets.background import BackgroundWorker


class _Bridge(QObject):
    """Carries a result from the worker thread into the GUI thread (queued connection)."""

    done = Signal(int, object)


class DirectionsWorker(BackgroundWorker):
    """`ready(Directions)` or `failed(message)` for the latest `start(generator)`; the
    message is one sentence, never an exception's type and text."""

    ready = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__("directions", parent)
        # No parent: the worker thread holds a reference, so the bridge outlives the
        # window if the window closes mid-computation.
        self._bridge = _Bridge()
        self._bridge.done.connect(self._on_done)

    def start(self, generator, class_weights=None) -> None:
        """Compute `generator`'s directions at the fixed `class_weights` (conditional models)."""
        bridge, jobs = self._bridge, self._jobs

        def work(token: int) -> None:
            try:
                result = compute_directions(generator, should_stop=lambda: jobs.stale(token),
                                            class_weights=class_weights)
            except Cancelled:
                return
            except Exception as exc:  # noqa: BLE001 - reported in the window, not lost
                result = exc
            try:
                bridge.done.emit(token, result)
            except RuntimeError:  # the receiver is gone; nobody is waiting
                pass

        jobs.submit(work)

    def _on_done(self, token: int, result: object) -> None:
        if self._jobs.stale(token):
            return
        if isinstance(result, ModelRunError):  # one sentence naming the model
            self.failed.emit(str(result))
        elif isinstance(result, Exception):  # never a raw "ValueError: could not broadcast"
            self.failed.emit(f"the computation stopped ({first_line(result)}).")
        else:
            self.ready.emit(result)
