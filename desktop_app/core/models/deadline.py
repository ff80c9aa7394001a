"""Every model call has an end: ONNX Runtime runs with a deadline.

    outputs = deadline.run(session, ["image"], feeds, seconds=2.0)

A model can loop (a `Loop` of 10**15 steps is 25 KB) and ONNX Runtime has no timeout of
its own; what it has is `RunOptions.terminate`, a flag it reads between nodes and between
loop iterations. One watchdog thread per process keeps the deadlines of the calls in
flight and sets that flag when one passes; the call then raises `Timeout`. The thread
sleeps until the earliest deadline, so a frame costs it a dictionary insert and delete,
never a wake-up (it is told only when a new deadline is earlier than the one it sleeps to).

What the flag cannot stop is a single node that runs long (one huge convolution): the
load-time trial (probe.py) runs in a child process that is killed instead, so a model that
reaches the app has shown it answers every batch size the app uses within budget.
"""

from __future__ import annotations

import math
import threading
import time

import onnxruntime as ort

_QUIET = 4  # ORT's "fatal only": our own terminate is not an error worth a log line


class Timeout(RuntimeError):
    """A call ran past its deadline and was stopped; `seconds` is the deadline it had."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(f"it did not finish within {seconds:g} s")


class _Call:
    __slots__ = ("deadline", "options", "fired")

    def __init__(self, deadline: float, options: ort.RunOptions):
        self.deadline, self.options, self.fired = deadline, options, False


class _Watchdog:
    def __init__(self):
        self._cond = threading.Condition()
        self._calls: set[_Call] = set()
        self._sleeping_until = math.inf
        self._thread: threading.Thread | None = None

    def add(self, call: _Call) -> None:
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="model-deadlines",
                                                daemon=True)
                self._thread.start()
            self._calls.add(call)
            if call.deadline < self._sleeping_until:
                self._cond.notify()

    def remove(self, call: _Call) -> None:
        with self._cond:
            self._calls.discard(call)

    def _watch(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for call in self._calls:
                    if not call.fired and call.deadline <= now:
                        call.fired = True
                        call.options.terminate = True
                pending = [c.deadline for c in self._calls if not c.fired]
                self._sleeping_until = min(pending, default=math.inf)
                self._cond.wait(None if not pending else self._sleeping_until - now)


_WATCHDOG = _Watchdog()


def run(session, outputs: list[str], feeds: dict, seconds: float) -> list:
    """`session.run(outputs, feeds)`, stopped after `seconds` (raises `Timeout`)."""
    options = ort.RunOptions()
    options.log_severity_level = _QUIET
    call = _Call(time.monotonic() + seconds, options)
    _WATCHDOG.add(call)
    try:
        return session.run(outputs, feeds, options)
    except Exception:
        if call.fired:
            raise Timeout(seconds) from None
        raise
    finally:
        _WATCHDOG.remove(call)
