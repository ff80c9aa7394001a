"""`LatentSlidersWidget`: one raw slider per latent dimension, in a scrollable panel.

It is the view of `LatentState.raw` (the drawn vector plus edits). Rows are built in
batches from a zero-delay timer rather than all at once, so a 4096-dimensional model does
not freeze the window or delay the first painted digit.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from ..core.latent import RAW_RANGE
from .float_slider import SliderRow

_BATCH = 48


class LatentSlidersWidget(QScrollArea):
    """Emits `valueChanged(dim, value)` when the user moves the slider of dimension `dim`."""

    valueChanged = Signal(int, float)
    editFinished = Signal()  # a drag ended or a value was typed

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self._inner = QWidget()
        self._layout = QVBoxLayout(self._inner)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self._layout.setSpacing(0)
        self.status = QLabel("Open a model to get one slider per latent dimension.")
        self.status.setWordWrap(True)
        self._layout.addWidget(self.status)
        self._layout.addStretch(1)
        self.setWidget(self._inner)
        self.rows: list[SliderRow] = []
        self._values = np.zeros(0, np.float32)
        self._build_timer = QTimer(self, singleShot=True, interval=0)
        self._build_timer.timeout.connect(self._on_build_more)

    @property
    def complete(self) -> bool:
        """True once a row exists for every dimension."""
        return len(self.rows) == len(self._values)

    def set_dimension(self, latent_dim: int, values: np.ndarray) -> None:
        """Rebuild for a model with `latent_dim` dimensions, showing `values`."""
        for row in self.rows:
            row.setParent(None)
            row.deleteLater()
        self.rows = []
        self._values = np.asarray(values, np.float32).copy()
        self.status.hide()
        self._build_timer.start()

    def _on_build_more(self) -> None:
        start = len(self.rows)
        for dim in range(start, min(start + _BATCH, len(self._values))):
            row = SliderRow(f"z{dim}", -RAW_RANGE, RAW_RANGE, steps=800, name_width=44)
            row.set_value(float(self._values[dim]))
            row.valueChanged.connect(lambda value, d=dim: self._on_value_changed(d, value))
            row.editFinished.connect(self.editFinished)
            self._layout.insertWidget(self._layout.count() - 1, row)
            self.rows.append(row)
        if not self.complete:
            self._build_timer.start()

    def _on_value_changed(self, dim: int, value: float) -> None:
        self._values[dim] = value
        self.valueChanged.emit(dim, value)

    def set_values(self, values: np.ndarray) -> None:
        """Show `values` (latent_dim,) without emitting; rows built later pick them up too."""
        self._values = np.asarray(values, np.float32).copy()
        for dim, row in enumerate(self.rows):
            row.set_value(float(self._values[dim]))
