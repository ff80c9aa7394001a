"""`MessageBar`: a dismissable line of text above the digit, for errors the user must see.

Why not a QMessageBox: a modal box blocks the event loop (and tests), and the user usually
wants to keep exploring with the model that is still loaded.

An error is about the action that failed: once a later action succeeds (a latent file
loads, a comparison opens, an export is written), the error is stale and goes, so a red bar
never sits above a result that worked. A notice (settings are read-only this run) states
how things are, and stays until dismissed.
"""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from .plain_text import plain_label


class MessageBar(QWidget):
    """Hidden until `show_message`; the × button hides it again."""

    _STYLES: ClassVar[dict[str, str]] = {
        "error": "background:#5c1f24;color:#ffd9dc;border-radius:4px;",
        "info": "background:#1f3a5c;color:#d9ebff;border-radius:4px;",
        "notice": "background:#1f3a5c;color:#d9ebff;border-radius:4px;",
    }

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        # Messages quote file names and ONNX Runtime's words: shown literally.
        self.label = plain_label(QLabel())
        self.label.setWordWrap(True)
        self.kind = "error"  # of the message on show (or last shown)
        close = QToolButton()
        close.setText("×")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str, kind: str = "error") -> None:
        """kind: "error" (red), "info" (blue), "notice" (blue, and a later success leaves
        it up), or "done": an action succeeded, so an error or info shown is stale and goes
        (`text` is not shown; the status bar says what was done)."""
        if kind == "done":
            self.clear_stale()
            return
        self.kind = kind
        self.label.setText(text)
        self.setStyleSheet(self._STYLES.get(kind, ""))
        self.show()

    def clear_stale(self) -> None:
        """Hide what is shown unless it is a notice: a later action succeeded."""
        if self.kind != "notice":
            self.hide()

    def text(self) -> str:
        """The message on show ('' once dismissed); works before the window is shown."""
        return "" if self.isHidden() else self.label.text()
