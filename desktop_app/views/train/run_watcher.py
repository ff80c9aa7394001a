"""`RunWatcher`: re-reads a training run folder when it changes, and says so when it differs.

QFileSystemWatcher reports new files in the folders and appends to metrics.jsonl (a file
appended to changes no folder, so the file is watched itself once it exists); the folders
and the file appear during the run, so the watch list is renewed after every read. A
timer re-reads every `POLL_MS` as a fallback (network drives, watchers out of inotify
slots). Bursts of events are coalesced into one read.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from digit_contract.run_folder import METRICS, SAMPLES

from ...core.train.run_folder import RunFolder, RunSnapshot

POLL_MS = 2000
COALESCE_MS = 100


class RunWatcher(QObject):
    """Watch one run folder; `runChanged(snapshot)` whenever its complete epochs change."""

    runChanged = Signal(object)

    def __init__(self, parent: QObject | None = None, poll_ms: int = POLL_MS):
        super().__init__(parent)
        self.folder: RunFolder | None = None
        self.snapshot = RunSnapshot()
        self.reads = 0  # reads so far: lets a test wait for a read after it wrote a file
        self._key = None
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_event)
        self._watcher.directoryChanged.connect(self._on_event)
        self._soon = QTimer(self, singleShot=True, interval=COALESCE_MS)
        self._soon.timeout.connect(self.read_now)
        self._poll = QTimer(self, interval=poll_ms)
        self._poll.timeout.connect(self.read_now)

    def watch(self, path: str | Path | None) -> None:
        """Watch `path` (None or '' stops watching) and read it at once."""
        old = self._watcher.files() + self._watcher.directories()
        if old:
            self._watcher.removePaths(old)
        self.folder = RunFolder(path) if path else None
        self._key = None
        if self.folder is None:
            self._poll.stop()
            self.snapshot = RunSnapshot()
            self.runChanged.emit(self.snapshot)
            return
        self._poll.start()
        self.read_now()

    def _on_event(self, _path: str) -> None:
        if not self._soon.isActive():
            self._soon.start()

    def read_now(self) -> None:
        if self.folder is None:
            return
        snapshot = self.folder.read()
        self.reads += 1
        self._rewatch()
        if snapshot.key() != self._key:
            self._key = snapshot.key()
            self.snapshot = snapshot
            self.runChanged.emit(snapshot)

    def _rewatch(self) -> None:
        root = self.folder.path
        wanted = [p for p in (root, root / SAMPLES) if p.is_dir()]
        wanted += [p for p in (root / METRICS,) if p.is_file()]
        watched = set(self._watcher.files() + self._watcher.directories())
        new = [str(p) for p in wanted if str(p) not in watched]
        if new:
            self._watcher.addPaths(new)
