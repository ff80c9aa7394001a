"""`BusyIndicator`: "what is being worked on" and a moving bar, shown only while it runs.

Lives in the status bar, whose `StatusLine` hides the text while a newer note is shown. Background work (principal directions after a model loads) takes
up to a second; a bar that stayed on screen afterwards would read as a stuck progress bar,
so the indicator is hidden whenever nothing is running.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from .plain_text import plain_label, tooltip


class BusyIndicator(QWidget):
    """`start(text)` shows the text and an indeterminate bar; `stop()` hides both."""

    runningChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._running = False
        self.label = plain_label(QLabel())
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # indeterminate: the work reports no fraction done
        self.bar.setTextVisible(False)
        self.bar.setFixedSize(72, 10)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        self.hide()

    @property
    def running(self) -> bool:
        return self._running

    def start(self, text: str) -> None:
        self.label.setText(text)
        self.setToolTip(tooltip(text))
        self._running = True
        self.show()
        self.runningChanged.emit(True)

    def stop(self) -> None:
        was, self._running = self._running, False
        self.hide()
        if was:
            self.runningChanged.emit(False)
