"""`InterpolationWidget`: keyframes, lerp/slerp, the t slider, playback and exports.

The widget only reports what the user did; the main window owns the keyframes (in
`Studio`) and the playback clock, and feeds back the list and the strip of in-betweens.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFrame, QGridLayout, QHBoxLayout,
                               QLabel, QPushButton, QScrollArea, QSpinBox, QVBoxLayout,
                               QWidget)

from ..widgets.boxes import group
from ..widgets.float_slider import SliderRow
from .keyframe_views import KeyframeListWidget, StripView

STRIP_COUNT = 9


class InterpolationWidget(QWidget):
    """Keyframe list + path controls. All signals carry what the user chose."""

    addRequested = Signal()
    removeRequested = Signal(int)
    keyframeActivated = Signal(int)
    keyframeMoved = Signal(int, int)  # from index, to index
    keyframeRenamed = Signal(int, str)
    methodChanged = Signal(str)
    tChanged = Signal(float)
    playToggled = Signal(bool)
    speedChanged = Signal(float)
    modeChanged = Signal(str)
    exportAnimationRequested = Signal()
    exportStripRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.keyframe_list = KeyframeListWidget()
        self.add_button = QPushButton("Add current (K)")
        self.add_button.setToolTip("Keep the digit on screen as the next keyframe (K)")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected keyframe (else the last one)")
        self.method = QComboBox()
        self.method.addItem("Spherical (slerp)", "slerp")
        self.method.addItem("Linear (lerp)", "lerp")
        self.method.setToolTip("Interpolation: how the latent moves between keyframes. "
                               "Slerp keeps digits crisp half-way, lerp takes the straight "
                               "line")
        self.t_slider = SliderRow("t", 0.0, 1.0, steps=1000, fmt="{:.3f}", name_width=14)
        self.t_slider.setToolTip("Where on the path: 0 is the first keyframe, 1 the last")
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play or pause along the keyframes (Space)")
        self.speed = QSpinBox()
        self.speed.setRange(1, 400)
        self.speed.setValue(100)
        self.speed.setSuffix(" %")
        self.speed.setToolTip("Playback speed: 100 % runs from the first keyframe to the last "
                              "in 2 seconds")
        self.loop = QCheckBox("Loop")
        self.loop.setChecked(True)
        self.pingpong = QCheckBox("Ping-pong")
        self.strip = StripView()
        self.strip.setMaximumHeight(200)
        self.strip.set_placeholder("Add two keyframes to see the in-betweens")
        self.animation_button = QPushButton("Export animation…")
        self.animation_button.setToolTip("GIF, APNG or WebP: frames per second, frame count, "
                                         "size and easing")
        self.strip_button = QPushButton("Export strip PNG…")

        keys = QGridLayout()
        keys.addWidget(self.keyframe_list, 0, 0, 1, 3)
        keys.addWidget(self.add_button, 1, 0)
        keys.addWidget(self.remove_button, 1, 1)
        keys.setColumnStretch(2, 1)
        # Three rows over the strip: how the latent moves and how playback repeats; where
        # on the path; play and its speed. (The method's items say what they are: no
        # label, which the narrowest right pane, in an 800-px window, has no room for.)
        path = QVBoxLayout()
        for widgets in ((self.method, self.loop, self.pingpong), (self.t_slider,),
                        (self.play_button, QLabel("Speed"), self.speed)):
            line = QHBoxLayout()
            for widget in widgets:
                line.addWidget(widget, 1 if widget in (self.method, self.t_slider) else 0)
            if self.play_button in widgets:
                line.addStretch(1)
            path.addLayout(line)
        path.addWidget(self.strip, 1)
        exports = QHBoxLayout()
        exports.addStretch(1)
        exports.addWidget(self.animation_button)
        exports.addWidget(self.strip_button)
        # The panel's height goes to the thumbnails and the strip; exports sit at the bottom.
        # Where the window is too low for both groups (a small window under three rows of
        # cluster buttons) they scroll, up and down only, rather than squeeze.
        content = QWidget()
        body = QVBoxLayout(content)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(group("Keyframes", keys), 3)
        body.addWidget(group("Path", path), 2)
        self.scroll = QScrollArea()
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(content)
        self.scroll.setMinimumWidth(content.minimumSizeHint().width()
                                    + self.scroll.verticalScrollBar().sizeHint().width())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)  # the groups' frames clear the tab's frame
        layout.addWidget(self.scroll, 1)
        layout.addLayout(exports)

        self.add_button.clicked.connect(self.addRequested)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        # Activated: a double-click, or Enter on the selected thumbnail.
        self.keyframe_list.itemActivated.connect(
            lambda item: self.keyframeActivated.emit(self.keyframe_list.row(item)))
        self.keyframe_list.moved.connect(self.keyframeMoved)
        self.keyframe_list.renamed.connect(self.keyframeRenamed)
        self.method.currentIndexChanged.connect(
            lambda _: self.methodChanged.emit(self.method.currentData()))
        self.t_slider.valueChanged.connect(self.tChanged)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.speed.valueChanged.connect(lambda v: self.speedChanged.emit(v / 100.0))
        self.loop.toggled.connect(lambda _: self.modeChanged.emit(self.mode()))
        self.pingpong.toggled.connect(lambda _: self.modeChanged.emit(self.mode()))
        self.animation_button.clicked.connect(self.exportAnimationRequested)
        self.strip_button.clicked.connect(self.exportStripRequested)
        self.set_keyframes([])

    def mode(self) -> str:
        """Playback mode for `core.interpolation.playhead`."""
        if self.pingpong.isChecked():
            return "pingpong"
        return "loop" if self.loop.isChecked() else "once"

    def _on_remove_clicked(self) -> None:
        row = self.keyframe_list.currentRow()
        self.removeRequested.emit(row if row >= 0 else self.keyframe_list.count() - 1)

    def _on_play_toggled(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")
        self.playToggled.emit(playing)

    def set_playing(self, playing: bool) -> None:
        """Reflect playback state without emitting (e.g. a "once" pass has finished)."""
        blocked = self.play_button.blockSignals(True)
        self.play_button.setChecked(playing)
        self.play_button.setText("Pause" if playing else "Play")
        self.play_button.blockSignals(blocked)

    def set_keyframes(self, names: list[str], images: np.ndarray | None = None,
                      drawable: int | None = None) -> None:
        """The keyframes' names and, if given, uint8 (n, 28, 28) thumbnails; `drawable`
        of them make the path (default: all)."""
        self.keyframe_list.set_keyframes(names, images)
        has_path = (len(names) if drawable is None else drawable) >= 2
        for w in (self.t_slider, self.play_button, self.animation_button, self.strip_button):
            w.setEnabled(has_path)
        self.remove_button.setEnabled(bool(names))
        if not has_path:
            self.strip.clear()

    def set_strip(self, frames: np.ndarray) -> None:
        """uint8 (n, 28, 28) in-betweens shown side by side."""
        from ...core.pixels import tile

        if len(frames):
            self.strip.set_frames(tile(frames, len(frames), gap=StripView.GAP), len(frames))

    def show_playback(self, speed: float, mode: str) -> None:
        """Reflect the playback speed (1 = 100 %) and mode without emitting."""
        for widget, set_value in ((self.speed, lambda: self.speed.setValue(round(speed * 100))),
                                  (self.loop, lambda: self.loop.setChecked(mode != "once")),
                                  (self.pingpong,
                                   lambda: self.pingpong.setChecked(mode == "pingpong"))):
            blocked = widget.blockSignals(True)
            set_value()
            widget.blockSignals(blocked)

    def set_t(self, t: float) -> None:
        self.t_slider.set_value(t)
        self.strip.set_playhead(t)

    def set_method(self, method: str) -> None:
        blocked = self.method.blockSignals(True)
        self.method.setCurrentIndex(max(0, self.method.findData(method)))
        self.method.blockSignals(blocked)

