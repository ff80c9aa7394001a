"""Keep NumPy's BLAS on one thread while the directions worker runs.

Why: on a busy two-core machine OpenBLAS's worker threads spin-wait for each other; the
PCA in directions.py took 2.4 s instead of 0.1 s when a training run shared the CPU
(measured: same code, OPENBLAS_NUM_THREADS=1 → 0.07 s). One BLAS thread also leaves the
other core to the UI thread, which is what an interactive app wants anyway.

NumPy has no API for this, so, like threadpoolctl, find the OpenBLAS that NumPy loaded
(Linux: /proc/self/maps) and call its `set_num_threads`. Anywhere that fails this is a
no-op: it only changes speed, never results.
"""

from __future__ import annotations

import ctypes
from contextlib import contextmanager
from typing import Iterator

_SUFFIXES = ("", "64_", "_64")
_PREFIXES = ("scipy_openblas", "openblas")
_cached: tuple | None = None


def _openblas_functions() -> tuple:
    """(get_num_threads, set_num_threads) of the loaded OpenBLAS, or (None, None)."""
    global _cached
    if _cached is not None:
        return _cached
    _cached = (None, None)
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()
                     and line.split()[-1].startswith("/")}
    except OSError:
        return _cached
    for path in sorted(paths):
        try:
            # Already mapped into the process: this returns the same library, loads nothing.
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in _PREFIXES:
            for suffix in _SUFFIXES:
                get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    get.restype = ctypes.c_int
                    put.argtypes = [ctypes.c_int]
                    _cached = (get, put)
                    return _cached
    return _cached


@contextmanager
def blas_threads(count: int) -> Iterator[None]:
    """Run the body with OpenBLAS limited to `count` threads, then restore the old count."""
    get, put = _openblas_functions()
    if get is None:
        yield
        return
    before = get()
    put(count)
    try:
        yield
    finally:
        put(before)
