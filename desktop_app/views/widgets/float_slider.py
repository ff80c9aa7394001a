"""`FloatSlider` and `SliderRow`: a QSlider over a float range, with a name and a value label.

QSlider is integer-only; this maps a float range onto `steps` integer positions. Setting a
value from the model (`set_value`) never re-emits, so model → view syncing cannot loop.
The mouse wheel only moves a slider that has keyboard focus: in a long list of sliders the
wheel scrolls the list, and never edits whichever slider passes under the pointer.
Double-clicking a row's value lets the user type an exact number.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QWheelEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QSizePolicy, QSlider, QWidget


class ValueLabel(QWidget):
    """A fixed-width line of text that repaints itself and nothing else.

    Why not QLabel: `QLabel.setText` asks the window to lay itself out again; with a
    hundred slider rows that cost ~5 ms per slider move (measured), more than the whole
    frame budget. This widget's size never depends on its text, so changing it is a repaint.
    """

    doubleClicked = Signal()

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

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self.doubleClicked.emit()

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
        # Focus by click or Tab, never by the wheel (see wheelEvent).
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.valueChanged.connect(self._on_value_changed)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # the scroll area behind gets it and scrolls

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


class _ValueEditor(QLineEdit):
    """The typed-value box: Enter commits, Escape gives up."""

    cancelled = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:
            self.cancelled.emit()
        else:
            super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().focusOutEvent(event)
        self.cancelled.emit()  # clicking elsewhere gives up, like Escape


class SliderRow(QWidget):
    """Name, slider and the current value as text, in one row. `editFinished` marks the
    end of one user gesture (slider released, value typed): undo steps end there."""

    valueChanged = Signal(float)
    editFinished = Signal()

    def __init__(self, name: str, lo: float, hi: float, steps: int = 600,
                 fmt: str = "{:+.2f}", parent: QWidget | None = None, name_width: int = 56):
        super().__init__(parent)
        self._fmt = fmt
        self._lo, self._hi = float(lo), float(hi)
        self.name = QLabel(name)
        self.name.setMinimumWidth(name_width)
        self.slider = FloatSlider(lo, hi, steps)
        self.slider.setMinimumWidth(60)
        self.value_label = ValueLabel(fmt.format(-88.888))
        self.value_label.setToolTip("Double-click to type a value")
        self.editor = _ValueEditor()
        self.editor.setFixedWidth(self.value_label.width() + 8)
        self.editor.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.name)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.value_label)
        layout.addWidget(self.editor)
        self.slider.floatValueChanged.connect(self._on_value_changed)
        self.slider.sliderReleased.connect(self.editFinished)
        self.value_label.doubleClicked.connect(self.start_typing)
        self.editor.returnPressed.connect(self._on_typed)
        self.editor.cancelled.connect(self._stop_typing)
        self._show(self.slider.float_value())

    def start_typing(self) -> None:
        """Replace the value label by a box holding the value, selected for typing."""
        self.editor.setText(f"{self.value():.4g}")
        self.value_label.hide()
        self.editor.show()
        self.editor.setFocus()
        self.editor.selectAll()

    def _stop_typing(self) -> None:
        self.editor.hide()
        self.value_label.show()

    def _on_typed(self) -> None:
        text = self.editor.text().strip().rstrip("σ").strip()
        self._stop_typing()
        try:
            value = float(text)
        except ValueError:
            return  # not a number: the old value stays
        if value != value:  # NaN
            return
        value = min(max(value, self._lo), self._hi)
        self.set_value(value)
        self.valueChanged.emit(value)  # the exact number typed, not the nearest step
        self.editFinished.emit()

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
