"""`LatentControlsWidget`: seed, random draw, truncation and reset for a `LatentState`."""

from __future__ import annotations

import random

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QSpinBox, QWidget

from ...core.explore.latent import MAX_SEED
from ..widgets.float_slider import SliderRow


class LatentControlsWidget(QWidget):
    """Seed box + Random, truncation slider, Reset. Emits what the user asked for."""

    seedChanged = Signal(int)
    truncationChanged = Signal(float)
    resetRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, MAX_SEED)
        self.seed_box.setToolTip("The same seed always draws the same latent")
        self.seed_box.setKeyboardTracking(False)  # one draw per typed number, not per digit
        self.random_button = QPushButton("Random")
        self.random_button.setToolTip("Draw a new random seed (R)")
        self.truncation = SliderRow("Truncation", 0.0, 2.0, steps=200, fmt="{:.2f}",
                                    name_width=70)
        self.truncation.set_value(1.0)
        self.truncation.setToolTip("Scales the drawn latent: below 1 gives more typical digits")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Clear raw edits and direction sliders (Ctrl+R)")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel("Seed"), 0, 0)
        grid.addWidget(self.seed_box, 0, 1)
        grid.addWidget(self.random_button, 0, 2)
        grid.addWidget(self.reset_button, 0, 3)
        grid.addWidget(self.truncation, 1, 0, 1, 4)
        self.seed_box.valueChanged.connect(self._on_seed)
        self.random_button.clicked.connect(self.draw_random)
        self.truncation.valueChanged.connect(self.truncationChanged)
        self.reset_button.clicked.connect(self.resetRequested)

    def _on_seed(self, value: int) -> None:
        if value >= 0:  # -1 is "custom", never a seed
            self.seedChanged.emit(value)

    def draw_random(self) -> None:
        """Pick a random seed; the draw itself stays reproducible from the seed shown."""
        self.seed_box.setValue(random.randint(0, MAX_SEED))

    def show_state(self, seed: int | None, truncation: float) -> None:
        """Reflect the model without emitting. A latent without a seed (a path frame, a
        loaded or found latent) shows "custom", held one below the lowest seed so that
        typing any seed, 0 included, is a change that draws it."""
        special = "" if seed is not None else "custom"
        blocked = self.seed_box.blockSignals(True)
        if self.seed_box.specialValueText() != special:  # a re-layout: only on a change
            self.seed_box.setSpecialValueText(special)
            self.seed_box.setMinimum(0 if seed is not None else -1)
        if self.seed_box.value() != (seed if seed is not None else -1):
            self.seed_box.setValue(seed if seed is not None else -1)  # else it repaints
        self.seed_box.blockSignals(blocked)
        self.truncation.set_value(truncation)
