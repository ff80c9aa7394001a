"""`FrameScheduler`: coalesces bursts of change requests into one render per event-loop turn,
and keeps the frame-time / FPS statistics shown in the status bar.

A slider drag can deliver many `valueChanged` signals between two paints; each only calls
`request()`, which posts one event to the scheduler (never a second while one is pending).
The render then runs once, for the latest state, on the event loop's next turn: never one
render per event, and no fixed frame-rate cap adding latency. (superqt's `qthrottled` would
do the same, but importing superqt pulls in qtpy and added about 0.25 s to cold start.)

A posted event rather than a zero-delay timer: Qt delivers posted events before it fires
timers, and delivers its own repaint request (posted at low priority) after ours. With a
timer, the window was painted twice per frame, once for the moved slider and once more
for the digit; with the event, the render comes first and one paint shows both.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal

STATS_INTERVAL_MS = 250
_RENDER = QEvent.Type(QEvent.registerEventType())


class FrameScheduler(QObject):
    """`request()` from any handler; `render` runs at most once per event-loop turn."""

    statsChanged = Signal(float, float)  # (last frame time in ms, frames per second)

    def __init__(self, render: Callable[[], None], parent: QObject | None = None):
        super().__init__(parent)
        self._render = render
        self._pending = False
        self._stats_timer = QTimer(self, interval=STATS_INTERVAL_MS)
        self._stats_timer.timeout.connect(self._on_stats)
        self._frames: deque[float] = deque(maxlen=1000)
        self.last_frame_ms = 0.0
        self.renders = 0

    def request(self) -> None:
        if not self._pending:
            self._pending = True
            QCoreApplication.postEvent(self, QEvent(_RENDER))

    def event(self, event: QEvent) -> bool:
        if event.type() == _RENDER:
            if self._pending:  # else a flush() already drew it
                self._pending = False
                self._on_render()
            return True
        return super().event(event)

    @property
    def pending(self) -> bool:
        return self._pending

    def flush(self) -> None:
        """Render now if a request is pending (used before screenshots and exports)."""
        if self._pending:
            self._pending = False
            self._on_render()

    def _on_render(self) -> None:
        start = time.perf_counter()
        self._render()
        now = time.perf_counter()
        self.renders += 1
        self.last_frame_ms = (now - start) * 1000.0
        self._frames.append(now)
        if not self._stats_timer.isActive():
            self._stats_timer.start()

    def fps(self) -> float:
        """Frames rendered during the last second."""
        now = time.perf_counter()
        return float(sum(1 for t in self._frames if now - t <= 1.0))

    def _on_stats(self) -> None:
        fps = self.fps()
        self.statsChanged.emit(self.last_frame_ms, fps)
        if fps == 0:
            self._stats_timer.stop()  # idle: no wake-ups when nothing is drawn
