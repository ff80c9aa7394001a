"""`DigitChooserWidget`: the digit a generator draws (its label, or z0 for models whose z0
picks the digit), and the digit-morph mode of conditional models."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QButtonGroup, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QSizePolicy, QSpinBox, QVBoxLayout, QWidget)


class DigitChooserWidget(QWidget):
    """Ten digit buttons (keys 0-9) and "morph from a to b, same latent"."""

    digitChosen = Signal(int)
    morphRequested = Signal(int, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
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
        self.group.button(0).setChecked(True)
        self.morph_from = QSpinBox()
        self.morph_to = QSpinBox()
        for box in (self.morph_from, self.morph_to):
            box.setRange(0, 9)
        self.morph_to.setValue(1)
        self.morph_button = QPushButton("Morph")
        self.morph_button.setToolTip("Keyframes for the current latent drawn as the first "
                                     "digit, then the second: play or scrub t to morph")
        self.morph_row = QWidget()
        morph = QHBoxLayout(self.morph_row)
        morph.setContentsMargins(0, 0, 0, 0)
        for w in (QLabel("Morph"), self.morph_from, QLabel("→"), self.morph_to,
                  self.morph_button):
            morph.addWidget(w)
        morph.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.morph_row)
        self.group.idClicked.connect(self.digitChosen)
        self.morph_button.clicked.connect(
            lambda: self.morphRequested.emit(self.morph_from.value(), self.morph_to.value()))

    def set_morph_available(self, available: bool) -> None:
        """Morphing needs a digit label (conditional models); hide it otherwise."""
        self.morph_row.setVisible(available)

    def set_digit(self, digit: int) -> None:
        """Show `digit` as chosen without emitting."""
        self.group.button(int(digit)).setChecked(True)
