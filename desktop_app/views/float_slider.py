"""`FloatSlider` and `SliderRow`: a QSlider over a float range, with a name and a value label.

QSlider is integer-only; this maps a float range onto `steps` integer positions. Setting a
value from the model (`set_value`) never re-emits, so model → view syncing cannot loop.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSlider, QWidget


class ValueLabel(QWidget):
    """A fixed-width line of text that repaints itself and nothing else.

    Why not QLabel: `QLabel.setText` asks the window to lay itself out again; with a
    hundred slider rows that cost ~5 ms per slider move (measured), more than the whole
    frame budget. This widget's size never depends on its text, so changing it is a repaint.
    """

    def __init__(self, sample: str, align=Qt.AlignmentFlag.AlignRight,
                 parent: QWidget | None = None, min_width: int = 0):
        super().__init__(parent)
        self._text = ""
        self._align = align | Qt.AlignmentFlag.AlignVCenter
        metrics = self.fontMetrics()
        self._size = QSize(max(metrics.horizontalAdvance(sample) + 6, min_width),
                           metrics.height() + 2)
        self.setFixedSize(self._size)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self._size

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 - QLabel's name, for drop-in use
        if text != self._text:
            self._text = text
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setPen(self.palette().windowText().color())
        painter.drawText(self.rect().adjusted(2, 0, -2, 0), self._align, self._text)
        painter.end()


class FloatSlider(QSlider):
    """A horizontal slider from `lo` to `hi`; emits `floatValueChanged(value)` on user moves."""

    floatValueChanged = Signal(float)

    def __init__(self, lo: float, hi: float, steps: int = 600, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._lo, self._hi, self._steps = float(lo), float(hi), int(steps)
        self.setRange(0, self._steps)
        self.setSingleStep(max(1, self._steps // 100))
        self.setPageStep(max(1, self._steps // 10))
        self.valueChanged.connect(self._on_value_changed)

    def _on_value_changed(self, position: int) -> None:
        self.floatValueChanged.emit(self.to_float(position))

    def to_float(self, position: int) -> float:
        return self._lo + (self._hi - self._lo) * position / self._steps

    def to_position(self, value: float) -> int:
        frac = (value - self._lo) / (self._hi - self._lo)
        return int(round(min(max(frac, 0.0), 1.0) * self._steps))

    def float_value(self) -> float:
        return self.to_float(self.value())

    def set_value(self, value: float) -> None:
        """Move the handle to `value` (clamped) without emitting anything."""
        blocked = self.blockSignals(True)
        self.setValue(self.to_position(value))
        self.blockSignals(blocked)


class SliderRow(QWidget):
    """Name, slider and the current value as text, in one row."""

    valueChanged = Signal(float)

    def __init__(self, name: str, lo: float, hi: float, steps: int = 600,
                 fmt: str = "{:+.2f}", parent: QWidget | None = None, name_width: int = 56):
        super().__init__(parent)
        self._fmt = fmt
        self.name = QLabel(name)
        self.name.setMinimumWidth(name_width)
        self.slider = FloatSlider(lo, hi, steps)
        self.value_label = ValueLabel(fmt.format(-88.888))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.name)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.value_label)
        self.slider.floatValueChanged.connect(self._on_value_changed)
        self._show(self.slider.float_value())

    def _show(self, value: float) -> None:
        self.value_label.setText(self._fmt.format(value))

    def _on_value_changed(self, value: float) -> None:
        self._show(value)
        self.valueChanged.emit(value)

    def set_value(self, value: float) -> None:
        self.slider.set_value(value)
        self._show(value)

    def value(self) -> float:
        return self.slider.float_value()
