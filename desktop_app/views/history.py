"""`History`: undo and redo of the user's edits, on Qt's own `QUndoStack`.

Every command is a pair of `Studio` snapshots (before, after): undo restores the first,
redo the second. That keeps one command class for every kind of edit (seed, truncation,
sliders, digit, keyframes, morph) and makes undo exact by construction.

One user action is one step. A drag is one action: commands with the same merge key fold
into the open one (`mergeWith`) while the gesture lasts. A gesture ends when the slider is
released or a value typed (`end_gesture`), when another command is recorded, and when
the user undoes or redoes; a command that is not the newest on the stack is never open,
so nothing can fold into an older state. Edits without a key (a click, a typed number in
a spin box) are always steps of their own.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..core.studio import Snapshot, Studio

_MERGEABLE = 1  # QUndoCommand.id(): commands with equal ids are offered to mergeWith


class SnapshotCommand(QUndoCommand):
    def __init__(self, studio: Studio, before: Snapshot, after: Snapshot, text: str,
                 merge_key: str | None):
        super().__init__(text)
        self.studio, self.before, self.after = studio, before, after
        self.merge_key = merge_key
        self.open = merge_key is not None
        self._done = True  # pushed after the edit was made: the first redo has nothing to do

    def id(self) -> int:  # noqa: A003 - Qt's name
        return _MERGEABLE if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt override
        if not (self.open and isinstance(other, SnapshotCommand)
                and other.merge_key == self.merge_key):
            self.open = False
            return False
        self.after = other.after
        return True

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self.open = False  # a redone step is finished: later edits are steps of their own
        self.studio.restore(self.after)

    def undo(self) -> None:
        self.open = False
        self.studio.restore(self.before)


class History(QObject):
    """Runs edits and records them; `stack` is the QUndoStack behind Edit → Undo/Redo."""

    def __init__(self, studio: Studio, parent: QObject | None = None):
        super().__init__(parent)
        self.studio = studio
        self.stack = QUndoStack(self)

    def record(self, text: str, action: Callable[[], object], merge_key: str | None = None):
        """Run `action` (a change of the studio) and push it as one undoable step; returns
        what `action` returned. Changes that change nothing leave no step. With a
        `merge_key`, the step folds into the open one of the same key (one drag)."""
        if not self.studio.ready:
            return action()
        before = self.studio.snapshot()
        result = action()
        after = self.studio.snapshot()
        if not before.same_as(after):
            top = self._top()
            if top is not None and (merge_key is None or top.merge_key != merge_key):
                top.open = False  # another action: the open gesture is over
            self.stack.push(SnapshotCommand(self.studio, before, after, text, merge_key))
        return result

    def _top(self) -> SnapshotCommand | None:
        """The command an undo would revert next."""
        index = self.stack.index() - 1
        command = self.stack.command(index) if index >= 0 else None
        return command if isinstance(command, SnapshotCommand) else None

    def end_gesture(self) -> None:
        """The drag (or typed value) is over: the next edit is a step of its own."""
        top = self._top()
        if top is not None:
            top.open = False

    def clear(self) -> None:
        self.stack.clear()
