"""One writer per folder: an advisory lock file held for the life of the writing process.

`FolderLock(folder)` takes `folder/.digit-studio.lock` with `fcntl.flock` (POSIX) or
`msvcrt.locking` (Windows), without waiting: a second writer is refused at once with one
sentence naming the folder and the process that holds it. The lock dies with its process,
so a killed run never leaves a folder locked. The lock file itself stays (deleting it would
let two processes hold locks on two different files of one name); it is empty but for the
holder's process id, and the run-folder checks count it as the program's own.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

LOCK_NAME = ".digit-studio.lock"


class LockedError(OSError):
    """Another process holds the lock; `str()` is one sentence."""


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class FolderLock:
    """An exclusive, non-blocking lock on `folder` (a context manager; `release()` is idempotent).

    what : how the refusal names the folder ("run folder", "settings file").
    """

    def __init__(self, folder: str | Path, what: str = "folder", name: str = LOCK_NAME):
        self.folder = Path(folder)
        self.path = self.folder / name
        self.what = what
        self._fd: int | None = None

    def acquire(self) -> "FolderLock":
        try:
            if not stat.S_ISREG(os.lstat(self.path).st_mode):
                raise LockedError(f"Cannot lock the {self.what} {self.folder}: {self.path.name} there is "
                                  "not a regular file (a link, FIFO or folder), and it is left alone.")
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise LockedError(f"Cannot lock the {self.what} {self.folder}: {exc.strerror or exc}.") from None
        # O_NONBLOCK: should a FIFO appear at the path after the check, opening it returns at once.
        flags = (os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
                 | getattr(os, "O_BINARY", 0))
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            raise LockedError(f"Cannot lock the {self.what} {self.folder}: "
                              f"{exc.strerror or exc}.") from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise LockedError(f"Cannot lock the {self.what} {self.folder}: {self.path.name} there is "
                                  "not a regular file, and it is left alone.")
            if not _try_lock(fd):
                holder = _read_pid(fd)
                os.close(fd)
                raise LockedError(in_use(self.folder, self.what, holder))
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
        except LockedError:
            raise
        except OSError as exc:
            os.close(fd)
            raise LockedError(f"Cannot lock the {self.what} {self.folder}: {exc.strerror or exc}.") from None
        self._fd = fd
        return self

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None

    def __enter__(self) -> "FolderLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def in_use(folder: str | Path, what: str, holder: str) -> str:
    """The one sentence that refuses a second writer (`holder`: a process id, or "")."""
    by = f" by process {holder}" if holder else ""
    return f"The {what} {folder} is in use{by}; wait for it to finish or choose another."


def _read_pid(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 16).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""


def held_by(folder: str | Path, name: str = LOCK_NAME) -> str | None:
    """Who holds `folder`'s lock: a process id ("" if unknown), or None when nobody does.

    Never creates the lock file: asking writes nothing in the folder.
    """
    try:
        fd = os.open(Path(folder) / name, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        if _try_lock(fd):
            return None  # closing below drops the lock just taken
        return _read_pid(fd)
    finally:
        os.close(fd)
