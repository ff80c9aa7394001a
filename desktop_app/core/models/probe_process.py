"""The load-time trial (probe.py) in a child process, so that no model can hang or sink the app.

    probe_process.prepare()              # at start-up: the child imports while the app does
    probe_process.verdict(data, info)    # True: passed there; False: no child, try in-process;
                                         # else raises ContractError in one sentence

In the app's own process a model could hold a core forever in one node (ONNX Runtime's
terminate flag is read only between nodes), allocate gigabytes, or crash ONNX Runtime. In
a child it can do none of that to the app: the child's address space is capped
(`RLIMIT_AS`, a few GiB above what it needs), the peak memory of each call is measured
(`VmHWM`, reset before each call through `/proc/self/clear_refs`), and the app waits for
its answer only until a deadline, then kills it. Ctrl-C during the wait kills it too.

One child serves every trial (its start-up, mostly importing ONNX Runtime, is the cost:
about 0.2 s, hidden by `prepare`) and exits after IDLE_S without work, after a refusal,
or with the app. A
verdict is kept per model content (sha256), so a model that is opened again, or a
refusal seen again, costs nothing. Where no child can be started (a frozen bundle, a
platform without these calls), the trial runs in-process, time-bounded only.

The child's side is probe_child.py.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import selectors
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from pathlib import Path

from .contract import ContractError, ModelInfo

START_S = 30.0  # the child's start-up (importing ONNX Runtime), on a busy machine
# One trial: a session for a model of up to 64 MiB, then every case. The slowest model
# within budget needs about 5 s for its cases (three attempts at each budget); a single
# node that never ends holds the window this long, then the model is refused.
TRIAL_S = 20.0
IDLE_S = 30.0
_CACHE = 64
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[__name__.count(".")])  # the folder holding desktop_app


def _request(info: ModelInfo, size: int) -> dict:
    return {"kind": info.kind, "name": info.path.name, "latent_dim": info.latent_dim,
            "num_classes": info.num_classes, "clusters": info.clusters, "bytes": size}


class _Child:
    """One running trial process; every wait on it has a deadline."""

    def __init__(self):
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        # sys.path[0] is this package's root, not the working folder: a numpy.py or
        # onnxruntime/ in the folder the app was started from is never imported there.
        code = (f"import sys; sys.path[0] = {_PACKAGE_ROOT!r}; "
                f"from desktop_app.core.models.probe_child import serve; serve()")
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env)
        self._buffer = b""
        self.ready = False

    def exchange(self, payload: bytes, seconds: float) -> dict | None:
        """Write `payload`, read one JSON line; None when the deadline passes or the child
        dies (it is then killed)."""
        deadline = time.monotonic() + seconds
        out, inp = self.proc.stdout.fileno(), self.proc.stdin.fileno()
        os.set_blocking(inp, False)
        with selectors.DefaultSelector() as sel:
            sel.register(out, selectors.EVENT_READ)
            if payload:
                sel.register(inp, selectors.EVENT_WRITE)
            view, sent = memoryview(payload), 0
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                for key, _ in sel.select(left):
                    if key.fd == inp:
                        try:
                            sent += os.write(inp, view[sent:sent + (1 << 20)])
                        except (BrokenPipeError, BlockingIOError):
                            pass
                        if sent >= len(payload) or self.proc.poll() is not None:
                            sel.unregister(inp)
                    else:
                        chunk = os.read(out, 65536)
                        if not chunk:
                            return None
                        self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            answer = json.loads(line)
        except ValueError:
            return None
        return answer if isinstance(answer, dict) else None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:  # a zombie the kernel will reap; not ours to wait for
            pass

    def died_how(self) -> str:
        code = self.proc.poll()
        if code is not None and code < 0:
            return f" (it crashed ONNX Runtime: signal {-code})"
        return ""


class _Server:
    def __init__(self):
        self._lock = threading.Lock()
        self._child: _Child | None = None
        self._idle: threading.Timer | None = None
        self.verdicts: OrderedDict[tuple, str | None] = OrderedDict()
        self.reports: OrderedDict[tuple, dict] = OrderedDict()  # times and MB of a pass
        self.broken = not _child_possible()

    def verdict(self, data: bytes, info: ModelInfo) -> str | None | bool:
        """The rule the model breaks, None if it passes, or False: no child could answer."""
        key = _key(data, info)
        with self._lock:
            if key in self.verdicts:
                self.verdicts.move_to_end(key)
                return self.verdicts[key]
            if self.broken:
                return False
            if self._idle is not None:
                self._idle.cancel()
            try:
                rule = self._ask(data, info)
            except BaseException:  # Ctrl-C while waiting: the child goes too
                self._stop()
                raise
            if rule is False:
                return False
            self.verdicts[key] = rule
            for kept in (self.verdicts, self.reports):
                if len(kept) > _CACHE:
                    kept.popitem(last=False)
            if rule is not None:
                self._stop()  # a hostile model may have left it big or stuck
            elif self._child is not None:
                self._idle_timer()
            return rule

    def prepare(self) -> None:
        """Start the child now, so that its start-up overlaps the caller's."""
        with self._lock:
            if not self.broken and self._start():
                self._idle_timer()

    def _start(self) -> bool:
        if self._child is not None and self._child.proc.poll() is None:
            return True
        self._stop()
        try:
            self._child = _Child()
        except OSError:
            self.broken = True
            return False
        return True

    def _idle_timer(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self._idle = threading.Timer(IDLE_S, self.close)
        self._idle.daemon = True
        self._idle.start()

    def _ask(self, data: bytes, info: ModelInfo) -> str | None | bool:
        if not self._start():
            return False
        if not self._child.ready:
            hello = self._child.exchange(b"", START_S)
            if not hello or not hello.get("ready"):
                self._stop()
                self.broken = True  # the machinery failed, not the model: trial in-process
                return False
            self._child.ready = True
        header = json.dumps(_request(info, len(data))).encode() + b"\n"
        answer = self._child.exchange(header + data, TRIAL_S)
        if answer is None:
            how = self._child.died_how()
            self._stop()
            if how:
                return f"its probe run ended the probe process{how}"
            return f"its probe run did not finish within {TRIAL_S:g} s"
        rule = answer.get("rule")
        if isinstance(rule, str):
            return rule
        if isinstance(answer.get("report"), dict):
            self.reports[_key(data, info)] = answer["report"]
        return None

    def _stop(self) -> None:
        if self._child is not None:
            self._child.close()
            self._child = None

    def close(self) -> None:
        with self._lock:
            self._stop()


def _key(data: bytes, info: ModelInfo) -> tuple:
    return (hashlib.sha256(data).hexdigest(), info.kind, info.latent_dim, info.num_classes,
            info.clusters)


def _child_possible() -> bool:
    return (os.name == "posix" and not getattr(sys, "frozen", False) and bool(sys.executable)
            and hasattr(os, "set_blocking"))


_SERVER = _Server()
atexit.register(_SERVER.close)


def prepare() -> None:
    """Start the trial process in the background (an app calls this first thing, so
    that importing ONNX Runtime there overlaps building its window)."""
    _SERVER.prepare()


def verdict(data: bytes, info: ModelInfo) -> bool:
    """Try the model in the child. Raises `ContractError` with the broken rule; True if
    it passed, False if no child could try it (the caller then tries it in-process)."""
    rule = _SERVER.verdict(data, info)
    if rule is False:
        return False
    if rule is not None:
        raise ContractError(info.path, rule)
    return True


def report(data: bytes, info: ModelInfo) -> dict | None:
    """What the child measured when the model passed: {case: best seconds, case + " MB":
    peak MB above the trial's start}; None if it has not passed a trial in a child."""
    return _SERVER.reports.get(_key(data, info))
