"""`PathController`: keyframes, the t slider, playback and the digit morph.

It turns the interpolation panel's requests into `Studio` changes (keyframe edits are
recorded on the undo history), re-lists the keyframes and the strip of in-betweens when
the studio says the path changed, and drives t from the playback clock.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QTabWidget

from ...core.events import Change
from ...core.studio import Studio
from ..history import History
from .panel import STRIP_COUNT, InterpolationWidget
from .playback import PlaybackClock

_PATH_CHANGES = (Change.KEYFRAMES, Change.METHOD, Change.GENERATOR, Change.RESTORE)


class PathController(QObject):
    def __init__(self, studio: Studio, history: History, panel: InterpolationWidget,
                 clock: PlaybackClock, tabs: QTabWidget, status: Callable[[str], None],
                 parent: QObject | None = None):
        super().__init__(parent)
        self.studio, self.history, self.panel, self.clock = studio, history, panel, clock
        self.tabs, self.status = tabs, status
        panel.addRequested.connect(self.add_keyframe)
        panel.removeRequested.connect(self.remove_keyframe)
        panel.keyframeActivated.connect(self._on_keyframe_activated)
        panel.keyframeMoved.connect(self.move_keyframe)
        panel.keyframeRenamed.connect(self.rename_keyframe)
        panel.methodChanged.connect(studio.set_method)
        panel.tChanged.connect(self.set_t)
        panel.playToggled.connect(self.set_playing)
        panel.speedChanged.connect(lambda speed: studio.set_playback(speed=speed))
        panel.modeChanged.connect(lambda mode: studio.set_playback(mode=mode))
        clock.tick.connect(studio.show_path)
        clock.finished.connect(lambda: panel.set_playing(False))
        tabs.currentChanged.connect(self._on_tab_changed)
        studio.subscribe(self._on_studio_changed)

    def _on_studio_changed(self, reason: Change) -> None:
        if reason in _PATH_CHANGES:
            self.refresh()
        if reason in (Change.T, Change.RESTORE):
            self.panel.set_t(self.studio.t)
        if reason is Change.PLAYBACK:
            self.clock.set_speed(self.studio.speed, self.studio.t)
            self.clock.mode = self.studio.mode
            self.panel.show_playback(self.studio.speed, self.studio.mode)

    def _on_tab_changed(self, _index: int) -> None:
        # Each tab shows what it edits: Explore the latent, Interpolate the path at t.
        if self.tabs.currentWidget() is self.panel:
            if len(self.studio.path_keys) >= 2:
                self.studio.show_path()
        else:
            self.set_playing(False)
            self.studio.show_latent()

    def add_keyframe(self) -> None:
        """Append the frame on screen to the path."""
        if self.studio.ready:
            self.history.record("Add keyframe", self.studio.add_keyframe)

    def remove_keyframe(self, index: int) -> None:
        if 0 <= index < len(self.studio.keyframes):
            name = self.studio.keyframes[index].name
            self.history.record(f"Remove keyframe {name}",
                                lambda: self.studio.remove_keyframe(index))

    def move_keyframe(self, source: int, target: int) -> None:
        n = len(self.studio.keyframes)
        if 0 <= source < n and 0 <= target < n and source != target:
            self.history.record("Reorder keyframes",
                                lambda: self.studio.move_keyframe(source, target))

    def rename_keyframe(self, index: int, name: str) -> None:
        if 0 <= index < len(self.studio.keyframes):
            self.history.record("Rename keyframe",
                                lambda: self.studio.rename_keyframe(index, name))

    def _on_keyframe_activated(self, index: int) -> None:
        if 0 <= index < len(self.studio.keyframes):
            self.history.record("Go to keyframe",
                                lambda: self.studio.activate_keyframe(index))

    def morph(self, a: int, b: int) -> None:
        """Digit (or cluster) a to b on the latent on screen; replaced keyframes come back
        with undo."""
        if not self.studio.ready or not self.studio.generator.conditional:
            return
        self.set_playing(False)
        what = (f"cluster {a} → cluster {b}" if self.studio.clusters else f"{a} → {b}")
        replaced = self.history.record(f"Morph {what}",
                                       lambda: self.studio.morph_digits(a, b))
        self.tabs.setCurrentWidget(self.panel)
        self.studio.show_path(0.0)
        if replaced:
            self.status(f"The morph replaced {replaced} keyframe(s); Edit → Undo (Ctrl+Z) "
                        f"brings them back.")

    def refresh(self) -> None:
        """Re-list the keyframes and redraw the strip."""
        keys, drawable = self.studio.keyframes, len(self.studio.path_keys)
        self.panel.set_keyframes([k.name + self.studio.key_note(k) for k in keys],
                                 self.studio.keyframe_images(), drawable)
        self.panel.set_method(self.studio.method)
        if drawable >= 2 and self.studio.ready:
            self.panel.set_strip(self.studio.strip(STRIP_COUNT))
            self.panel.set_t(self.studio.t)
        else:
            self.set_playing(False)

    def set_t(self, t: float) -> None:
        """Show the path at t in [0, 1] (needs at least one keyframe)."""
        self.studio.show_path(t)

    def toggle_playing(self) -> None:
        """Play, or pause (Space)."""
        self.set_playing(not self.clock.playing)

    def set_playing(self, playing: bool) -> None:
        playing = playing and len(self.studio.path_keys) >= 2
        if playing:
            self.clock.start(self.studio.t)
        else:
            self.clock.stop()
        self.panel.set_playing(playing)
