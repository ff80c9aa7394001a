"""`TrainingCurvesWidget`: a run's curves, drawn with QPainter.

Three stacked plots against epoch: the losses (D, G), D's beliefs (D(real), D(fake)) and
the estimated FID. A few dozen points per line do not need a charting library:
QtCharts is not in PySide6-Essentials (PySide6-Addons would add well over 100 MB to the
bundle) and pyqtgraph would be a new dependency and import cost for three polylines.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

# (title, [(metric, label, colour)])
PLOTS = [
    ("Losses", [("d_loss", "D", "#d62728"), ("g_loss", "G", "#1f77b4")]),
    ("D's beliefs", [("d_real", "D(real)", "#2ca02c"), ("d_fake", "D(fake)", "#ff7f0e")]),
    ("Estimated FID", [("fid_estimate", "FID (est.)", "#9467bd")]),
]
MARGIN_LEFT, MARGIN_RIGHT, TITLE_H, BOTTOM_H = 46, 8, 16, 14


def _nice(value: float) -> str:
    return f"{value:.3g}"


class TrainingCurvesWidget(QWidget):
    """Shows `set_series({metric: [(epoch, value), ...]})`; empty plots say so."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._series: dict[str, list[tuple[int, float]]] = {}
        self.setMinimumSize(260, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_series(self, series: dict[str, list[tuple[int, float]]]) -> None:
        self._series = {k: [(e, v) for e, v in pts if math.isfinite(v)] for k, pts in series.items()}
        self.update()

    def epochs(self) -> list[int]:
        """Every epoch drawn in any plot, ascending (what a user sees along the x axis)."""
        return sorted({e for pts in self._series.values() for e, _ in pts})

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.palette().base())
        height = self.height() / len(PLOTS)
        epochs = self.epochs()
        x_range = (min(epochs), max(epochs)) if epochs else (0, 1)
        for i, (title, lines) in enumerate(PLOTS):
            self._plot(p, QRectF(0, i * height, self.width(), height), title, lines, x_range)
        p.end()

    def _plot(self, p: QPainter, box: QRectF, title: str, lines, x_range) -> None:
        text = self.palette().text().color()
        area = box.adjusted(MARGIN_LEFT, TITLE_H, -MARGIN_RIGHT, -BOTTOM_H)
        p.setPen(text)
        p.drawText(QRectF(box.left() + MARGIN_LEFT, box.top(), box.width(), TITLE_H),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        p.setPen(QPen(QColor(text.red(), text.green(), text.blue(), 90)))
        p.drawRect(area)
        values = [v for key, _, _ in lines for _, v in self._series.get(key, [])]
        if not values:
            p.setPen(text)
            p.drawText(area, Qt.AlignmentFlag.AlignCenter, "no epochs yet")
            return
        lo, hi = min(values), max(values)
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5
        (x0, x1) = x_range
        span = max(x1 - x0, 1)

        def point(epoch: int, value: float) -> QPointF:
            x = area.left() + (epoch - x0) / span * area.width() if x1 > x0 else area.center().x()
            return QPointF(x, area.bottom() - (value - lo) / (hi - lo) * area.height())

        p.setPen(text)
        small = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        p.drawText(QRectF(box.left(), area.top() - 6, MARGIN_LEFT - 4, 12), small, _nice(hi))
        p.drawText(QRectF(box.left(), area.bottom() - 6, MARGIN_LEFT - 4, 12), small, _nice(lo))
        p.drawText(QRectF(area.left(), area.bottom(), area.width(), BOTTOM_H),
                   Qt.AlignmentFlag.AlignCenter, f"epoch {x0}–{x1}" if x1 > x0 else f"epoch {x0}")
        legend_x = area.left() + 6
        for key, label, colour in lines:
            pts = self._series.get(key, [])
            pen = QPen(QColor(colour), 1.6)
            p.setPen(pen)
            path = QPainterPath()
            for j, (e, v) in enumerate(pts):
                q = point(e, v)
                path.moveTo(q) if j == 0 else path.lineTo(q)
                p.drawEllipse(q, 1.8, 1.8)
            p.drawPath(path)
            p.drawText(QPointF(legend_x, area.top() + 12), label)
            legend_x += p.fontMetrics().horizontalAdvance(label) + 12
