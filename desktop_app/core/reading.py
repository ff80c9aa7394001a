"""Reading a user-chosen file whole, with a size cap checked before any byte is read."""

from __future__ import annotations

from pathlib import Path
from typing import Callable


def read_capped(path: Path, max_bytes: int, error: Callable[[Path, str], Exception], too_big: str) -> bytes:
    """The bytes of `path`; `error(path, rule)` is raised when it is unreadable or larger
    than `max_bytes` (`too_big` is formatted with `mib`, the file's size in MiB)."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise error(path, too_big.format(mib=size >> 20))
        return path.read_bytes()
    except OSError as exc:
        raise error(path, f"it cannot be read ({exc.strerror or exc})") from None
