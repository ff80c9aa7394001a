"""`PlaybackClock`: drives t along the keyframe path in real time (once, loop or ping-pong).

The clock ticks at the screen's refresh rate and asks `core.interpolation.playhead` where
t is for the elapsed wall time, so playback speed does not depend on how fast frames render.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication

from ...core.morph.interpolation import elapsed_for, playhead

BASE_PERIOD_S = 2.0  # one pass from the first keyframe to the last at 100 % speed


class PlaybackClock(QObject):
    """Emits `tick(t)` each refresh while playing; `finished()` at the end of a "once" pass."""

    tick = Signal(float)
    finished = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.speed = 1.0
        self.mode = "loop"
        self._origin = 0.0
        self._timer = QTimer(self)
        screen = QGuiApplication.primaryScreen()
        hz = screen.refreshRate() if screen is not None else 60.0
        self._timer.setInterval(max(4, int(1000.0 / max(hz, 30.0))))
        self._timer.timeout.connect(self._on_timeout)

    @property
    def period_s(self) -> float:
        return BASE_PERIOD_S / max(self.speed, 0.01)

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def start(self, from_t: float = 0.0) -> None:
        """Play forward from `from_t` (a finished "once" pass restarts from 0)."""
        if self.mode == "once" and from_t >= 1.0:
            from_t = 0.0
        self._origin = time.perf_counter() - elapsed_for(from_t, self.period_s)
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def set_speed(self, speed: float, current_t: float) -> None:
        """Change speed without a jump: re-anchor the clock at the current t."""
        self.speed = speed
        if self.playing:
            self.start(current_t)

    def _on_timeout(self) -> None:
        t, done = playhead(time.perf_counter() - self._origin, self.period_s, self.mode)
        self.tick.emit(t)
        if done:
            self.stop()
            self.finished.emit()
