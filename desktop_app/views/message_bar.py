"""`MessageBar`: a dismissable line of text above the digit, for errors the user must see.

Why not a QMessageBox: a modal box blocks the event loop (and tests), and the user usually
wants to keep exploring with the model that is still loaded.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from .plain_text import plain_label


class MessageBar(QWidget):
    """Hidden until `show_message`; the × button hides it again."""

    _STYLES = {
        "error": "background:#5c1f24;color:#ffd9dc;border-radius:4px;",
        "info": "background:#1f3a5c;color:#d9ebff;border-radius:4px;",
    }

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        # Messages quote file names and ONNX Runtime's words: shown literally.
        self.label = plain_label(QLabel())
        self.label.setWordWrap(True)
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
        self.label.setText(text)
        self.setStyleSheet(self._STYLES.get(kind, ""))
        self.show()

    def text(self) -> str:
        """The message on show ('' once dismissed); works before the window is shown."""
        return "" if self.isHidden() else self.label.text()
