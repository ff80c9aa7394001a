"""`InterpolationWidget`: keyframes, lerp/slerp, the t slider, playback and exports.

The widget only reports what the user did; the main window owns the keyframes (in
`Studio`) and the playback clock, and feeds back the list and the strip of in-betweens.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel,
                               QListWidget, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from .digit_view import DigitView
from .float_slider import SliderRow

STRIP_COUNT = 9


class InterpolationWidget(QWidget):
    """Keyframe list + path controls. All signals carry what the user chose."""

    addRequested = Signal()
    removeRequested = Signal(int)
    keyframeActivated = Signal(int)
    methodChanged = Signal(str)
    tChanged = Signal(float)
    playToggled = Signal(bool)
    speedChanged = Signal(float)
    modeChanged = Signal(str)
    exportGifRequested = Signal()
    exportStripRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.keyframe_list = QListWidget()
        self.keyframe_list.setMaximumHeight(110)
        self.keyframe_list.setToolTip("Double-click a keyframe to make it the current latent")
        self.add_button = QPushButton("Add current (K)")
        self.remove_button = QPushButton("Remove")
        self.method = QComboBox()
        self.method.addItem("Spherical (slerp)", "slerp")
        self.method.addItem("Linear (lerp)", "lerp")
        self.t_slider = SliderRow("t", 0.0, 1.0, steps=1000, fmt="{:.3f}", name_width=14)
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
        self.strip = DigitView(min_side=40)
        self.strip.setMinimumHeight(48)
        self.strip.setMaximumHeight(120)
        self.strip.set_placeholder("Add two keyframes to see the in-betweens")
        self.gif_button = QPushButton("Export GIF…")
        self.strip_button = QPushButton("Export strip PNG…")

        keys = QHBoxLayout()
        for w in (self.add_button, self.remove_button, self.method):
            keys.addWidget(w)
        play = QGridLayout()
        play.addWidget(self.play_button, 0, 0)
        play.addWidget(QLabel("Speed"), 0, 1)
        play.addWidget(self.speed, 0, 2)
        play.addWidget(self.loop, 0, 3)
        play.addWidget(self.pingpong, 0, 4)
        exports = QHBoxLayout()
        exports.addWidget(self.gif_button)
        exports.addWidget(self.strip_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.keyframe_list)
        layout.addLayout(keys)
        layout.addWidget(self.t_slider)
        layout.addLayout(play)
        layout.addWidget(self.strip)
        layout.addLayout(exports)
        layout.addStretch(1)  # keep the controls together at the top of a tall panel

        self.add_button.clicked.connect(self.addRequested)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.keyframe_list.itemDoubleClicked.connect(
            lambda item: self.keyframeActivated.emit(self.keyframe_list.row(item)))
        self.method.currentIndexChanged.connect(
            lambda _: self.methodChanged.emit(self.method.currentData()))
        self.t_slider.valueChanged.connect(self.tChanged)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.speed.valueChanged.connect(lambda v: self.speedChanged.emit(v / 100.0))
        self.loop.toggled.connect(lambda _: self.modeChanged.emit(self.mode()))
        self.pingpong.toggled.connect(lambda _: self.modeChanged.emit(self.mode()))
        self.gif_button.clicked.connect(self.exportGifRequested)
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

    def set_keyframes(self, names: list[str]) -> None:
        self.keyframe_list.clear()
        self.keyframe_list.addItems(names)
        has_path = len(names) >= 2
        for w in (self.t_slider, self.play_button, self.gif_button, self.strip_button):
            w.setEnabled(has_path)
        self.remove_button.setEnabled(bool(names))
        if not has_path:
            self.strip.clear()

    def set_strip(self, frames: np.ndarray) -> None:
        """uint8 (n, 28, 28) in-betweens shown side by side."""
        from ..core.export import tile

        if len(frames):
            self.strip.set_pixels(tile(frames, len(frames), gap=2))

    def set_t(self, t: float) -> None:
        self.t_slider.set_value(t)

    def set_method(self, method: str) -> None:
        blocked = self.method.blockSignals(True)
        self.method.setCurrentIndex(max(0, self.method.findData(method)))
        self.method.blockSignals(blocked)
