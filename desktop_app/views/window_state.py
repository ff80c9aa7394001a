"""`WindowState`: what the window remembers between runs (QSettings), saved on close.

Geometry, view and playback choices, the latent's seed, truncation and class weights (the
digit or blend), and the keyframes, one list per latent size (`keyframes/<n>d`, in the
latent file format of docs/latent-file-format.md). Values are read defensively
(settings.value, files.loads): a damaged settings file falls back to defaults. It is the
studio's `SessionStore` (core/models/model_loading.py); what it restores goes through the
studio's commands, and what it saves is read from the studio, never from a widget.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSettings

from ..core.explore.latent import MAX_SEED
from ..core.explore.weights import check as check_weights
from ..core.files import latent_files as files
from ..core.morph.interpolation import METHODS
from .files.settings import number, value


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
    """Reads and writes the settings of the studio, the view boxes and playback.

    settings : QSettings; studio : the window's `Studio`; ui : its `WindowUi` (the grid
    and smoothing boxes, the interpolation panel); playback : its `PlaybackClock`. The
    window's geometry is the window's own business (`MainWindow.closeEvent`).
    """

    def __init__(self, settings: QSettings, studio, ui, playback):
        self.settings, self.studio, self.ui, self.playback = settings, studio, ui, playback

    def restore(self) -> None:
        s, ui, studio = self.settings, self.ui, self.studio
        studio.set_grid(value(s, "grid", False, bool))
        ui.smooth_box.setChecked(value(s, "smooth", False, bool))  # the views' own choice
        studio.set_radius(number(s, "radius", 0.5, 0.0, 2.0))
        studio.set_variations(value(s, "variations", False, bool))
        method = value(s, "method", "slerp", str)
        studio.set_method(method if method in METHODS else "slerp")
        loop, pingpong = value(s, "loop", True, bool), value(s, "pingpong", False, bool)
        studio.set_playback(number(s, "speed_percent", 100, 1, 400) / 100.0,
                            "pingpong" if pingpong else "loop" if loop else "once")

    def saved_latent(self, num_classes: int):
        """The seed, truncation and weights of the last run (restored on the first model)."""
        s = self.settings
        weights = _weights(value(s, "class_weights", "", str), num_classes) \
            if num_classes else None
        return (number(s, "seed", 0, 0, MAX_SEED), number(s, "truncation", 1.0, 0.0, 2.0),
                weights)

    @staticmethod
    def _keyframes_key(latent_dim: int) -> str:
        return f"keyframes/{latent_dim}d"

    def save_keyframes(self, latent_dim: int, data: files.LatentFile | None) -> None:
        """Remember `data`'s keyframes for this latent size (None: forget them)."""
        key = self._keyframes_key(latent_dim)
        if data is not None and data.keyframes:
            self.settings.setValue(key, files.dumps(data))
        else:
            self.settings.remove(key)

    def load_keyframes(self, latent_dim: int):
        """The keyframes saved for this latent size; None when there are none, or the
        entry is damaged."""
        text = value(self.settings, self._keyframes_key(latent_dim), "", str)
        if not text:
            return None
        try:
            return files.loads(text, "saved keyframes", expected_dim=latent_dim).keyframes
        except files.LatentFileError:
            return None

    def save(self) -> None:
        s, ui, studio = self.settings, self.ui, self.studio
        s.setValue("grid", studio.grid)
        s.setValue("smooth", ui.smooth_box.isChecked())
        s.setValue("variations", studio.variation.on)
        s.setValue("radius", studio.variation.radius)
        s.setValue("method", studio.method)
        s.setValue("speed_percent", round(studio.speed * 100))
        s.setValue("loop", studio.mode == "loop")
        s.setValue("pingpong", studio.mode == "pingpong")
        state = studio.state
        if state is not None:
            self.save_keyframes(state.latent_dim, studio.to_file())
            s.setValue("seed", state.seed if state.seed is not None else 0)
            s.setValue("truncation", state.truncation)
            if state.class_weights is not None:
                s.setValue("class_weights", " ".join(f"{v:.6g}" for v in state.class_weights))
        # The write gate: `sync` writes only a file the app owns, and only from the window
        # holding its lock (a second window is read-only, so it never overwrites the first's
        # keyframes); `release` then frees the file for the next window.
        s.sync()
        s.release()
