"""`PathController`: keyframes, the t slider and playback, between `Studio` and the widgets.

It turns the interpolation panel's requests into changes of `Studio.keyframes` / `t`,
keeps the keyframe list and the strip of in-betweens up to date, and drives t from the
playback clock. Frames are only requested; the window's scheduler draws them.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from ..core.weights import describe
from .interpolation_panel import STRIP_COUNT


class PathController(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.studio = window.studio
        panel, clock = window.interpolation, window.playback
        panel.addRequested.connect(self.add_keyframe)
        panel.removeRequested.connect(self._on_remove_requested)
        panel.keyframeActivated.connect(self._on_keyframe_activated)
        panel.methodChanged.connect(self._on_method_changed)
        panel.tChanged.connect(self.set_t)
        panel.playToggled.connect(self.set_playing)
        panel.speedChanged.connect(lambda s: clock.set_speed(s, self.studio.t))
        panel.modeChanged.connect(lambda m: setattr(clock, "mode", m))
        clock.tick.connect(self.set_t)
        clock.finished.connect(lambda: panel.set_playing(False))
        window.digit_chooser.morphRequested.connect(self._on_morph_requested)

    def add_keyframe(self) -> None:
        """Append the current latent (and digit) to the path."""
        if self.studio.ready:
            self.studio.add_keyframe()
            self.refresh()

    def _on_remove_requested(self, index: int) -> None:
        if 0 <= index < len(self.studio.keyframes):
            self.studio.remove_keyframe(index)
            self.refresh()

    def _on_keyframe_activated(self, index: int) -> None:
        frame = self.studio.keyframes[index]
        if frame.class_weights is not None:
            # Quietly: set_z announces the whole change once, and the digit controls
            # follow the frame that change draws.
            self.studio.state.class_weights = frame.class_weights.copy()
        self.studio.state.set_z(frame.z)

    def _on_morph_requested(self, a: int, b: int) -> None:
        self.studio.morph_digits(a, b)
        self.refresh()
        self.w.tabs.setCurrentWidget(self.w.interpolation)
        self.set_t(0.0)

    def _on_method_changed(self, method: str) -> None:
        self.studio.method = method
        self.refresh()

    def refresh(self) -> None:
        """Re-list the keyframes and redraw the strip (after any change to the path)."""
        keys = self.studio.keyframes
        self.w.interpolation.set_keyframes([k.name + self._digit_note(k) for k in keys],
                                           self.studio.keyframe_images())
        self.w.interpolation.set_method(self.studio.method)
        if len(keys) >= 2 and self.studio.ready:
            self.w.interpolation.set_strip(self.studio.strip(STRIP_COUNT))
            self.w.interpolation.set_t(self.studio.t)
        else:
            self.set_playing(False)

    @staticmethod
    def _digit_note(key) -> str:
        """" · digit k" or " · 70 % 3 + 30 % 8" for keyframes of conditional models."""
        return "" if key.class_weights is None else f" · {describe(key.class_weights)}"

    def set_t(self, t: float) -> None:
        """Show the path at t in [0, 1] (needs at least one keyframe)."""
        self.studio.t = min(max(float(t), 0.0), 1.0)
        self.w.interpolation.set_t(self.studio.t)
        if self.studio.keyframes:
            self.studio.source = "path"
            self.w.scheduler.request()

    def set_playing(self, playing: bool) -> None:
        playing = playing and len(self.studio.keyframes) >= 2
        if playing:
            self.w.playback.start(self.studio.t)
        else:
            self.w.playback.stop()
        self.w.interpolation.set_playing(playing)
