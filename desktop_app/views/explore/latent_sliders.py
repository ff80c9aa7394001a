"""`LatentSlidersWidget`: one raw slider per latent dimension, in a scrollable panel.

It is the view of `LatentState.raw` (the drawn vector plus edits). Rows are built in
batches from a zero-delay timer rather than all at once, so a 4096-dimensional model does
not freeze the window or delay the first painted digit.

A new vector reaches the rows in view at once, in the frame that draws it; the rows
out of view follow when a scroll or a resize brings them into view, or once frames pause
for `SETTLE_MS`. Moving a principal direction changes every dimension, and setting all 100
rows on every frame of a drag cost more than drawing the digit.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from ...core.explore.latent import RAW_RANGE
from ..widgets.float_slider import SliderRow

_BATCH = 48
SETTLE_MS = 120  # frames paused this long: the rows out of view catch up


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
        self._stale: set[int] = set()  # rows out of view still showing an older vector
        self._settle_timer = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle_timer.timeout.connect(self.catch_up)
        self.verticalScrollBar().valueChanged.connect(self._sync_visible)

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
        self._stale.clear()
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
        """Show `values` (latent_dim,) without emitting: at once in the rows in view, and in
        the others when they scroll into view or frames pause (rows built later pick them
        up too). A vector of another size (a model with another latent size) rebuilds
        the rows rather than writing into rows of the old size."""
        if len(values) != len(self._values):
            self.set_dimension(len(values), values)
            return
        values = np.asarray(values, np.float32)
        changed = np.flatnonzero(values != self._values)  # a direction slider moves none
        if not changed.size:
            return
        self._values = values.copy()
        self._stale.update(int(d) for d in changed if d < len(self.rows))
        for dim in self._visible_rows():
            if dim in self._stale:
                self._show_row(dim)
        if self._stale:
            self._settle_timer.start()

    @property
    def pending(self) -> bool:
        """True while some rows out of view still show an older vector."""
        return bool(self._stale)

    def catch_up(self) -> None:
        """Bring every row up to date now."""
        self._settle_timer.stop()
        for dim in sorted(self._stale):
            self._show_row(dim)

    def _show_row(self, dim: int) -> None:
        self._stale.discard(dim)
        self.rows[dim].set_value(float(self._values[dim]))

    def _visible_rows(self) -> range:
        """Rows the viewport shows (all rows before the first layout)."""
        if not self.rows or self.rows[-1].height() <= 0 or not self.isVisible():
            return range(len(self.rows))
        top = self.verticalScrollBar().value()
        bottom = top + self.viewport().height()
        first = next((i for i, r in enumerate(self.rows) if r.geometry().bottom() >= top), len(self.rows))
        last = first
        while last < len(self.rows) and self.rows[last].geometry().top() <= bottom:
            last += 1
        return range(first, last)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._sync_visible()  # rows a taller panel reveals are current when first seen

    def _sync_visible(self) -> None:
        if self._stale:
            for dim in self._visible_rows():
                if dim in self._stale:
                    self._show_row(dim)
