"""`ModelWatcher`: notices when a model file is re-exported, replaced, deleted or half written.

QFileSystemWatcher loses a file when it is replaced by rename (the usual atomic export),
so the folder is watched too and the file re-added. Events are debounced: a burst of
writes gives one check after things settle, and a file counts as changed only when its
(size, mtime, inode) differs from the last one reported, so a half-written file that fails
to load is retried when the writer finishes.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from digit_contract.reading import resolve_path

DEBOUNCE_MS = 300


def _signature(path: Path) -> tuple[int, int, int] | None:
    """None when nothing is there; a link that cannot be followed (a loop, a dangling
    target) is still *there*: it is reported as changed, and loading says what is wrong."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        try:
            st = os.lstat(path)
        except (OSError, ValueError):
            return None
    return st.st_size, st.st_mtime_ns, st.st_ino


class ModelWatcher(QObject):
    """Watch a set of files; `fileChanged(path)` / `fileRemoved(path)` after debouncing."""

    fileChanged = Signal(str)
    fileRemoved = Signal(str)

    def __init__(self, parent: QObject | None = None, debounce_ms: int = DEBOUNCE_MS):
        super().__init__(parent)
        self._watcher = QFileSystemWatcher(self)
        self._known: dict[Path, tuple | None] = {}
        self._timer = QTimer(self, singleShot=True, interval=debounce_ms)
        self._timer.timeout.connect(self._on_settled)
        self._watcher.fileChanged.connect(self._on_event)
        self._watcher.directoryChanged.connect(self._on_event)

    def set_files(self, paths: list[Path]) -> None:
        """Watch exactly these files (and their folders); forget the rest."""
        old = self._watcher.files() + self._watcher.directories()
        if old:
            self._watcher.removePaths(old)
        # resolve_path, not Path.resolve: a symlink loop must not raise at launch.
        self._known = {resolve_path(p): _signature(Path(p)) for p in paths if p}
        self._rewatch()

    def _rewatch(self) -> None:
        files = [str(p) for p in self._known if p.is_file()]
        dirs = sorted({str(p.parent) for p in self._known if p.parent.is_dir()})
        want = [p for p in files + dirs
                if p not in self._watcher.files() and p not in self._watcher.directories()]
        if want:
            self._watcher.addPaths(want)

    def _on_event(self, _path: str) -> None:
        self._timer.start()  # restart: only the last event of a burst counts

    def _on_settled(self) -> None:
        for path, old in list(self._known.items()):
            new = _signature(path)
            if new == old:
                continue
            self._known[path] = new
            if new is None:
                self.fileRemoved.emit(str(path))
            else:
                self.fileChanged.emit(str(path))
        self._rewatch()
