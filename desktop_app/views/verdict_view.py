"""`VerdictWidget`: what the classifier says about the frame on screen, live."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QWidget

from ..core.classifier import Verdict
from .float_slider import ValueLabel


class VerdictWidget(QWidget):
    """"Classifier says 7 · 98%" and a confidence bar; a hint when there is no classifier."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        # Updated every frame during a drag: a ValueLabel never triggers a relayout.
        self.label = ValueLabel("No classifier.onnx: verdicts are off",
                                align=Qt.AlignmentFlag.AlignLeft)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(10)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 1)
        self._last: Verdict | None = None
        self.set_available(False)

    def set_available(self, available: bool, name: str = "") -> None:
        self.bar.setVisible(available)
        self._last = None
        self.label.setText(f"Classifier: {name}" if available else
                           "No classifier.onnx: verdicts are off")

    def set_verdict(self, verdict: Verdict | None) -> None:
        """Show a new verdict; skips the relayout when nothing visible changed."""
        if verdict is None:
            return
        shown = Verdict(verdict.digit, round(verdict.confidence, 3))
        if shown == self._last:
            return
        self._last = shown
        self.label.setText(f"Classifier says {verdict.digit} · {verdict.confidence:.0%}")
        self.bar.setValue(int(verdict.confidence * 1000))

    @property
    def verdict(self) -> Verdict | None:
        """The last verdict shown (None before the first or without a classifier)."""
        return self._last
