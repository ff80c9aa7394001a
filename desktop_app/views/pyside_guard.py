"""A guard against a reference-count bug of PySide6 6.12 on Python 3.11.

On Python < 3.12, PySide6 6.12.0 drops one reference to `None` (and sometimes `True` or
`False`) on every signal emission: measured -1000 refs of None per 1000 `valueChanged`
emissions, against 0 for PySide6 6.11.3. After a few thousand slider moves the count
reaches zero and the interpreter aborts ("Fatal Python error: none_dealloc"). Python 3.12
made these objects immortal, which is why the bug does not show there.

The real fix is a PySide6 that does not have the bug (6.11 or a fixed 6.12.x; see
pyproject.toml). Until every install has one, this gives the three singletons a reference
count so large (2**40) that no session can drain it: the same thing Python 3.12's
immortality does. It runs once, only on an affected PySide6 and Python.
"""

from __future__ import annotations

import ctypes
import sys

import PySide6

_applied = False


def affected() -> bool:
    return sys.version_info < (3, 12) and tuple(PySide6.__version_info__[:2]) == (6, 12)


def apply() -> bool:
    """Top up the singletons' reference counts if this PySide6 leaks them; True if applied."""
    global _applied
    if _applied or not affected() or sys.implementation.name != "cpython":
        return _applied
    for obj in (None, True, False):
        # ob_refcnt is the first field of every CPython object header.
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40
    _applied = True
    return True
