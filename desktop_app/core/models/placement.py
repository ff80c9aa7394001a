"""Where a frame's two halves and background work run: a seam, and by default nothing.

A grid frame runs as two single-threaded halves side by side (`Generator._run_split`), and
background work (directions, digit search) runs on threads of its own. Which CPUs these
threads may use is process-level tuning: it depends on the machine, not on the model, so
the core makes no such system call. It asks the installed `Placement` instead:

* `split()` around a split frame, on the calling thread; it yields a token for the helper;
* `helper(token)` on the helper thread, before its half;
* `background()` once on each background thread, as it starts.

The default, `NoPlacement`, does nothing. The app installs another, when asked to, with
`install` (desktop_app/pinning.py, opt-in: `DIGIT_STUDIO_PIN_CPUS=1`), once, at start-up.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import ContextManager, Iterator, Protocol


class Placement(Protocol):
    def split(self) -> ContextManager[object]: ...
    def helper(self, token: object) -> None: ...
    def background(self) -> None: ...


class NoPlacement:
    """Threads run wherever the operating system puts them."""

    @contextmanager
    def split(self) -> Iterator[None]:
        yield None

    def helper(self, token: object) -> None:
        pass

    def background(self) -> None:
        pass


_installed: Placement = NoPlacement()


def current() -> Placement:
    """The placement in force (a `NoPlacement` unless the app installed another)."""
    return _installed


def install(placement: Placement | None) -> Placement:
    """Use `placement` from now on (None: none); returns the one it replaces."""
    global _installed
    previous, _installed = _installed, placement if placement is not None else NoPlacement()
    return previous
