"""`WindowState`: what the window remembers between runs (QSettings), saved on close.

Geometry, view and playback choices, and the latent's seed, truncation and digit. Values
are read defensively (settings.value): a damaged settings file falls back to defaults.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray

from .settings import value


class WindowState:
    def __init__(self, window):
        self.w = window

    def restore(self) -> None:
        w, s = self.w, self.w.settings
        geometry = s.value("geometry")
        if isinstance(geometry, QByteArray):
            w.restoreGeometry(geometry)
        w.grid_box.setChecked(value(s, "grid", False, bool))
        ip = w.interpolation
        ip.set_method(value(s, "method", "slerp", str))
        w.studio.method = ip.method.currentData()
        ip.speed.setValue(min(max(value(s, "speed_percent", 100, int), 1), 400))
        ip.loop.setChecked(value(s, "loop", True, bool))
        ip.pingpong.setChecked(value(s, "pingpong", False, bool))
        w.playback.speed = ip.speed.value() / 100.0
        w.playback.mode = ip.mode()

    def restore_latent(self) -> None:
        """After the first model loaded: the seed, truncation and digit of the last run."""
        w, s = self.w, self.w.settings
        state = w.studio.state
        if state is None:
            return
        state.truncation = min(max(value(s, "truncation", 1.0, float), 0.0), 2.0)
        label = value(s, "digit", 0, int)
        state.label = label if 0 <= label <= 9 else 0
        state.set_seed(max(value(s, "seed", 0, int), 0))
        w.refresh_model_state()

    def save(self) -> None:
        w, s = self.w, self.w.settings
        s.setValue("geometry", w.saveGeometry())
        s.setValue("grid", w.grid_box.isChecked())
        s.setValue("method", w.studio.method)
        s.setValue("speed_percent", w.interpolation.speed.value())
        s.setValue("loop", w.interpolation.loop.isChecked())
        s.setValue("pingpong", w.interpolation.pingpong.isChecked())
        state = w.studio.state
        if state is not None:
            s.setValue("seed", state.seed if state.seed is not None else 0)
            s.setValue("truncation", state.truncation)
            s.setValue("digit", state.label)
        s.sync()
