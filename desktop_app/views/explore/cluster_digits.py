"""`ClusterDigitsController`: finds, off the GUI thread, which digit each cluster of a
label-free model mostly draws (core/explore/cluster_digits.py), and shows it on the cluster buttons.

It runs once per model (and again when the classifier changes), on its own low-priority
background thread; a newer model makes an older computation stop at its next cluster and
its result is dropped (`Studio.offer_cluster_digits` refuses a result for another model).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from ...core.events import Change
from ...core.explore.cluster_digits import Cancelled, cluster_digits
from ...core.models.messages import first_line
from ...core.studio import Studio
from ..widgets.background import BackgroundWorker
from .digit_chooser import DigitChooserWidget


class _Bridge(QObject):
    """Carries a result from the worker thread into the GUI thread (queued connection)."""

    done = Signal(int, int, object)  # job token, studio serial, digits or an exception


class ClusterDigitsWorker(BackgroundWorker):
    """`ready(serial, digits)` or `failed(sentence)` for the latest `start`."""

    ready = Signal(int, object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__("cluster-digits", parent)
        self._bridge = _Bridge()  # no parent: the worker thread may outlive the window
        self._bridge.done.connect(self._on_done)

    def start(self, serial: int, generator, classifier) -> None:
        bridge, jobs = self._bridge, self._jobs

        def work(token: int) -> None:
            try:
                result = cluster_digits(generator, classifier,
                                        should_stop=lambda: jobs.stale(token))
            except Cancelled:
                return
            except Exception as exc:  # noqa: BLE001 - said in the status bar, not lost
                result = exc
            try:
                bridge.done.emit(token, serial, result)
            except RuntimeError:  # the receiver is gone
                pass

        jobs.submit(work)

    def _on_done(self, token: int, serial: int, result: object) -> None:
        if self._jobs.stale(token):
            return
        if isinstance(result, Exception):
            self.failed.emit(first_line(result))
        else:
            self.ready.emit(serial, result)


class ClusterDigitsController(QObject):
    """Starts the worker when a cluster model and a classifier are loaded; the chooser
    shows the studio's `cluster_digits` whenever they change."""

    def __init__(self, studio: Studio, chooser: DigitChooserWidget, status,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.studio, self.chooser, self.status = studio, chooser, status
        self.worker = ClusterDigitsWorker(self)
        self.worker.ready.connect(self.studio.offer_cluster_digits)
        self.worker.failed.connect(self._on_failed)
        # A model load changes the generator, then the classifier: one start for both.
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._start)
        studio.subscribe(self._on_studio_changed)

    def _on_studio_changed(self, reason: Change) -> None:
        if reason in (Change.GENERATOR, Change.CLASSIFIER):
            self.worker.cancel()
            self._timer.start()
        if reason in (Change.GENERATOR, Change.CLASSIFIER, Change.CLUSTER_DIGITS):
            self.chooser.set_hints(self.studio.cluster_digits)

    def _start(self) -> None:
        wanted = self.studio.cluster_digits_wanted()
        if wanted is not None:
            self.worker.start(*wanted)

    def _on_failed(self, text: str) -> None:
        self.status(f"Could not tell which digit each cluster draws: {text}")

    def shutdown(self) -> None:
        self._timer.stop()
        self.worker.shutdown()
