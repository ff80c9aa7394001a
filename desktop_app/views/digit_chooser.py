"""`DigitChooserWidget`: what a conditional generator draws — a digit (buttons, keys 0-9),
a blend of two digits (the mixer: "70 % 3 + 30 % 8"), and the digit-morph shortcut.

It is the view of the class weights (core/weights.py): it emits what the user asked for
and shows, without emitting, the weights of the frame on screen (`show_weights`).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QButtonGroup, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QSizePolicy, QSlider, QSpinBox, QVBoxLayout, QWidget)

from ..core.weights import as_pair, describe, mix


def _digit_box(value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(0, 9)
    box.setValue(value)
    return box


class DigitChooserWidget(QWidget):
    """Ten digit buttons, the A/B mixer with its share slider, and "morph a → b"."""

    digitChosen = Signal(int)
    mixChanged = Signal(int, int, float)  # digit a, digit b, share of b in [0, 1]
    morphRequested = Signal(int, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.group = QButtonGroup(self)
        buttons = QGridLayout()
        buttons.setSpacing(2)
        for digit in range(10):
            button = QPushButton(str(digit))
            button.setCheckable(True)
            button.setMinimumWidth(28)
            # Ignore the style's wide push-button hint: ten of them would squeeze the digit.
            button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            button.setToolTip(f"Draw the digit {digit} (key {digit})")
            self.group.addButton(button, digit)
            buttons.addWidget(button, 0, digit)
        self.mix_a, self.mix_b = _digit_box(0), _digit_box(1)
        self.mix_slider = QSlider(Qt.Orientation.Horizontal)
        self.mix_slider.setRange(0, 100)
        self.mix_slider.setToolTip("How much of the second digit: the generator draws the "
                                   "blend itself, from weighted class inputs")
        self.caption = QLabel()
        mix_row = QHBoxLayout()
        for w in (QLabel("Mix"), self.mix_a, self.mix_slider, self.mix_b):
            mix_row.addWidget(w)
        self.morph_from, self.morph_to = _digit_box(0), _digit_box(1)
        self.morph_button = QPushButton("Morph")
        self.morph_button.setToolTip("Keyframes for the current latent drawn as the first "
                                     "digit, then the second: play or scrub t to morph")
        morph = QHBoxLayout()
        for w in (QLabel("Morph"), self.morph_from, QLabel("→"), self.morph_to,
                  self.morph_button):
            morph.addWidget(w)
        morph.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addLayout(mix_row)
        layout.addWidget(self.caption)
        layout.addLayout(morph)
        self.group.idClicked.connect(self.digitChosen)
        self.mix_slider.valueChanged.connect(self._on_mix_edited)
        self.mix_a.valueChanged.connect(self._on_mix_edited)
        self.mix_b.valueChanged.connect(self._on_mix_edited)
        self.morph_button.clicked.connect(
            lambda: self.morphRequested.emit(self.morph_from.value(), self.morph_to.value()))
        self.show_weights(np.eye(10, dtype=np.float32)[0])

    def _on_mix_edited(self, _value: int = 0) -> None:
        self.mixChanged.emit(self.mix_a.value(), self.mix_b.value(),
                             self.mix_slider.value() / 100.0)

    def mixer_weights(self) -> np.ndarray:
        """(10,) the blend the mixer's controls describe now."""
        return mix(self.mix_a.value(), self.mix_b.value(), self.mix_slider.value() / 100.0, 10)

    def show_weights(self, weights: np.ndarray) -> None:
        """Show `weights` (10,) as chosen, without emitting: the button of a pure digit is
        checked, the mixer holds a blend of two, the caption says it in words."""
        weights = np.asarray(weights, np.float32)
        self.caption.setText(describe(weights))
        pure = int(np.argmax(weights)) if weights.max() > 1 - 1e-6 else None
        # Exclusive groups cannot show "no digit", which a blend needs.
        self.group.setExclusive(False)
        for button in self.group.buttons():
            button.setChecked(self.group.id(button) == pure)
        self.group.setExclusive(True)
        pair = as_pair(weights)
        if pair is None or np.allclose(self.mixer_weights(), weights, atol=0.006):
            return  # the mixer already says this (never jump a slider under a drag)
        a, b, share = pair
        if a == b:  # a pure digit: it is the mixer's A, at 0 %
            b = self.mix_b.value() if self.mix_b.value() != a else (a + 1) % 10
        for widget, value in ((self.mix_a, a), (self.mix_b, b),
                              (self.mix_slider, round(share * 100))):
            blocked = widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(blocked)
