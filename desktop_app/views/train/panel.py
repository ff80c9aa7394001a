"""`TrainingPanel`: watch, start, stop, resume and finish a training run from the app.

Opened from View → Training… and imported only then (main_window.show_training), so the
app's cold start does not pay for it. The app never imports TensorFlow or `training`: the
panel runs `python -m training train|export|evaluate` as child processes
(views/train/runner.py) and learns about a run from its folder (core/train/run_folder.py,
complete epochs only, re-read by views/train/run_watcher.py) and from the status lines the child
prints (digit_contract/status.py, read by core/training_jobs.TrainStatus): the epochs
planned, each checkpointed epoch (which reads the folder at once), how the run ended and
the command that resumes it. Progress and ETA come from those, not from the child's
progress bar or its sentences.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar, QSlider,
                               QSplitter, QVBoxLayout, QWidget)

from digit_contract.status import EpochDone, Started

from ...core.train.run_folder import RunSnapshot, eta_seconds, epoch_seconds, format_duration
from ...core.train.jobs import (TrainStatus, clean_log, default_export_path, evaluate_args, export_args,
                                  training_unavailable)
from ..widgets.boxes import group
from ..widgets.plain_text import plain_label
from .curves import PLOTS, TrainingCurvesWidget
from .form import TrainingFormWidget
from .run_watcher import POLL_MS, RunWatcher
from .runner import TrainingRunner

LOG_LINES = 400


class TrainingPanel(QWidget):
    """The Training window. `open_model(path) -> bool` loads a model into the explorer.

    Signals: `runEnded(exit_code)` after a training child exits, `modelReady(path)` after
    the export → evaluate chain loaded its model (`finishFailed(text)` otherwise).
    """

    runEnded = Signal(int)
    modelReady = Signal(str)
    finishFailed = Signal(str)

    def __init__(self, open_model: Callable[[Path], bool], parent: QWidget | None = None,
                 poll_ms: int = POLL_MS):
        super().__init__(parent)
        self.setWindowTitle("Training")
        self._open_model = open_model
        self.unavailable = training_unavailable()
        self.snapshot = RunSnapshot()
        self.target_epochs = 0
        self.exit_code: int | None = None
        self.hint = None
        self.status = TrainStatus()  # what the last train child said
        self._mode = ""  # "train" or "finish" while a child runs
        self._last_line = ""  # the log's newest line, for a failure no status line explains
        self._pending = ""
        self._model: Path | None = None
        self._exported = False
        self.form = TrainingFormWidget()
        self.install_label = plain_label(QLabel(self.unavailable or ""))
        self.install_label.setWordWrap(True)
        self.install_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.install_label.setVisible(self.unavailable is not None)
        self.status_label = plain_label(QLabel("Choose an output folder to watch, or start a run."))
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setFormat("epoch %v of %m")
        self.eta_label = QLabel("")
        self.curves = TrainingCurvesWidget()
        self.grid_label = QLabel("no sample grid yet")
        self.grid_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.grid_label.setMinimumSize(140, 140)
        self.scrubber = QSlider(Qt.Orientation.Horizontal)
        self.scrubber.setEnabled(False)
        self.grid_caption = QLabel("")
        self.grid_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.log = QPlainTextEdit(readOnly=True)
        self.log.setMaximumBlockCount(LOG_LINES)
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self._layout()
        self.watcher = RunWatcher(self, poll_ms)
        self.runner = TrainingRunner(self)
        self.watcher.runChanged.connect(self._on_run_changed)
        self.runner.output.connect(self._on_output)
        self.runner.stepFinished.connect(self._on_step_finished)
        self.runner.finished.connect(self._on_runner_finished)
        self.scrubber.valueChanged.connect(self._show_grid)
        f = self.form
        f.start_button.clicked.connect(self.start)
        f.stop_button.clicked.connect(self.stop)
        f.resume_button.clicked.connect(self.resume)
        f.finish_button.clicked.connect(self.finish)
        f.out_edit.editingFinished.connect(self._on_out_changed)
        f.epochs_box.valueChanged.connect(lambda _: self._show_progress())
        self._update_buttons()
        self._on_out_changed()
        self._show_progress()

    def _layout(self) -> None:
        top = QVBoxLayout()
        top.addWidget(self.install_label)
        top.addWidget(self.form)
        row = QHBoxLayout()
        row.addWidget(self.progress, 1)
        row.addWidget(self.eta_label)
        top.addLayout(row)
        top.addWidget(self.status_label)
        grid = QWidget()
        gv = QVBoxLayout(grid)
        gv.addWidget(self.grid_label, 1)
        gv.addWidget(self.scrubber)
        gv.addWidget(self.grid_caption)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(group("Curves", self.curves))
        split.addWidget(group("Sample grid", grid))
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        vsplit = QSplitter(Qt.Orientation.Vertical)
        vsplit.addWidget(split)
        vsplit.addWidget(group("Log", self.log))
        vsplit.setStretchFactor(0, 3)
        vsplit.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(vsplit, 1)
        self.resize(900, 760)

    # -- what the panel shows ------------------------------------------------------------
    def shown_epochs(self) -> list[int]:
        """The epochs on screen: those the curves draw (tests assert exactly these)."""
        return list(self.snapshot.epochs)

    def shown_grid_epoch(self) -> int | None:
        epochs = self.snapshot.grid_epochs
        return epochs[self.scrubber.value()] if epochs and self.scrubber.isEnabled() else None

    def _on_out_changed(self) -> None:
        out = self.form.out_folder()
        if self.watcher.folder is None or str(self.watcher.folder.path) != out:
            self.watcher.watch(out or None)
            if out and not self.runner.running:
                self._say(f"Watching {out}: {len(self.snapshot.epochs)} complete epochs.")

    def _on_run_changed(self, snapshot: RunSnapshot) -> None:
        self.snapshot = snapshot
        self.curves.set_series({key: snapshot.series(key) for _, lines, _ in PLOTS for key, _, _ in lines})
        epochs = snapshot.grid_epochs
        follow = self.scrubber.value() >= self.scrubber.maximum()  # at the end: keep following
        self.scrubber.blockSignals(True)
        self.scrubber.setEnabled(bool(epochs))
        self.scrubber.setRange(0, max(0, len(epochs) - 1))
        if follow:
            self.scrubber.setValue(self.scrubber.maximum())
        self.scrubber.blockSignals(False)
        self._show_grid()
        self._show_progress()
        self._update_eta()
        self._update_buttons()

    def _show_progress(self) -> None:
        """"epoch 3 of 30": of the run being trained, of the run watched, or else of the
        Epochs the form would train (never "of 1" for a run not started)."""
        snapshot = self.snapshot
        target = self.target_epochs if self._mode == "train" else snapshot.planned_epochs
        target = target or self.form.epochs_box.value()
        # While training, the child's word that an epoch is checkpointed may come before
        # the folder is read again.
        done = max(snapshot.last_epoch, self.status.checkpointed if self._mode == "train" else 0)
        self.progress.setRange(0, max(target, done, 1))
        self.progress.setValue(done)

    def _update_eta(self) -> None:
        per_epoch = epoch_seconds(self.snapshot)
        if self._mode != "train" or per_epoch is None:
            self.eta_label.setText("")
            return
        eta = eta_seconds(self.snapshot, self.target_epochs)
        self.eta_label.setText(f"ETA {format_duration(eta)} · {per_epoch:.1f} s/epoch")

    def _show_grid(self) -> None:
        epoch = self.shown_grid_epoch()
        if epoch is None:
            self.grid_label.setPixmap(QPixmap())
            self.grid_label.setText("no sample grid yet")
            self.grid_caption.setText("")
            return
        image = QImage.fromData(self.snapshot.grids[epoch])
        if image.isNull():  # a whole PNG Qt cannot decode: say so, keep watching
            self.grid_label.setText(f"epoch {epoch}: the grid cannot be decoded")
            return
        # Fit the label (the grids are saved already upscaled); never crop, never blur.
        side = max(64, min(self.grid_label.width(), self.grid_label.height()) - 4)
        self.grid_label.setPixmap(QPixmap.fromImage(image.scaled(
            side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)))
        self.grid_caption.setText(f"epoch {epoch} of {self.snapshot.last_epoch}")

    def _update_buttons(self) -> None:
        self.form.set_running(self.runner.running, self.unavailable is None,
                              self.snapshot.checkpointed)

    def _say(self, text: str) -> None:
        self.status_label.setText(text)

    # -- starting and stopping -----------------------------------------------------------
    def start(self) -> None:
        """Train a new run into the output folder."""
        if self.snapshot.checkpointed and self.watcher.folder is not None:
            self._say(f"{self.watcher.folder.path} already holds a run: Resume continues it, "
                      "or choose another output folder.")
            return
        self._launch(resume=False)

    def resume(self) -> None:
        """Continue the run in the output folder up to the form's epochs (`--resume`)."""
        self._launch(resume=True)

    def _launch(self, resume: bool) -> None:
        if self.unavailable is not None or self.runner.running:
            return
        request = self.form.request()
        if not request.out:
            self._say("Choose an output folder first.")
            return
        try:
            args = request.args(resume)
        except ValueError as exc:  # shlex: an open quote in More options
            self._say(f"More options: {exc}.")
            return
        self._on_out_changed()
        self.target_epochs, self.exit_code, self.hint = request.epochs, None, None
        self._mode, self._last_line, self.status = "train", "", TrainStatus()
        self.runner.start([("train", args)])
        self._say(("Resuming" if resume else "Training") + f" into {request.out}…")
        self._update_buttons()
        self.watcher.read_now()

    def stop(self) -> None:
        """SIGINT: training checkpoints its last complete epoch and exits."""
        if self.runner.running:
            self.runner.stop()
            self._say("Stopping: the last complete epoch stays checkpointed…")

    def shutdown(self) -> None:
        """The app is closing: stop a child cleanly rather than leave or kill it."""
        self.runner.shutdown()

    # -- the child's output and exit -----------------------------------------------------
    def _on_output(self, text: str) -> None:
        text = self._pending + text
        complete, sep, self._pending = text.rpartition("\n")
        for line in clean_log(complete + sep):
            status = self.status.read_line(line) if self._mode == "train" else None
            if status is None:  # status lines are for the panel, sentences for the log
                self.log.appendPlainText(line)
                self._last_line = line
            elif isinstance(status, Started):
                self.target_epochs = status.epochs  # the child's count: More options may say --epochs
                self._show_progress()
            elif isinstance(status, EpochDone):
                self.watcher.read_now()  # the epoch's files are all written: show them now
                self._show_progress()

    def _on_step_finished(self, label: str, code: int) -> None:
        if self._pending:
            self._on_output("\n")
        if label == "export" and code == 0:
            self._exported = True
        if label != "train":
            return
        self.exit_code = code
        self.watcher.read_now()
        self.hint = self.status.hint()
        self._say(self.status.outcome(code, self.runner.stopping, self.form.out_folder(), self._last_line))

    def _on_runner_finished(self, ok: bool) -> None:
        mode, self._mode = self._mode, ""
        if mode == "train":
            self.runEnded.emit(self.exit_code if self.exit_code is not None else -1)
        elif mode == "finish":
            self._on_finish_done(ok)
        self._update_eta()
        self._update_buttons()

    # -- export, evaluate, load ----------------------------------------------------------
    def export_path(self) -> Path:
        text = self.form.export_edit.text().strip()
        return Path(text).expanduser().absolute() if text else default_export_path(self.form.out_folder())

    def finish(self) -> None:
        """Export the run, evaluate the export (quick settings), then load it into the explorer."""
        if self.unavailable is not None or self.runner.running or not self.snapshot.checkpointed:
            return
        run, model = self.form.out_folder(), self.export_path()
        data = self.snapshot.config.get("data")
        self._model, self._exported, self._mode = model, False, "finish"
        self.runner.start([("export", export_args(run, model)),
                           ("evaluate", evaluate_args(model, data if isinstance(data, str) else None))])
        self._say(f"Exporting {Path(run).name} to {model} and evaluating it…")
        self._update_buttons()

    def _on_finish_done(self, ok: bool) -> None:
        model = self._model
        if not self._exported or model is None:
            self._say("The export failed; the log below says why.")
            self.finishFailed.emit("export")
            return
        if not self._open_model(model):
            self._say(f"Exported {model}, but it did not load (the window says why).")
            self.finishFailed.emit("load")
            return
        note = "evaluated and loaded" if ok else "loaded (the evaluation failed: see the log)"
        self._say(f"Exported {model}, {note}.")
        self.modelReady.emit(str(model))
