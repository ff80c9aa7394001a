"""Bookmarks of latents: `BookmarksWidget` (the Bookmarks tab) and `BookmarksController`.

Bookmark the latent on screen (B), click a thumbnail to go back to it. Adding, removing and
going back are `Studio` changes recorded on the undo history, so Ctrl+Z takes each back.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, QSize, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QListView, QListWidget,
                               QListWidgetItem, QPushButton, QVBoxLayout, QWidget)

from ...core.events import Change
from ...core.explore.bookmarks import MAX_BOOKMARKS
from ...core.studio import Studio
from ..history import History
from ..morph.keyframe_views import THUMB, thumbnail
from ..widgets.plain_text import tooltip


class BookmarksWidget(QWidget):
    """Thumbnails of the bookmarked latents; reports clicks and button presses."""

    addRequested = Signal()
    removeRequested = Signal(int)
    activated = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 34, THUMB + 26))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.add_button = QPushButton("Bookmark current (B)")
        self.add_button.setToolTip("Keep the digit on screen here, to come back to it later")
        self.remove_button = QPushButton("Remove")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(self.addRequested)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.list.itemClicked.connect(lambda item: self.activated.emit(self.list.row(item)))
        self.set_bookmarks([])

    def _on_remove_clicked(self) -> None:
        row = self.list.currentRow()
        self.removeRequested.emit(row if row >= 0 else self.list.count() - 1)

    def set_bookmarks(self, names: list[str], images: np.ndarray | None = None) -> None:
        """One thumbnail per bookmark; `images` uint8 (n, 28, 28)."""
        self.list.clear()
        for i, name in enumerate(names):
            item = QListWidgetItem(name)
            if images is not None and i < len(images):
                item.setIcon(QIcon(thumbnail(images[i])))
            item.setToolTip(tooltip(f"{name}: click to make it the current latent"))
            self.list.addItem(item)
        self.remove_button.setEnabled(bool(names))
        self.add_button.setEnabled(len(names) < MAX_BOOKMARKS)


class BookmarksController(QObject):
    """Turns the widget's requests into recorded `Studio` changes and re-lists the
    bookmarks when the studio says they changed."""

    def __init__(self, studio: Studio, history: History, panel: BookmarksWidget,
                 status: Callable[[str], None], parent: QObject | None = None):
        super().__init__(parent)
        self.studio, self.history, self.panel, self.status = studio, history, panel, status
        panel.addRequested.connect(self.add)
        panel.removeRequested.connect(self.remove)
        panel.activated.connect(self.go_to)
        studio.subscribe(self._on_studio_changed)

    def _on_studio_changed(self, reason: Change) -> None:
        if reason in (Change.BOOKMARKS, Change.RESTORE, Change.GENERATOR):
            marks = self.studio.bookmarks
            names = [k.name + self.studio.key_note(k) for k in marks]
            self.panel.set_bookmarks(names, self.studio.images_of(marks))

    def add(self) -> None:
        if not self.studio.ready:
            return
        mark = self.history.record("Bookmark", self.studio.add_bookmark)
        if mark is None:
            self.status(f"The bookmarks are full ({MAX_BOOKMARKS}); remove one first.")
        else:
            self.status(f"Bookmarked {mark.name}")

    def remove(self, index: int) -> None:
        if 0 <= index < len(self.studio.bookmarks):
            name = self.studio.bookmarks[index].name
            self.history.record(f"Remove bookmark {name}",
                                lambda: self.studio.remove_bookmark(index))

    def go_to(self, index: int) -> None:
        if 0 <= index < len(self.studio.bookmarks):
            self.history.record("Go to bookmark", lambda: self.studio.go_to_bookmark(index))

