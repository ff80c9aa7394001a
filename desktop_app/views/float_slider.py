"""`FloatSlider` and `SliderRow`: a QSlider over a float range, with a name and a value label.

QSlider is integer-only; this maps a float range onto `steps` integer positions. Setting a
value from the model (`set_value`) never re-emits, so model → view syncing cannot loop.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QSizePolicy, QSlider, QStyle,
                               QStyleOptionSlider, QWidget)


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


class MarkedSlider(FloatSlider):
    """A FloatSlider with short marks at chosen values (e.g. where the digit changes).

    QSlider's own tick marks are evenly spaced; these go anywhere. Only sliders that need
    marks are of this class, so the other hundred rows pay nothing for it.
    """

    def __init__(self, lo: float, hi: float, steps: int = 600, parent: QWidget | None = None):
        super().__init__(lo, hi, steps, parent)
        self.marks: list[float] = []

    def set_marks(self, values: list[float | None]) -> None:
        """Marks at these values (None and values off the range are left out)."""
        marks = [float(v) for v in values if v is not None and self._lo <= v <= self._hi]
        if marks != self.marks:
            self.marks = marks
            self.update()

    def mark_positions(self) -> list[int]:
        """The x pixel of each mark: where the handle's centre is at that value."""
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        style = self.style()
        groove = style.subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                      QStyle.SubControl.SC_SliderGroove, self)
        handle = style.subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                      QStyle.SubControl.SC_SliderHandle, self)
        span = groove.width() - handle.width()
        return [groove.left() + handle.width() // 2 + QStyle.sliderPositionFromValue(
            self.minimum(), self.maximum(), self.to_position(v), span) for v in self.marks]

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if not self.marks:
            return
        painter = QPainter(self)
        painter.setPen(self.palette().windowText().color())
        h = self.height()
        for x in self.mark_positions():
            # Above and below the groove, so neither the groove nor the handle hides them.
            painter.drawLine(x, 0, x, 2)
            painter.drawLine(x, h - 3, x, h - 1)
        painter.end()


class SliderRow(QWidget):
    """Name, slider and the current value as text, in one row.

    `live_name` makes the name a `ValueLabel`, so `set_name` can change it on every frame
    without a relayout; `marked` gives the row a `MarkedSlider`.
    """

    valueChanged = Signal(float)

    def __init__(self, name: str, lo: float, hi: float, steps: int = 600,
                 fmt: str = "{:+.2f}", parent: QWidget | None = None, name_width: int = 56,
                 live_name: bool = False, marked: bool = False):
        super().__init__(parent)
        self._fmt = fmt
        if live_name:
            self.name = ValueLabel(name, align=Qt.AlignmentFlag.AlignLeft,
                                   min_width=name_width)
            self.name.setText(name)
        else:
            self.name = QLabel(name)
            self.name.setMinimumWidth(name_width)
        self.slider = (MarkedSlider if marked else FloatSlider)(lo, hi, steps)
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

    def set_name(self, text: str) -> None:
        self.name.setText(text)

    def value(self) -> float:
        return self.slider.float_value()
