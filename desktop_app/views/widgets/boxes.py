"""Small building blocks: `group` (a titled box with the app's compact margins) and
`show_info` (a non-modal message box)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLayout, QMessageBox, QVBoxLayout, QWidget


def group(title: str, content: QWidget | QLayout) -> QGroupBox:
    box = QGroupBox(title)
    if isinstance(content, QLayout):
        layout = content
    else:
        layout = QVBoxLayout()
        layout.addWidget(content)
    layout.setContentsMargins(6, 6, 6, 6)
    box.setLayout(layout)
    return box


def show_info(parent: QWidget, title: str, html: str, icon=QMessageBox.Icon.NoIcon
              ) -> QMessageBox:
    """A non-modal message box: it never blocks the event loop (or a test) while open."""
    box = QMessageBox(icon, title, html, parent=parent)
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setModal(False)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
    return box
