"""`VerdictWidget`: what the classifier says about the frame on screen, live.

The predicted digit drawn large, its confidence, and a ten-bar chart of the probabilities
of digits 0-9, with the predicted digit's bar highlighted. It is one custom-painted widget
of fixed height, as wide as its place allows between the narrowest that keeps all ten bars
and their labels (`minimumSizeHint`) and 300 px: a new verdict is a repaint of this widget
only, never a relayout of the window, and the paint is a few rectangles and short texts (no
charts library).
"""

from __future__ import annotations

import math
from html import escape

from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ...core.models.classifier import Verdict
from ..widgets.plain_text import tooltip

_SIZE = QSize(300, 52)
_DIGIT_W = 46.0  # the large digit
_TEXT_W = 70.0  # confidence and caption ("100%" in 17-px bold; the caption wraps)
_LABEL_H = 13.0  # digit labels under the bars
_GAP = 3.0
_MIN_BAR_W = 9.0  # a bar wide enough for its label ("8") under it
_BAR_IDLE = QColor(140, 140, 150)


class VerdictWidget(QWidget):
    """Shows a `Verdict`, a reason why there is none, or nothing (no model)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFixedHeight(_SIZE.height())
        self.setMaximumWidth(_SIZE.width())
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._last: Verdict | None = None
        self._shown: tuple[float, ...] = ()
        self._message = ""
        self.caption = "classifier"
        self._big = QFont(self.font())
        self._big.setPixelSize(40)
        self._big.setBold(True)
        self._mid = QFont(self.font())
        self._mid.setPixelSize(17)
        self._mid.setBold(True)
        self._small = QFont(self.font())
        self._small.setPixelSize(10)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return _SIZE

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Ten bars of `_MIN_BAR_W` and their gaps beside the digit and its confidence."""
        chart = 10 * _MIN_BAR_W + 9 * _GAP
        return QSize(int(math.ceil(_DIGIT_W + _TEXT_W + chart + 2.0)), _SIZE.height())

    def set_available(self, available: bool, name: str = "", reason: str = "") -> None:
        """A classifier was (un)loaded: forget the old verdict; say why there is none
        (`reason`, else that no classifier.onnx was found)."""
        self._last, self._shown = None, ()
        self._message = "" if available else (reason or "No classifier.onnx beside the "
                                                        "model: verdicts are off")
        # A file name is plain text; a tooltip would render markup in it.
        self.setToolTip(tooltip(f"What {name} says about the digit on screen")
                        if available else "")
        self.update()

    def set_caption(self, caption: str) -> None:
        """What the verdict is about, e.g. "top-left digit" while the grid is shown."""
        if caption != self.caption:
            self.caption = caption
            self.update()

    def set_verdict(self, verdict: Verdict | None) -> None:
        """Show a new verdict; repaints only when something visible changed."""
        if verdict is None or not all(math.isfinite(p) for p in
                                      (verdict.confidence, *verdict.probs)):
            return  # never "Classifier says 0 · nan%" (Classifier.verdict refuses these)
        self._last = verdict
        shown = (verdict.digit,) + tuple(round(p, 3) for p in verdict.probs or
                                         (verdict.confidence,))
        if shown != self._shown:
            self._shown = shown
            self.update()

    def clear(self) -> None:
        """Show no verdict: what it was about is gone (a cleared pad, a new search)."""
        if self._last is not None:
            self._last, self._shown = None, ()
            self.update()

    @property
    def verdict(self) -> Verdict | None:
        """The last verdict shown (None before the first or without a classifier)."""
        return self._last

    def text(self) -> str:
        """The panel in words, e.g. "Classifier says 7 · 98%" (also for screen readers)."""
        v = self._last
        return self._message if v is None else f"Classifier says {v.digit} · {v.confidence:.0%}"

    # -- geometry, shared by painting and tests -------------------------------------------
    def _chart(self) -> QRectF:
        left = _DIGIT_W + _TEXT_W
        return QRectF(left, 4.0, self.width() - left - 2.0, self.height() - 6.0 - _LABEL_H)

    def bar_rects(self) -> list[QRectF]:
        """Where the ten probability bars are drawn (empty rects before a verdict)."""
        chart = self._chart()
        width = (chart.width() - 9 * _GAP) / 10
        probs = self._last.probs if self._last is not None else ()
        rects = []
        for k in range(10):
            p = min(max(float(probs[k]), 0.0), 1.0) if k < len(probs) else 0.0
            # At least one pixel, so a zero still reads as a bar at the baseline.
            h = max(1.0, p * chart.height()) if probs else 0.0
            rects.append(QRectF(chart.left() + k * (width + _GAP), chart.bottom() - h, width, h))
        return rects

    # -- painting -------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        palette = self.palette()
        text, muted = palette.windowText().color(), palette.placeholderText().color()
        if self._last is None:
            painter.setPen(muted)
            painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignVCenter
                             | Qt.TextFlag.TextWordWrap, self._message)
            painter.end()
            return
        v = self._last
        h = float(self.height())
        painter.setPen(text)
        painter.setFont(self._big)
        painter.drawText(QRectF(0, 0, _DIGIT_W, h), Qt.AlignmentFlag.AlignCenter, str(v.digit))
        painter.setFont(self._mid)
        painter.drawText(QRectF(_DIGIT_W + 4, 6, _TEXT_W - 8, h / 2 - 4),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                         f"{v.confidence:.0%}")
        painter.setFont(self._small)
        painter.setPen(muted)
        painter.drawText(QRectF(_DIGIT_W + 4, h / 2 + 2, _TEXT_W - 8, h / 2 - 4),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
                         | Qt.TextFlag.TextWordWrap, self.caption)
        chart = self._chart()
        painter.drawLine(chart.bottomLeft(), chart.bottomRight())
        highlight = palette.highlight().color()
        for k, rect in enumerate(self.bar_rects()):
            painter.fillRect(rect, highlight if k == v.digit else _BAR_IDLE)
            painter.setPen(text if k == v.digit else muted)
            painter.drawText(QRectF(rect.left() - 2, chart.bottom() + 1, rect.width() + 4,
                                    _LABEL_H), Qt.AlignmentFlag.AlignCenter, str(k))
        painter.end()

    def event(self, event: QEvent) -> bool:
        # The exact probabilities, written only when the user hovers (not every frame).
        if event.type() == QEvent.Type.ToolTip and self._last is not None and self._last.probs:
            rows = "<br>".join(f"{k}: {p:.1%}" for k, p in enumerate(self._last.probs))
            QToolTip.showText(event.globalPos(), f"<b>{escape(self.caption)}</b><br>{rows}",
                              self)
            return True
        return super().event(event)
