"""Showing text from files (names, metadata, error messages) as plain text, never markup.

A QLabel guesses rich text from content (`Qt.mightBeRichText`), and so do tooltips: an
`architecture` of `<img src=/etc/passwd>` would be rendered, and load a local file. Labels
that can show such text are set to `Qt.PlainText`; tooltips, which have no such switch, get
the text converted to escaped rich text; menu entries get their `&` doubled (a mnemonic
marker otherwise).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt  # convertFromPlainText lives in QtGui
from PySide6.QtWidgets import QLabel


def plain_label(label: QLabel) -> QLabel:
    """`label`, set to show its text literally whatever it holds."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def tooltip(text: str) -> str:
    """A tooltip string that shows `text` literally ('' stays '': no tooltip)."""
    return GuiQt.convertFromPlainText(text) if text else ""


def menu_text(text: str) -> str:
    """A menu or action text that shows `text` literally (no `&` mnemonics)."""
    return text.replace("&", "&&")
