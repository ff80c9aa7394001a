"""`TrainingRunner`: runs `python -m training ...` steps one after another in a QProcess.

One child at a time: a training run, or the export → evaluate chain after it. Output
(stdout and stderr merged) arrives as `output(text)`. `stop()` sends SIGINT, which the
training CLI turns into "checkpoint the last complete epoch and exit 130" — QProcess's
terminate() would send SIGTERM, which Python does not catch, and the run would die
without a word. If the child does not exit within `STOP_GRACE_MS`, it is killed.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from ...core.train.jobs import CHECKOUT_ROOT, in_checkout

STOP_GRACE_MS = 120_000  # a slow epoch's steps finish before Python sees the signal


@contextmanager
def _sigint_reaches_children():
    """A child inherits an *ignored* SIGINT (an app started with `nohup` or `&` in a
    script), and Python then never raises KeyboardInterrupt: Stop would do nothing.
    A handled signal is reset to its default on exec, so hand SIGINT a handler while the
    child is spawned."""
    ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


class TrainingRunner(QObject):
    """Run steps `[(label, args)]` (args after `python`) in order; stop at the first failure.

    Signals: `stepStarted(label)`, `output(text)`, `stepFinished(label, exit_code)`
    (-1 when the child crashed or could not start) and `finished(ok)` after the last step.
    """

    stepStarted = Signal(str)
    output = Signal(str)
    stepFinished = Signal(str, int)
    finished = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._steps: list[tuple[str, list[str]]] = []
        self._label = ""
        self.stopping = False
        self._process: QProcess | None = None
        self._kill_timer = QTimer(self, singleShot=True, interval=STOP_GRACE_MS)
        self._kill_timer.timeout.connect(self._kill)

    @property
    def running(self) -> bool:
        return self._process is not None

    def start(self, steps: list[tuple[str, list[str]]]) -> None:
        if self.running:
            raise RuntimeError("a training command is already running")
        self._steps = list(steps)
        self.stopping = False
        self._next()

    def _next(self) -> None:
        label, args = self._steps.pop(0)
        self._label = label
        proc = QProcess(self)
        proc.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")  # lines as they are printed, not per 8 KiB
        env.insert("TF_CPP_MIN_LOG_LEVEL", env.value("TF_CPP_MIN_LOG_LEVEL", "2"))
        proc.setProcessEnvironment(env)
        # From a checkout, `-m training` finds the package beside the app even uninstalled.
        proc.setWorkingDirectory(str(CHECKOUT_ROOT if in_checkout() else Path.cwd()))
        proc.readyReadStandardOutput.connect(self._on_ready_read)
        proc.finished.connect(self._on_finished)
        proc.errorOccurred.connect(self._on_error)
        self._process = proc
        self.stepStarted.emit(label)
        self.output.emit("$ python " + " ".join(args) + "\n")
        with _sigint_reaches_children():
            proc.start(sys.executable, args)

    def _on_ready_read(self) -> None:
        if self._process is not None:
            data = bytes(self._process.readAllStandardOutput())
            self.output.emit(data.decode("utf-8", errors="replace"))

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and self._process is not None:
            self.output.emit(f"could not start {sys.executable}: {self._process.errorString()}\n")
            self._done(-1)

    def _on_finished(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        self._on_ready_read()
        crashed = status == QProcess.ExitStatus.CrashExit
        self._done(-1 if crashed else exit_code)

    def _done(self, code: int) -> None:
        self._kill_timer.stop()
        proc, self._process = self._process, None
        if proc is not None:
            proc.deleteLater()
        self.stepFinished.emit(self._label, code)
        if code == 0 and self._steps and not self.stopping:
            self._next()
        else:
            self._steps = []
            self.finished.emit(code == 0)

    def pid(self) -> int | None:
        return int(self._process.processId()) or None if self._process is not None else None

    def stop(self) -> None:
        """Ask the child to checkpoint and exit (SIGINT); kill it if it does not."""
        pid = self.pid()
        if pid is None:
            return
        self.stopping = True
        try:
            os.kill(pid, signal.SIGINT)
        except ProcessLookupError:  # it has just exited; finished() follows
            return
        self._kill_timer.start()

    def _kill(self) -> None:
        if self._process is not None:
            self.output.emit("The child did not stop in time; killing it.\n")
            self._process.kill()

    def shutdown(self, wait_ms: int = 30_000) -> None:
        """At exit: stop the child cleanly (it keeps its last checkpoint), then wait for it."""
        proc = self._process
        if proc is None:
            return
        self.stop()
        if not proc.waitForFinished(wait_ms):
            proc.kill()
            proc.waitForFinished(5000)
