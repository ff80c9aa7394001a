"""Atomic file writes: a temporary file in the target folder, fsync, then `os.replace`.

A reader (or the user) sees either the old file or the complete new one, never a partial
file, even if the app is killed mid-write; on any error the temporary file is removed.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import BinaryIO, Callable


class OutputError(OSError):
    """A file could not be written; `str()` is one sentence naming the file and why."""


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _name_max(folder: Path) -> int:
    """The longest file name (bytes) the folder's file system takes; 255 where unknown."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (AttributeError, OSError, ValueError):  # Windows has no pathconf
        return 255


def write_atomic(path: str | Path, write: Callable[[BinaryIO], None]) -> Path:
    """Call `write(fileobj)` on a temporary file beside `path`, then move it into place.

    Raises `OutputError` when the folder is missing or not writable, or writing fails; the
    exception raised by `write` itself propagates after the clean-up.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    size, limit = len(os.fsencode(path.name)), _name_max(folder)
    if size > limit:
        raise OutputError(f"Cannot write {path.name[:40]}…: the name is longer than this "
                          f"folder allows ({size} bytes, at most {limit}).")
    try:
        if path.is_symlink():
            path = Path(os.path.realpath(path))  # update the file the link points to
            folder = path.parent
        if not folder.is_dir():
            why = "is not a folder" if folder.exists() else "does not exist"
            raise OutputError(f"Cannot write {path.name}: {folder} {why}.")
        if path.is_dir():
            raise OutputError(f"Cannot write {path}: a folder of that name is in the way.")
        if path.exists() and not path.is_file():
            raise OutputError(f"Cannot write {path}: something that is not a file is in the way.")
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(f"Cannot write {path.name}: {_reason(exc)}.") from None
    # The temporary name keeps only the start of the file's name, so a name near the
    # length limit still leaves room for the prefix and the random part. It is chosen
    # before the file exists and the file is made inside the `try`, so an interrupt at any
    # point (Ctrl-C in the terminal that started the app) never leaves it behind.
    tmp = folder / f".{path.name[:32]}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o600)
        except OSError as exc:
            raise OutputError(f"Cannot write {path.name}: the folder {folder} is not writable "
                              f"({_reason(exc)}).") from None
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        # The file is made private (0600); an exported image should be readable like any
        # other file the user saves.
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OutputError:  # the temporary file could not be made: nothing to remove
        raise
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"Cannot write {path.name} in {folder}: {_reason(exc)}.") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """`write_atomic` for bytes already in memory."""
    return write_atomic(path, lambda handle: handle.write(data))
