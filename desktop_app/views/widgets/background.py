"""`BackgroundJobs`: one low-priority thread, the latest job wins, shutdown waits;
`BackgroundWorker`: the QObject base of the workers that own one.

Shared by the workers that run long ONNX Runtime loops off the GUI thread (principal
directions, finding a digit's latent). Each `submit` takes a new token; a job compares
its token with `current` to know it went stale and should stop, and its results are
dropped by the receiver. `shutdown` waits for the running job: a thread still inside
ONNX Runtime when the interpreter exits aborts the process ("terminate called without an
active exception", exit code 134).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Callable

from PySide6.QtCore import QObject

from ...core.models import placement

BACKGROUND_NICENESS = 10  # below the UI thread's priority, above idle


def lower_priority() -> None:
    """Make the calling thread yield to the UI thread (Linux: per-thread niceness;
    elsewhere a no-op, which only costs smoothness while background work runs), and keep
    to the CPUs the installed placement gives background work (core/models/placement.py: none,
    unless the app was asked to pin)."""
    if hasattr(os, "setpriority") and hasattr(threading, "get_native_id"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)
        except OSError:
            pass
    placement.current().background()


class BackgroundJobs:
    def __init__(self, name: str):
        self.current = 0  # the token of the latest job; older tokens are stale
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name,
                                            initializer=lower_priority)
        self._futures: list[Future] = []

    def submit(self, job: Callable[[int], None]) -> int:
        """Run `job(token)` on the background thread after any earlier job; returns the token."""
        self.current += 1
        token = self.current
        self._futures = [f for f in self._futures if not f.done()]
        self._futures.append(self._executor.submit(job, token))
        return token

    def stale(self, token: int) -> bool:
        return token != self.current

    @property
    def running(self) -> bool:
        return any(not f.done() for f in self._futures)

    def cancel(self) -> None:
        self.current += 1

    def shutdown(self, timeout_s: float = 5.0) -> None:
        """Cancel, and wait (at most `timeout_s`) until no job is running."""
        self.cancel()
        wait(self._futures, timeout=timeout_s)
        self._futures = [f for f in self._futures if not f.done()]


class BackgroundWorker(QObject):
    """A GUI-side worker that owns one `BackgroundJobs` (`self._jobs`) under `name`.

    Subclasses add `start` and their signals; running, cancelling and shutting down are
    the same for all of them.
    """

    def __init__(self, name: str, parent: QObject | None = None):
        super().__init__(parent)
        self._jobs = BackgroundJobs(name)

    @property
    def running(self) -> bool:
        return self._jobs.running

    def submit_job(self, job: Callable[[int], None]) -> int:
        """Run `job(token)` on this worker's thread (the benchmark's load, for one)."""
        return self._jobs.submit(job)

    def cancel(self) -> None:
        self._jobs.cancel()

    def shutdown(self, timeout_s: float = 5.0) -> None:
        """Cancel, and wait (at most `timeout_s`) until no job is running."""
        self._jobs.shutdown(timeout_s)
