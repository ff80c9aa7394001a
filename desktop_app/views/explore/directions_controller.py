"""`DirectionsController`: keeps the principal directions those of the digit on screen.

Directions belong to one model and one row of class weights (core/explore/directions.py): a
digit's style is not another digit's. The `Studio` owns them and a cache of those already
computed; this controller asks it after every change whether other directions are wanted
(`Studio.directions_wanted`), adopts cached ones at once, and otherwise computes them off
the GUI thread (`DirectionsWorker`, at low priority, cancelled by a newer request). A run
of changes (a mix drag) starts one computation, `DELAY_MS` after the last; a new model
starts at once. The direction sliders are rebuilt when the directions change.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from ...core.events import Change
from ...core.explore.directions_cache import weights_key
from ...core.studio import Studio
from ..widgets.busy_indicator import BusyIndicator
from .direction_sliders import DirectionSlidersWidget
from .directions_worker import DirectionsWorker

DELAY_MS = 150  # after the last change of digit: a drag of the mix slider computes once
BUSY_TEXT = "Finding principal directions…"


class DirectionsController(QObject):
    """`ready()` whenever the studio adopted directions (computed or cached)."""

    ready = Signal()

    def __init__(self, studio: Studio, sliders: DirectionSlidersWidget, busy: BusyIndicator,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.studio, self.sliders, self.busy = studio, sliders, busy
        self.worker = DirectionsWorker(self)
        self._started: tuple[int, bytes] | None = None  # (model serial, weights) computing
        self._shown = None  # the Directions the sliders were built for
        self._timer = QTimer(self, singleShot=True, interval=DELAY_MS)
        self._timer.timeout.connect(self._start)
        self.worker.ready.connect(self._on_ready)
        self.worker.failed.connect(self._on_failed)
        studio.subscribe(self._on_studio_changed)

    def _on_studio_changed(self, reason: Change) -> None:
        if reason is Change.GENERATOR:
            self._shown = None
            self.sliders.clear(BUSY_TEXT)
            self._start()
        elif reason is Change.DIRECTIONS or reason is Change.RESTORE:
            self._show()
            self._check()
        elif reason in (Change.CLASS_WEIGHTS, Change.SEED, Change.Z):
            self._check()

    def _check(self) -> None:
        """Cached directions at once; others computed after a short pause."""
        wanted = self.studio.directions_wanted()
        if wanted is None or self.studio.use_cached_directions():
            self._timer.stop()
            return
        if self._started != (wanted[0], weights_key(wanted[1])):
            self._timer.start()

    def _start(self) -> None:
        self._timer.stop()
        wanted = self.studio.directions_wanted()
        if wanted is None or self.studio.use_cached_directions():
            return
        self._started = wanted[0], weights_key(wanted[1])
        self.busy.start(BUSY_TEXT)
        self.worker.start(self.studio.generator, wanted[1])

    def _show(self) -> None:
        d = self.studio.directions
        if d is not None and d is not self._shown:
            self._shown = d
            self.sliders.set_directions(d.explained, self.studio.controls().coeffs)
            self.ready.emit()

    def _on_ready(self, result) -> None:
        started, self._started = self._started, None
        self.busy.stop()
        if started is not None:
            self.studio.offer_directions(started[0], result)
        self._check()  # the digit may have changed while they were computed

    def _on_failed(self, text: str) -> None:
        self._started = None
        self.busy.stop()
        self.sliders.set_pending(f"Directions failed: {text}")

    def shutdown(self) -> None:
        self._timer.stop()
        self.worker.shutdown()
