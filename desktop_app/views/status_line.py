"""`StatusLine`: the window's status bar, saying one thing at a time.

Two things want its left side: a passing note (what just happened, `showMessage`) and the
work running in the background (`BusyIndicator`: "Finding principal directions…"). Qt's
own temporary message is painted under the first permanent widget, so a long note ran into
the busy text beside it ("…which change" + "Finding principal directions…"). Here the
newer of the two replaces the older: a note hides the busy text (its bar keeps moving), work
that starts later clears the note, and when a note's time is up the busy text, if work
still runs, comes back. Texts too long for the room are elided ("…"), the whole of them in
the tooltip; the model's description on the right is elided the same way, and where the
line is too short for both, the note gets two thirds of it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QToolTip, QWidget

from .widgets.busy_indicator import BusyIndicator
from .widgets.plain_text import plain_label, tooltip

ELLIPSIS = "…"


class ElidedLabel(QLabel):
    """A one-line plain-text label that shows as much of its text as fits, ending in "…",
    and the whole of it as a tooltip. `text()` is always the whole text.

    It asks for little (`sizeHint` is its minimum) and takes at most its whole text's
    width: where several share a line, their stretch factors share the room."""

    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__("", parent)
        plain_label(self)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - QLabel's name
        super().setText(text)
        margins = self.contentsMargins()
        self.setMaximumWidth(max(self.minimumSizeHint().width(),
                                 self.fontMetrics().horizontalAdvance(text) + 2
                                 + margins.left() + margins.right()))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().minimumSizeHint()
        return QSize(self.fontMetrics().horizontalAdvance("M" + ELLIPSIS), hint.height())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self.minimumSizeHint().width(), super().sizeHint().height())

    def shown_text(self) -> str:
        """What is on screen: the text, or its start and "…" where it does not fit."""
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                             self.contentsRect().width())

    def elided(self) -> bool:
        return self.shown_text() != self.text()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        self.style().drawItemText(painter, self.contentsRect(),
                                  Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                  self.palette(), self.isEnabled(), self.shown_text(),
                                  QPalette.ColorRole.WindowText)
        painter.end()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and self.elided():
            QToolTip.showText(event.globalPos(), tooltip(self.text()), self)
            return True
        return super().event(event)


class StatusLine(QStatusBar):
    """The note or the busy text on the left, whichever is newer; `permanent` widgets on
    the right. `showMessage`, `clearMessage` and `currentMessage` keep QStatusBar's
    meaning, for the note."""

    def __init__(self, busy: BusyIndicator, permanent: list[QWidget],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.note = ElidedLabel()
        self.busy = busy
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.clearMessage)
        busy.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.addWidget(busy)
        # The note gets twice the model name's share of a line too short for both.
        self.addWidget(self.note, 2)
        for widget in permanent:
            self.addPermanentWidget(widget, 1 if isinstance(widget, ElidedLabel) else 0)
        busy.runningChanged.connect(self._on_busy)
        self._refresh()

    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802 - Qt's name
        """Show `text` for `timeout` ms (0: until replaced), instead of anything older."""
        self.note.setText(text)
        if timeout > 0 and text:
            self._timer.start(timeout)
        else:
            self._timer.stop()
        self._refresh()

    def clearMessage(self) -> None:  # noqa: N802 - Qt's name
        self._timer.stop()
        self.note.setText("")
        self._refresh()

    def currentMessage(self) -> str:  # noqa: N802 - Qt's name
        """The note on show ('' when none, or when newer work's text replaced it)."""
        return self.note.text() if self.note.isVisibleTo(self) else ""

    def _on_busy(self, running: bool) -> None:
        if running:  # newer than any note: it replaces it
            self.clearMessage()
        self._refresh()

    def _refresh(self) -> None:
        # Work that starts clears the note, so a note still here is the newer of the two.
        note = bool(self.note.text())
        self.note.setVisible(note)
        self.busy.label.setVisible(self.busy.running and not note)
        # QStatusBar lays out its widgets again only when its height changes.
        self.reformat()
