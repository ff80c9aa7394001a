"""`WindowState`: what the window remembers between runs (QSettings), saved on close.

Geometry, view and playback choices, the latent's seed, truncation and class weights (the
digit or blend), and the keyframes, one list per latent size (`keyframes/<n>d`, in the
latent file format of docs/latent-file-format.md). Values are read defensively
(settings.value, files.loads): a damaged settings file falls back to defaults, and saved
keyframes that do not fit the model now loaded are left out.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSettings

from ..core import files
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
    """Reads and writes the settings of the studio, the view boxes and playback.

    settings : QSettings; studio : the window's `Studio`; ui : its `WindowUi` (the grid
    and smoothing boxes, the interpolation panel); playback : its `PlaybackClock`. The
    window's geometry is the window's own business (`MainWindow.closeEvent`).
    """

    def __init__(self, settings: QSettings, studio, ui, playback):
        self.settings, self.studio, self.ui, self.playback = settings, studio, ui, playback

    def restore(self) -> None:
        s, ui, studio = self.settings, self.ui, self.studio
        ui.grid_box.setChecked(value(s, "grid", False, bool))
        ui.smooth_box.setChecked(value(s, "smooth", False, bool))
        studio.set_radius(number(s, "radius", 0.5, 0.0, 2.0))
        studio.set_variations(value(s, "variations", False, bool))
        ip = ui.interpolation
        ip.set_method(value(s, "method", "slerp", str))
        studio.set_method(ip.method.currentData())
        ip.speed.setValue(number(s, "speed_percent", 100, 1, 400))
        ip.loop.setChecked(value(s, "loop", True, bool))
        ip.pingpong.setChecked(value(s, "pingpong", False, bool))
        self.playback.speed = ip.speed.value() / 100.0
        self.playback.mode = ip.mode()

    def restore_latent(self) -> None:
        """After the first model loaded: the seed, truncation and weights of the last run."""
        s, state = self.settings, self.studio.state
        if state is None:
            return
        state.truncation = number(s, "truncation", 1.0, 0.0, 2.0)
        weights = _weights(value(s, "class_weights", "", str), state.num_classes) \
            if state.num_classes else None
        if weights is not None:
            state.class_weights = weights  # quietly: set_seed announces the change
        state.set_seed(number(s, "seed", 0, 0, MAX_SEED), keep_weights=weights is not None)

    @staticmethod
    def _keyframes_key(latent_dim: int) -> str:
        return f"keyframes/{latent_dim}d"

    def save_keyframes(self) -> None:
        """Remember the keyframes for the loaded model's latent size (none: forget them)."""
        studio, s = self.studio, self.settings
        if not studio.ready:
            return
        key = self._keyframes_key(studio.state.latent_dim)
        if studio.keyframes:
            s.setValue(key, files.dumps(studio.to_file()))
        else:
            s.remove(key)

    def restore_keyframes(self) -> str:
        """Bring back the keyframes saved for this latent size; returns a note for the
        status bar (" · 2 keyframe(s) restored"), empty when there were none. A damaged
        entry restores nothing."""
        studio, s = self.studio, self.settings
        if not studio.ready:
            return ""
        dim = studio.state.latent_dim
        text = value(s, self._keyframes_key(dim), "", str)
        if not text:
            return ""
        try:
            saved = files.loads(text, "saved keyframes", expected_dim=dim).keyframes
        except files.LatentFileError:
            return ""
        ignored = studio.adopt_saved_keyframes(saved)
        note = f" · {len(studio.keyframes)} keyframe(s) restored"
        if ignored:
            note += f", {ignored} left out (made for another kind of model)"
        return note

    def save(self) -> None:
        s, ui, studio = self.settings, self.ui, self.studio
        s.setValue("grid", ui.grid_box.isChecked())
        s.setValue("smooth", ui.smooth_box.isChecked())
        s.setValue("variations", studio.variation.on)
        s.setValue("radius", studio.variation.radius)
        s.setValue("method", studio.method)
        s.setValue("speed_percent", ui.interpolation.speed.value())
        s.setValue("loop", ui.interpolation.loop.isChecked())
        s.setValue("pingpong", ui.interpolation.pingpong.isChecked())
        self.save_keyframes()
        state = studio.state
        if state is not None:
            s.setValue("seed", state.seed if state.seed is not None else 0)
            s.setValue("truncation", state.truncation)
            if state.class_weights is not None:
                s.setValue("class_weights", " ".join(f"{v:.6g}" for v in state.class_weights))
        s.sync()
