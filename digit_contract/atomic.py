"""Atomic file writes that touch only what the program owns.

`write_atomic(path, write)` writes a temporary file beside `path`, fsyncs it and renames it
into place: a reader (or the user) sees the old file or the complete new one, never part of
one, even if the process is killed mid-write.

The rules it keeps (README, "What it refuses"):
- it writes regular files only: a symlink, a device, a FIFO or a folder at `path` is
  refused, never written through or replaced;
- an existing regular file is replaced only when the caller says it may be (`replace`):
  a file the user picked in a Save dialog that asked to overwrite, or a file the program
  can recognise as its own;
- temporary files carry the marker `~digit-studio~PID~HEX.tmp`, which no user file
  plausibly has, and `remove_stale_temp_files` deletes only names that match it exactly.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from pathlib import Path
from typing import BinaryIO, Callable

TEMP_MARKER = "~digit-studio~"
# ".NAME.~digit-studio~PID~HEX.tmp" with NAME at most 32 characters (see `temp_path`).
_TEMP_NAME = re.compile(r"\.(?P<target>.{1,32})\.~digit-studio~(?P<pid>\d{1,10})~[0-9a-f]{8}\.tmp", re.DOTALL)

#: `replace` values: always replace an existing regular file / never replace one.
ANY = True
NEVER = False


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


def temp_path(path: Path) -> Path:
    """A fresh temporary name beside `path`, carrying the marker.

    Only the start of the target's name is kept, so a name near the length limit still
    leaves room for the marker and the random part.
    """
    return path.with_name(f".{path.name[:32]}.{TEMP_MARKER}{os.getpid()}~{secrets.token_hex(4)}.tmp")


def is_temp_file_name(name: str) -> bool:
    """True only for names `temp_path` makes."""
    return _TEMP_NAME.fullmatch(name) is not None


def process_alive(pid: int) -> bool:
    """True unless process `pid` is certainly gone (this process counts as alive; another
    user's process, or one we may not signal, too): what cleanup of a PID-named leftover asks."""
    if pid == os.getpid():
        return True  # this process may be writing it right now, on another thread
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True  # someone's process: not ours to judge
    return True


def remove_stale_temp_files(folder: str | Path, target: str | None = None) -> list[Path]:
    """Delete the temporary files that a killed writer left in `folder` (not below it).

    Only names that match the marker exactly are touched, only regular files, and only
    when the process that made them is gone: a user's `.draft.v2.tmp`, a link with our
    name and a write in progress are all left alone. `target`: only temporaries of that
    file name. Returns what was removed.
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.fullmatch(entry.name)
        if match is None or target is not None and match["target"] != target[:32]:
            continue
        try:
            if entry.is_file(follow_symlinks=False) and not process_alive(int(match["pid"])):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            pass  # gone already, or not ours to remove: either way nothing to do
    return removed


def describe(path: Path) -> str | None:
    """Why `path` cannot be written as a regular file, or None if it can (absent or regular)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return _reason(exc)
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "it is a link, and Digit Studio never writes through links"
    if stat.S_ISDIR(mode):
        return "a folder of that name is in the way"
    return "it is not a regular file (a device, FIFO or socket), and Digit Studio writes only regular files"


def write_atomic(path: str | Path, write: Callable[[BinaryIO], None], *,
                 replace: bool | Callable[[Path], bool] = ANY, mode: int = 0o644) -> Path:
    """Call `write(fileobj)` on a temporary file beside `path`, then rename it into place.

    replace : what to do with an existing regular file at `path`: ANY replaces it, NEVER
        refuses, a callable decides (True: it is ours to replace).
    mode : the permission bits of the written file (readable by all by default: exported
        models and images are shared files).

    Raises `OutputError` (one sentence) when the folder is missing or not writable, `path`
    is not a regular file, replacing is refused, or writing fails. The exception raised by
    `write` itself propagates; in every case the temporary file is removed.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    size, limit = len(os.fsencode(path.name)), _name_max(folder)
    if size > limit:
        raise OutputError(f"Cannot write {path.name[:40]}…: the name is longer than this "
                          f"folder allows ({size} bytes, at most {limit}).")
    if not folder.is_dir():
        why = "is not a folder" if folder.exists() else "does not exist"
        raise OutputError(f"Cannot write {path.name}: {folder} {why}.")
    why = describe(path)
    if why is not None:
        raise OutputError(f"Cannot write {path}: {why}.")
    if path.exists() and not (replace(path) if callable(replace) else replace):
        raise OutputError(f"Cannot write {path}: a file that Digit Studio did not make is "
                          "there, and it is left alone (choose another name).")
    # Named before the file exists and made inside the `try`: an interrupt at any point
    # (Ctrl-C in the terminal) never leaves it behind.
    tmp = temp_path(path)
    try:
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                         | getattr(os, "O_BINARY", 0), 0o600)
        except OSError as exc:
            raise OutputError(f"Cannot write {path.name}: the folder {folder} is not writable "
                              f"({_reason(exc)}).") from None
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        # Checked again just before the rename: something may have appeared meanwhile.
        why = describe(path)
        if why is not None:
            raise OutputError(f"Cannot write {path}: {why}.")
        os.replace(tmp, path)
    except OutputError:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"Cannot write {path.name} in {folder}: {_reason(exc)}.") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_bytes_atomic(path: str | Path, data: bytes, **kwargs) -> Path:
    """`write_atomic` for bytes already in memory (same keyword arguments)."""
    return write_atomic(path, lambda handle: handle.write(data), **kwargs)
