"""`KeyframeListWidget` and `StripView`: the keyframes as thumbnails, and the in-betweens
with a playhead, for the Interpolate tab.

Thumbnails are drawn once per change of the path (add, remove, method), not per frame.
The strip's playhead is a line drawn over the strip on each t change: one small repaint.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QDropEvent, QIcon, QImage, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem

from ..widgets.digit_view import DigitView
from ..widgets.plain_text import tooltip

THUMB = 84  # 3× a 28×28 digit: whole-number scale, so pixels stay square
NOTE = " · "  # between a keyframe's name and what it draws, in the list
_EMPTY = ("No keyframes yet.\nPress K (or Add current) to keep the digit on screen; "
          "two or more make a path to play.")


def thumbnail(pixels: np.ndarray, side: int = THUMB) -> QPixmap:
    """A uint8 (h, w) frame as a crisp (nearest-neighbour) pixmap `side` pixels square."""
    pixels = np.ascontiguousarray(pixels, np.uint8)
    h, w = pixels.shape
    image = QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8)
    return QPixmap.fromImage(image.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.FastTransformation))


class KeyframeListWidget(QListWidget):
    """Keyframes as labelled thumbnails, left to right, wrapping; a hint when empty.

    Drag a thumbnail onto another to move it there (`moved(from, to)`); F2 renames
    (`renamed(index, name)`). The list only reports: the path's owner re-lists it.
    """

    moved = Signal(int, int)
    renamed = Signal(int, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setGridSize(QSize(THUMB + 34, THUMB + 26))
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformItemSizes(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self._filling = False
        self.itemChanged.connect(self._on_item_changed)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if not self._filling:
            self.renamed.emit(self.row(item), item.text().split(NOTE)[0])

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        source = self.currentRow()
        index = self.indexAt(event.position().toPoint())
        target = index.row() if index.isValid() else self.count() - 1
        # Qt's own move is skipped: the list is rebuilt from the reordered path.
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()
        if source >= 0 and target != source:
            self.moved.emit(source, target)

    def set_keyframes(self, names: list[str], images: np.ndarray | None = None) -> None:
        """One item per name; `images` uint8 (n, 28, 28) become the thumbnails."""
        self._filling = True
        self.clear()
        for i, name in enumerate(names):
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            if images is not None and i < len(images):
                item.setIcon(QIcon(thumbnail(images[i])))
            # Names come from latent files: literal in the tooltip (item text is plain).
            item.setToolTip(tooltip(f"Keyframe {name}: double-click (or Enter) to make it "
                                    f"the current latent; drag to reorder; F2 renames"))
            self.addItem(item)
        self._filling = False

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if self.count() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.viewport().rect().adjusted(12, 8, -12, -8),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, _EMPTY)
            painter.end()


class StripView(DigitView):
    """The in-betweens side by side (`count` cells of 28 px, 2 px apart) and a playhead."""

    GAP = 2

    def __init__(self, parent=None):
        super().__init__(parent, min_side=40)
        self._t: float | None = None
        self._count = 0

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(560, 96)

    def set_frames(self, pixels: np.ndarray, count: int) -> None:
        """The tiled strip (see `core.pixels.tile`) of `count` evenly spaced in-betweens."""
        self._count = count
        self.set_pixels(pixels)

    def set_playhead(self, t: float | None) -> None:
        if t != self._t:
            self._t = t
            self.update()

    def playhead_x(self) -> int | None:
        """The x pixel of the playhead: over the centre of the cell at each in-between's t."""
        rect = self.target_rect()
        if self._t is None or self._count < 1 or rect.isEmpty():
            return None
        cell = 28 + self.GAP
        image_w = self._count * cell - self.GAP
        x = 14 + self._t * (self._count - 1) * cell
        return rect.left() + int(round(x * rect.width() / image_w))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        x = self.playhead_x()
        if x is None:
            return
        painter = QPainter(self)
        color = QColor(self.palette().highlight().color())
        rect = self.target_rect()
        # Solid above and below the strip, a tint over it: the digits stay readable.
        painter.fillRect(QRect(x - 1, 0, 3, rect.top() - 1), color)
        painter.fillRect(QRect(x - 1, rect.bottom() + 2, 3, self.height()), color)
        color.setAlpha(80)
        painter.fillRect(QRect(x - rect.height() // 2, rect.top(), rect.height(),
                               rect.height()), color)
        painter.end()
