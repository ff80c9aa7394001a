"""`WindowState`: what the window remembers between runs (QSettings), saved on close.

Geometry, view and playback choices, the keyframes, and the latent's seed, truncation and class weights
(the digit or blend). Values are read defensively (settings.value): a damaged settings file
falls back to defaults.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QByteArray

from ..core.latent import MAX_SEED
from ..core.weights import check as check_weights
from .settings import number, value


def _weights(text: str, num_classes: int):
    """Saved weights ("0 0 0.7 …") as a checked row, or None if absent or damaged."""
    try:
        values = [float(v) for v in text.split()]
        if not all(math.isfinite(v) for v in values):
            return None
        return check_weights(values, num_classes)[0]
    except (ValueError, OverflowError):
        return None


class WindowState:
    def __init__(self, window):
        self.w = window

    def restore(self) -> None:
        w, s = self.w, self.w.settings
        geometry = s.value("geometry")
        if isinstance(geometry, QByteArray):
            w.restoreGeometry(geometry)
        w.ui.grid_box.setChecked(value(s, "grid", False, bool))
        w.ui.smooth_box.setChecked(value(s, "smooth", False, bool))
        ip = w.ui.interpolation
        ip.set_method(value(s, "method", "slerp", str))
        w.studio.set_method(ip.method.currentData())
        ip.speed.setValue(number(s, "speed_percent", 100, 1, 400))
        ip.loop.setChecked(value(s, "loop", True, bool))
        ip.pingpong.setChecked(value(s, "pingpong", False, bool))
        w.playback.speed = ip.speed.value() / 100.0
        w.playback.mode = ip.mode()

    def restore_latent(self) -> None:
        """After the first model loaded: the seed, truncation and weights of the last run."""
        w, s = self.w, self.w.settings
        state = w.studio.state
        if state is None:
            return
        state.truncation = number(s, "truncation", 1.0, 0.0, 2.0)
        weights = _weights(value(s, "class_weights", "", str), state.num_classes) \
            if state.num_classes else None
        if weights is not None:
            state.class_weights = weights  # quietly: set_seed announces the change
        state.set_seed(number(s, "seed", 0, 0, MAX_SEED), keep_weights=weights is not None)
        w.refresh_model_state()

    def save(self) -> None:
        w, s = self.w, self.w.settings
        s.setValue("geometry", w.saveGeometry())
        s.setValue("grid", w.ui.grid_box.isChecked())
        s.setValue("smooth", w.ui.smooth_box.isChecked())
        s.setValue("method", w.studio.method)
        s.setValue("speed_percent", w.ui.interpolation.speed.value())
        s.setValue("loop", w.ui.interpolation.loop.isChecked())
        s.setValue("pingpong", w.ui.interpolation.pingpong.isChecked())
        state = w.studio.state
        if state is not None:
            s.setValue("seed", state.seed if state.seed is not None else 0)
            s.setValue("truncation", state.truncation)
            if state.class_weights is not None:
                s.setValue("class_weights", " ".join(f"{v:.6g}" for v in state.class_weights))
        s.sync()
