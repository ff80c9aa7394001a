"""`AnimationDialog`: the options of an animated export (fps, frame count, size, easing,
format), and how they are remembered between runs.

The dialog only collects an `AnimationOptions`; `FileActions.export_animation` draws and
writes the file (core/morph/animation.py). Formats this Pillow cannot write are not offered.
"""

from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel,
                               QSpinBox, QWidget)

from ...core.morph.animation import EASINGS, FORMATS, MAX_FPS, MAX_FRAMES, AnimationOptions
from ...core.pixels import MAX_SCALE
from ..files.settings import number, value

_EASING_TEXT = {"linear": "Linear (even steps)",
                "ease-in-out": "Ease in and out (slow at the keyframes)"}


class AnimationDialog(QDialog):
    def __init__(self, initial: AnimationOptions, formats: list[str],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export animation")
        self.fps = QSpinBox()
        self.fps.setRange(1, MAX_FPS)
        self.fps.setSuffix(" fps")
        self.count = QSpinBox()
        self.count.setRange(2, MAX_FRAMES)
        self.count.setSuffix(" frames")
        self.count.setToolTip("Frames in one pass from the first keyframe to the last; every "
                              "one is drawn by the generator")
        self.scale = QSpinBox()
        self.scale.setRange(1, MAX_SCALE)
        self.scale.setSuffix("×")
        self.easing = QComboBox()
        for name in EASINGS:
            self.easing.addItem(_EASING_TEXT[name], name)
        self.format = QComboBox()
        for name in formats:
            self.format.addItem(f"{name} ({FORMATS[name][1]})", name)
        self.summary = QLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Speed", self.fps)
        form.addRow("Length", self.count)
        form.addRow("Size", self.scale)
        form.addRow("Easing", self.easing)
        form.addRow("Format", self.format)
        form.addRow(self.summary)
        form.addRow(buttons)
        self.fps.setValue(initial.fps)
        self.count.setValue(initial.count)
        self.scale.setValue(initial.scale)
        self.easing.setCurrentIndex(max(0, self.easing.findData(initial.easing)))
        self.format.setCurrentIndex(max(0, self.format.findData(initial.fmt)))
        for box in (self.fps, self.count, self.scale):
            box.valueChanged.connect(self._update_summary)
        self._update_summary()

    def _update_summary(self) -> None:
        side = 28 * self.scale.value()
        seconds = self.count.value() / self.fps.value()
        self.summary.setText(f"{side}×{side} pixels · {seconds:.2f} s per pass")

    def options(self) -> AnimationOptions:
        return AnimationOptions(self.fps.value(), self.count.value(), self.scale.value(),
                                self.easing.currentData(), self.format.currentData() or "GIF")


def load_options(settings, default_count: int, formats: list[str]) -> AnimationOptions:
    """The options chosen last time (damaged entries fall back to defaults)."""
    easing = value(settings, "animation/easing", "linear", str)
    fmt = value(settings, "animation/format", "GIF", str)
    return AnimationOptions(number(settings, "animation/fps", 25, 1, MAX_FPS),
                            number(settings, "animation/count", default_count, 2, MAX_FRAMES),
                            number(settings, "animation/scale", 4, 1, MAX_SCALE),
                            easing if easing in EASINGS else "linear",
                            fmt if fmt in formats else "GIF")


def save_options(settings, options: AnimationOptions) -> None:
    for key, v in (("fps", options.fps), ("count", options.count), ("scale", options.scale),
                   ("easing", options.easing), ("format", options.fmt)):
        settings.setValue(f"animation/{key}", v)
