"""`TrainingCurvesWidget`: a run's curves, live, with pyqtgraph.

Three stacked plots sharing the epoch axis: the losses (D, G), D's beliefs (D(real),
D(fake)) and the estimated FID on a log axis (it falls from hundreds to single digits).
Legends sit in each plot's title, outside the data; hovering shows every value of the
epoch under the pointer in a line below the plots.

pyqtgraph is imported when the curves are first shown, not at start-up: the window opens
without paying for it, and a user who never opens the Training panel never loads it.
"""

from __future__ import annotations

import html
import math

from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

# (title, [(metric, label, colour)], log y axis)
PLOTS = [
    ("Losses", [("d_loss", "D", "#d62728"), ("g_loss", "G", "#1f77b4")], False),
    ("D's beliefs", [("d_real", "D(real)", "#2ca02c"), ("d_fake", "D(fake)", "#ff7f0e")], False),
    ("Estimated FID", [("fid_estimate", "FID (est.)", "#9467bd")], True),
]
HOVER_HINT = "Point at a curve to read its values."


def _value(value: float) -> str:
    return f"{value:.4g}"


def _title(title: str, lines) -> str:
    """A plot's title with its legend: the name, then a coloured square and label per line."""
    keys = " ".join(f"<span style='color:{colour}'>■</span>&nbsp;{html.escape(label)}"
                    for _, label, colour in lines)
    return f"<b>{html.escape(title)}</b>&nbsp;&nbsp;{keys}"


def log_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    """Labelled ticks for a log axis from lo to hi (> 0): 1, 2 and 5 times each power of
    ten, as (log10 value, "20") pairs; pyqtgraph's own labels every 2..9 and they overlap."""
    ticks = []
    for power in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            v = m * 10.0 ** power
            if lo / 2 <= v <= hi * 2:
                ticks.append((math.log10(v), f"{v:g}"))
    return ticks


class TrainingCurvesWidget(QWidget):
    """Shows `set_series({metric: [(epoch, value), ...]})`; non-finite points are left out."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._series: dict[str, list[tuple[int, float]]] = {}
        self._plots = None  # built on first show
        self._curves: dict[str, object] = {}
        self._log_axis = None
        self.hover = QLabel(HOVER_HINT)
        self.hover.setWordWrap(True)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.hover)
        self.setMinimumSize(260, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # -- data ------------------------------------------------------------------
    def set_series(self, series: dict[str, list[tuple[int, float]]]) -> None:
        self._series = {k: [(int(e), float(v)) for e, v in pts if math.isfinite(v)] for k, pts in series.items()}
        # A log axis cannot show zero or less; such an FID estimate is not drawn.
        for key, _, _ in PLOTS[2][1]:
            self._series[key] = [(e, v) for e, v in self._series.get(key, []) if v > 0]
        self._redraw()

    def epochs(self) -> list[int]:
        """Every epoch drawn in any plot, ascending (what a user sees along the x axis)."""
        return sorted({e for pts in self._series.values() for e, _ in pts})

    def values_at(self, epoch: int) -> str:
        """The hover line for `epoch`: every metric that has a value there."""
        parts = [f"{label} {_value(v)}" for _, lines, _ in PLOTS for key, label, _ in lines
                 for e, v in self._series.get(key, []) if e == epoch]
        return f"epoch {epoch}: " + ", ".join(parts) if parts else f"epoch {epoch}: no values"

    # -- drawing ---------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._plots is None:
            self._build()
        super().showEvent(event)

    def _build(self) -> None:
        import pyqtgraph as pg

        pg.setConfigOptions(antialias=True, background=self.palette().base().color(),
                            foreground=self.palette().text().color())
        self._plots = pg.GraphicsLayoutWidget()
        self._layout.insertWidget(0, self._plots, 1)
        first = None
        for row, (title, lines, log) in enumerate(PLOTS):
            plot = self._plots.addPlot(row=row, col=0)
            plot.setTitle(_title(title, lines), size="9pt")
            plot.setLogMode(x=False, y=log)
            if log:
                self._log_axis = plot.getAxis("left")
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.getAxis("left").setWidth(48)
            if row == len(PLOTS) - 1:
                plot.setLabel("bottom", "epoch")
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            for key, _, colour in lines:
                self._curves[key] = plot.plot([], [], pen=pg.mkPen(colour, width=1.6), symbol="o",
                                              symbolSize=4, symbolBrush=colour, symbolPen=None)
        self._plots.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._redraw()

    def _redraw(self) -> None:
        if self._plots is None:
            return
        for key, curve in self._curves.items():
            pts = self._series.get(key, [])
            curve.setData([e for e, _ in pts], [v for _, v in pts])
        values = [v for key, _, _ in PLOTS[2][1] for _, v in self._series.get(key, [])]
        self._log_axis.setTicks([log_ticks(min(values), max(values))] if values else None)

    def _on_mouse_moved(self, pos) -> None:
        epochs = self.epochs()
        if not epochs:
            self.hover.setText(HOVER_HINT)
            return
        for item in self._plots.ci.items:
            if item.sceneBoundingRect().contains(pos):
                x = item.vb.mapSceneToView(pos).x()
                nearest = min(epochs, key=lambda e: abs(e - x))
                self.hover.setText(self.values_at(nearest))
                return
