"""`DrawingPad`: a square canvas to draw a digit on with the mouse or a pen.

White ink on black, as MNIST's digits are, in strokes of a chosen brush size; the last
stroke can be undone and the canvas cleared (an undo right after Clear brings the strokes
back). A pen draws through the mouse events Qt synthesises from tablet events. The canvas
is a SIDE×SIDE Grayscale8 `QImage` drawn in the largest square the widget has (so the pad
fits a narrow window); `pixels()` hands it to digit_contract/preprocess.py as a uint8 array, and
brush sizes are in canvas pixels whatever the pad's size on screen.

`changed` is emitted on every stroke segment: the receiver coalesces (see find_panel.py).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

SIDE = 280  # ten canvas pixels per MNIST pixel
MIN_SIDE = 160  # on screen: still room to draw a digit in an 800-px-wide window
DEFAULT_BRUSH = 18  # a pen stroke of MNIST's ~2 pixels once the digit is fitted to 20×20
_HINT = QColor(110, 110, 120)
_MARGIN = QColor(24, 24, 28)


class DrawingPad(QWidget):
    """Strokes of white ink on black; `changed()` after each edit of the canvas."""

    changed = Signal()
    strokeFinished = Signal()

    def __init__(self, parent: QWidget | None = None, side: int = SIDE):
        super().__init__(parent)
        self.setMinimumSize(MIN_SIDE, MIN_SIDE)
        self.setMaximumHeight(side)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setToolTip("Draw a digit with the mouse or a pen")
        self.brush = DEFAULT_BRUSH
        # Each stroke: (brush size, points). Kept so an undo can redraw the rest exactly.
        self._strokes: list[tuple[int, list[QPointF]]] = []
        self._cleared: list[tuple[int, list[QPointF]]] = []
        self._drawing = False
        self._image = QImage(side, side, QImage.Format.Format_Grayscale8)
        self._image.fill(0)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self._image.width(), self._image.height())

    # -- geometry -------------------------------------------------------------------
    def canvas_rect(self) -> QRect:
        """Where the canvas is drawn: the largest centred square, at most 1:1."""
        side = min(self.width(), self.height(), self._image.width())
        return QRect((self.width() - side) // 2, (self.height() - side) // 2, side, side)

    def to_canvas(self, pos: QPointF) -> QPointF:
        rect = self.canvas_rect()
        scale = self._image.width() / max(1, rect.width())
        return QPointF((pos.x() - rect.left()) * scale, (pos.y() - rect.top()) * scale)

    def to_widget(self, x: float, y: float) -> QPoint:
        """The widget position of canvas pixel (x, y) (for scripted strokes)."""
        rect = self.canvas_rect()
        scale = rect.width() / self._image.width()
        return QPoint(round(rect.left() + x * scale), round(rect.top() + y * scale))

    # -- what the pad holds ---------------------------------------------------------
    @property
    def stroke_count(self) -> int:
        return len(self._strokes)

    def is_blank(self) -> bool:
        return not self._strokes

    def pixels(self) -> np.ndarray:
        """The canvas: uint8 (side, side), ink 255 on 0 (a copy)."""
        img = self._image
        rows = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
        return rows[:, :img.width()].copy()

    def set_brush(self, size: int) -> None:
        """Brush diameter in canvas pixels, for the next strokes."""
        self.brush = max(1, int(size))

    # -- edits ----------------------------------------------------------------------
    def clear(self) -> None:
        if not self._strokes:
            return
        self._cleared, self._strokes = self._strokes, []
        self._redraw()

    def undo_stroke(self) -> None:
        """Take back the last stroke (or, right after Clear, bring the strokes back)."""
        if self._strokes:
            self._strokes.pop()
        elif self._cleared:
            self._strokes, self._cleared = self._cleared, []
        else:
            return
        self._redraw()

    def _redraw(self) -> None:
        self._image.fill(0)
        for size, points in self._strokes:
            self._paint(size, points[:1])
            for a, b in zip(points, points[1:]):
                self._paint(size, [a, b])
        self.update()
        self.changed.emit()

    def _paint(self, size: int, points: list[QPointF]) -> None:
        """Ink a stroke's first dot (one point) or one segment (two points). A redraw
        repeats exactly the operations made while drawing, so an undo leaves the canvas
        as it was, anti-aliased edges included."""
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if len(points) == 1:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(255, 255, 255))
            painter.drawEllipse(points[0], size / 2, size / 2)
        else:
            painter.setPen(QPen(QColor(255, 255, 255), size, Qt.PenStyle.SolidLine,
                                Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
            painter.drawLine(points[0], points[1])
        painter.end()

    # -- mouse (and pen, through Qt's synthesised mouse events) ---------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        point = self.to_canvas(event.position())
        self._drawing = True
        self._cleared = []  # a new stroke: Undo takes it back, not the cleared drawing
        self._strokes.append((self.brush, [point]))
        self._paint(self.brush, [point])
        self.update()
        self.changed.emit()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if not (self._drawing and event.buttons() & Qt.MouseButton.LeftButton):
            return super().mouseMoveEvent(event)
        size, points = self._strokes[-1]
        point = self.to_canvas(event.position())
        if point == points[-1]:
            return
        self._paint(size, [points[-1], point])
        points.append(point)
        self.update()
        self.changed.emit()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton and self._drawing:
            self._drawing = False
            self.strokeFinished.emit()
        super().mouseReleaseEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), _MARGIN)
        rect = self.canvas_rect()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(rect, self._image)
        if not self._strokes:
            painter.setPen(_HINT)
            painter.drawText(QRectF(rect).adjusted(16, 16, -16, -16),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             "Draw a digit here\n\nor drop a picture of one")
        painter.end()
