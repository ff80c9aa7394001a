"""`DisplayBadge`: one line above the digit saying which frame it is, the current latent or
a frame of the path, with a way back to the latent while a path frame is shown."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from .plain_text import plain_label


class DisplayBadge(QWidget):
    """`backRequested` when the user asks for the current latent again."""

    backRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        # Keyframe names come from latent files: shown literally.
        self.label = plain_label(QLabel("Showing the current latent"))
        self.label.setWordWrap(True)  # "Showing the path A → B → … at t": any length
        self.back_button = QPushButton("Back to current latent")
        self.back_button.setToolTip("Show the current latent instead of the path frame; "
                                    "editing any control also continues from this frame")
        self.back_button.clicked.connect(self.backRequested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.back_button)
        self.back_button.hide()
        self.path_shown = False

    def show_display(self, path: bool, text: str) -> None:
        self.path_shown = path
        self.label.setText(text)
        self.back_button.setVisible(path)
