"""`DirectionSlidersWidget`: sliders along the principal directions (see core/explore/directions.py).

Each slider is in standard deviations (±3); its label shows the share of image variance
the direction accounts for, so the user knows which sliders matter most.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...core.explore.latent import DIRECTION_RANGE
from ..widgets.float_slider import SliderRow
from ..widgets.plain_text import plain_label


class DirectionSlidersWidget(QWidget):
    """Emits `valueChanged(index, std)` when the user moves direction slider `index`."""

    valueChanged = Signal(int, float)
    editFinished = Signal()  # a drag ended or a value was typed

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        # A little room on the right: "+0.00σ" never touches the scroll bar.
        self._layout.setContentsMargins(0, 0, 4, 0)
        self._layout.setSpacing(0)
        # Shows "Directions failed: <the error>", text from native code: literally.
        self.status = plain_label(QLabel("Open a model to find its principal directions."))
        self.status.setWordWrap(True)
        self._layout.addWidget(self.status)
        self.rows: list[SliderRow] = []

    def set_pending(self, text: str = "Finding principal directions…") -> None:
        """Directions are being computed: keep the old sliders off until they arrive."""
        self.status.setText(text)
        self.status.show()
        for row in self.rows:
            row.setEnabled(False)

    def set_directions(self, explained: np.ndarray, values: np.ndarray) -> None:
        """One slider per direction; `explained` (k,) shares of variance, `values` (k,) std."""
        for row in self.rows:
            row.setParent(None)
            row.deleteLater()
        self.rows = []
        for i, share in enumerate(explained):
            row = SliderRow(f"PC{i + 1}", -DIRECTION_RANGE, DIRECTION_RANGE, steps=600,
                            fmt="{:+.2f}σ", name_width=40)
            row.setToolTip(f"Principal direction {i + 1}: {share:.1%} of the image variance")
            row.set_value(float(values[i]) if i < len(values) else 0.0)
            row.valueChanged.connect(lambda value, k=i: self.valueChanged.emit(k, value))
            row.editFinished.connect(self.editFinished)
            self._layout.addWidget(row)
            self.rows.append(row)
        self.status.setText(f"{len(self.rows)} directions, in standard deviations")
        self.status.setVisible(not self.rows)

    def clear(self, text: str) -> None:
        """No directions (yet) for this model: no sliders, and `text` says why."""
        self.set_directions(np.zeros(0, np.float32), np.zeros(0, np.float32))
        self.status.setText(text)
        self.status.show()

    def set_values(self, values: np.ndarray) -> None:
        for row, value in zip(self.rows, values):
            row.set_value(float(value))
