"""The one reading rule for every file the app opens: models, latent files, anything a user
points it at.

- Regular files only. A FIFO, a device (`/dev/zero`, `/dev/urandom`), a directory or a
  socket is refused from `os.stat`, before any `open`: opening a FIFO for reading blocks
  until a writer appears, and a device never ends.
- The size cap is checked while reading, never from `st_size` (which a device reports as
  0 and a growing file gets wrong): bytes are read in chunks and reading stops at cap + 1.
- Symlinks are followed by the kernel, which reports a loop as `ELOOP`; a loop is a
  one-sentence refusal, and `resolve_path` never raises (`Path.resolve` raises
  `RuntimeError` on a loop).
- Whatever goes wrong is `error(path, rule)`: one sentence for the user, never a traceback.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Callable

CHUNK_BYTES = 1 << 20


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "it is a symbolic link that loops back on itself"
    if exc.errno == errno.ENOENT:
        return "it does not exist (or is a broken symbolic link)"
    return f"it cannot be read ({exc.strerror or exc})"


def check_regular(path: Path, error: Callable[[Path, str], Exception]) -> os.stat_result:
    """`os.stat(path)` (symlinks followed) if `path` is a regular file; else `error`."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise error(path, _reason(exc)) from None
    except ValueError:  # an embedded NUL byte
        raise error(path, "its name is not a valid path") from None
    if not stat.S_ISREG(st.st_mode):
        raise error(path, f"it is {_kind(st.st_mode)}, not a regular file")
    return st


def read_capped(path: Path, max_bytes: int, error: Callable[[Path, str], Exception],
                too_big: str) -> bytes:
    """The bytes of the regular file `path`, at most `max_bytes` of them.

    `error(path, rule)` is raised when it is not a regular file, cannot be read, or holds
    more than `max_bytes` (`too_big` is the rule then; it may use `{mib}`, the cap in MiB).
    """
    path = Path(path)
    check_regular(path, error)
    try:
        # O_NONBLOCK: should the file be swapped for a FIFO after the stat, the open
        # still returns at once (and the fstat below refuses it).
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise error(path, _reason(exc)) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise error(path, f"it is {_kind(mode)}, not a regular file")
        chunks, total = [], 0
        while total <= max_bytes:
            chunk = os.read(fd, min(CHUNK_BYTES, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise error(path, _reason(exc)) from None
    finally:
        os.close(fd)
    if total > max_bytes:
        raise error(path, too_big.format(mib=max_bytes >> 20))
    return b"".join(chunks)


def resolve_path(path: str | Path) -> Path:
    """`path` made absolute with symlinks resolved where possible; never raises (a loop
    or an unreadable folder leaves the path absolute but unresolved)."""
    path = Path(path)
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return Path(os.path.abspath(path))
