"""TensorFlow's start-up banners, kept off a user's terminal.

TensorFlow and absl write straight to file descriptor 2 from C++, before Python's logging
or TF_CPP_MIN_LOG_LEVEL can be asked (absl's "All log messages before
absl::InitializeLog()", "Could not find cuda drivers", the CPU-feature and oneDNN notes,
"remapper failed" on every cdcgan graph, which TensorFlow then runs unfused). None of them
is something a user can act on. `filtered_stderr()` routes descriptor 2 through a thread
that drops exactly those lines and passes every other byte on, in order.
TF_CPP_MIN_LOG_LEVEL=0 turns the filter off, for whoever debugs TensorFlow itself.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading

NOISE = re.compile(
    rb"All log messages before absl::InitializeLog\(\)"
    rb"|cudart_stub\.cc:\d+\] Could not find cuda drivers"
    rb"|cpu_feature_guard\.cc"
    rb"|To enable the following instructions: .*rebuild TensorFlow"
    rb"|oneDNN custom operations are on"
    rb"|meta_optimizer\.cc:\d+\] remapper failed"
    rb"|Unable to register cu(DNN|FFT|BLAS) factory"
    rb"|computation placer already registered"
    rb"|TF-TRT Warning: Could not find TensorRT")


_terminal: int | None = None  # the real descriptor 2 while the filter runs


def real_stderr() -> int | None:
    """The real stderr's descriptor while the filter runs (else None): for a child process
    that must still be heard after this one is killed (the multi-worker watchdog)."""
    return _terminal


@contextlib.contextmanager
def filtered_stderr():
    """Descriptor 2 through a filter for the block's life; a no-op where the user asked for
    TensorFlow's log (TF_CPP_MIN_LOG_LEVEL=0) or descriptor 2 cannot be redirected."""
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL", "") == "0":
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 2)
        os.close(write_end)
    except OSError:
        yield
        return

    def pump() -> None:
        with os.fdopen(read_end, "rb", buffering=0) as source:
            pending = b""
            while chunk := source.read(65536):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                kept = b"".join(line + b"\n" for line in lines if not NOISE.search(line))
                if kept:
                    os.write(saved, kept)
            if pending and not NOISE.search(pending):
                os.write(saved, pending)

    global _terminal
    thread = threading.Thread(target=pump, name="stderr-filter", daemon=True)
    thread.start()
    _terminal = saved
    try:
        yield
    finally:
        _terminal = None
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last write end: the pump drains and ends
        thread.join(timeout=5)
        os.close(saved)
