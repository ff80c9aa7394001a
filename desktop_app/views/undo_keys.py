"""Ctrl+Z and Ctrl+Shift+Z (Ctrl+Y) undo the user's edits even while a spin box has focus.

A spin box's line edit claims the undo keys for its own text (Qt's ShortcutOverride), so
after typing a seed and pressing Enter, Ctrl+Z undid nothing the user could see: the
text was committed already, and Edit → Undo never heard the keys. `install` lets the
window's Undo and Redo actions have those keys in every spin box of the window.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QWidget

_KEYS = (QKeySequence.StandardKey.Undo, QKeySequence.StandardKey.Redo)
_EXTRA = (QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y"))  # Edit → Redo's own


class _UndoKeys(QObject):
    """Declines the spin box's claim on the undo keys, so the shortcut goes to the menu."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            combo = QKeySequence(event.keyCombination())
            if any(event.matches(k) for k in _KEYS) or any(
                    combo.matches(k) == QKeySequence.SequenceMatch.ExactMatch
                    for k in _EXTRA):
                return True  # not accepted: the window's Undo/Redo shortcut fires
        return False


def install(window: QWidget) -> None:
    """Give the window's Undo/Redo their keys in every spin box it holds now (the Explore
    and Interpolate controls)."""
    keys = _UndoKeys(window)
    for box in window.findChildren(QAbstractSpinBox):
        box.installEventFilter(keys)
        box.lineEdit().installEventFilter(keys)
