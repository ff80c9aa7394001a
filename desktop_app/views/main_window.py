"""`MainWindow`: the digit view, its controls, and the loop that turns state into pixels.

`Studio` (core) owns all session state. Controllers turn user actions into studio
commands (recorded on the undo `History`); the studio announces each change and the window
only *requests* a frame. `FrameScheduler` renders the latest state once per event-loop
turn, and the same pass makes every control describe the frame drawn (`Studio.controls`).
Opening a model is one core use case (`Studio.load_model`); the window shows its report.
Models load synchronously (tens of milliseconds; what a hostile file can cost is bounded
by the reading rule in digit_contract/reading.py, the 64 MiB cap and the parse budget in
core/models/onnx_wire.py); principal directions arrive later (`DirectionsController`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QMainWindow, QMessageBox

from ..core.events import Change
from ..core.explore.directions import Directions
from ..core.models.contract import ContractError
from ..core.models.messages import first_line
from ..core.models.model_loading import load_classifier, load_reader
from ..core.models.paths import CLASSIFIER_NAME, READER_NAME, classifier_for, models_dir
from digit_contract.reading import resolve_path
from ..core.explore.weights import class_noun
from ..core.studio import Studio
from . import shortcuts, undo_keys, window_layout
from .compare import CompareController
from .explore.bookmarks import BookmarksController
from .explore.cluster_digits import ClusterDigitsController
from .explore.directions_controller import DirectionsController
from .explore.latent_controller import LatentController
from .files.file_actions import FileActions, FileHooks
from .files.model_watcher import DEBOUNCE_MS, ModelWatcher
from .files.settings import APPLICATION, make_settings
from .frame_scheduler import FrameScheduler
from .history import History
from .morph.path_controller import PathController
from .morph.playback import PlaybackClock
from .window_state import WindowState

VERDICT_INTERVAL_MS = 16  # one display frame at 60 Hz
STATUS_MS = 5000


class MainWindow(QMainWindow):
    """The Digit Studio window. Its signals say when a model, directions or a frame
    arrived, so a caller can wait for the real event."""

    modelLoaded = Signal(str)
    modelFailed = Signal(str)
    directionsReady = Signal()
    frameRendered = Signal()

    def __init__(self, settings=None, debounce_ms: int = DEBOUNCE_MS):
        super().__init__()
        self.settings = settings if settings is not None else make_settings()
        self.studio = Studio()
        self.history = History(self.studio, self)
        self.scheduler = FrameScheduler(self._render, self)
        # The classifier runs after the digit is painted, at most once per display frame:
        # it stays off the slider-to-pixels path, and a fast drag does not queue verdicts.
        self._verdict_image = None
        self._verdict_timer = QTimer(self, singleShot=True, interval=VERDICT_INTERVAL_MS)
        self._verdict_timer.timeout.connect(self._update_verdict)
        self.playback = PlaybackClock(self)
        self.watcher = ModelWatcher(self, debounce_ms)
        self.ui = window_layout.build(self)
        self.latent = LatentController(self.studio, self.history, self.ui, self.show_status,
                                       self)
        self.path = PathController(self.studio, self.history, self.ui.interpolation,
                                   self.playback, self.ui.tabs, self.show_status, self)
        self.bookmarks = BookmarksController(self.studio, self.history, self.ui.bookmarks,
                                             self.show_status, self)
        self.ui.digit_chooser.morphRequested.connect(self.path.morph)
        self.directions_controller = DirectionsController(
            self.studio, self.ui.direction_sliders, self.ui.busy, self)
        self.directions_controller.ready.connect(self.directionsReady)
        self.directions_worker = self.directions_controller.worker  # scripts, the bench
        self.cluster_digits = ClusterDigitsController(self.studio, self.ui.digit_chooser,
                                                      self.show_status, self)
        self.files = FileActions(self.studio, self.settings, FileHooks(
            open_model=self.open_model, record=self.history.record, pixels=self._frame_pixels,
            period_s=lambda: self.playback.period_s, message=self.show_message,
            status=self.statusBar().showMessage, quit=self.close), self)
        self.menuBar().addMenu(self.files.menu)
        self.compare = CompareController(self.studio, self.ui.compare, self.files.folder,
                                         self.show_message, self.show_status, self)
        hooks = shortcuts.MenuHooks(
            random_seed=self.latent.random_seed, step_seed=self.latent.step_seed,
            reset_edits=self.latent.reset, choose_class=self.latent.choose_digit,
            add_keyframe=self.path.add_keyframe, bookmark=self.bookmarks.add,
            toggle_playing=self.path.toggle_playing, compare_dialog=self.compare.open_dialog,
            stop_comparing=self.compare.stop, show_find=self.show_find,
            show_training=self.show_training)
        self.menus = shortcuts.install(self, self.menuBar(), self.studio, self.history.stack,
                                       self.ui.digit_view, hooks)
        self._model_actions = self.files.model_actions + self.menus.needs_model
        undo_keys.install(self)
        self.training = None  # the Training panel, made on first use (show_training)
        self.find = None  # the Find a digit tab's controller, made on first use (show_find)
        self.window_state = WindowState(self.settings, self.studio, self.ui, self.playback)
        self.setAcceptDrops(True)
        self.studio.subscribe(self._on_studio_changed)
        self.ui.smooth_box.toggled.connect(self.ui.digit_view.set_smooth)
        self.ui.smooth_box.toggled.connect(self.menus.smooth.setChecked)
        self.menus.smooth.toggled.connect(self.ui.smooth_box.setChecked)
        self.ui.smooth_box.toggled.connect(self.ui.compare.view.set_smooth)
        self.ui.digit_view.zoomChanged.connect(
            lambda z: self.show_status(f"Zoom {z * 100:.0f} % (Ctrl+wheel; drag to pan; "
                                       f"Ctrl+0 fits)"))
        self.ui.interpolation.exportAnimationRequested.connect(
            self.files.export_animation_dialog)
        self.ui.interpolation.exportStripRequested.connect(self.files.export_strip_dialog)
        self.scheduler.statsChanged.connect(self._on_stats)
        self.ui.tabs.currentChanged.connect(self._on_tab_changed)
        self.watcher.fileChanged.connect(self._on_file_changed)
        self.watcher.fileRemoved.connect(self._on_file_removed)
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self.window_state.restore()
        self.refresh_model_state()

    # -- models ------------------------------------------------------------------------
    @property
    def directions(self) -> Directions | None:
        """The principal directions the sliders move along now (the studio's)."""
        return self.studio.directions

    def open_model(self, path: str | Path) -> bool:
        """Load a generator; on failure show why and keep the current model. True if loaded."""
        try:
            report = self.studio.load_model(path, self.window_state)
        except ContractError as exc:
            keep = " The current model stays loaded." if self.studio.ready else ""
            self.show_message(f"{exc}{keep}")
            self.modelFailed.emit(str(exc))
            return False
        if not report.kept:
            self.history.clear()  # those steps were latents of another size
        self.ui.message_bar.hide()
        problems = " ".join(p for p in (report.classifier_problem, report.reader_problem) if p)
        if problems:
            self.show_message(problems)
        generator = report.generator
        self.files.remember(generator.path)
        self.watch_files([generator.path])
        self.show_status(report.summary())
        self.scheduler.request()
        self.modelLoaded.emit(str(generator.path))
        return True

    def _load_classifier(self, path: Path | None) -> None:
        classifier, problem = load_classifier(path)
        if problem:
            self.show_message(problem)
        self.studio.set_classifier(classifier)

    def refresh_model_state(self) -> None:
        """Enable what needs a model, and name the model in the title and status bar."""
        ui, gen = self.ui, self.studio.generator
        ui.right.setEnabled(gen is not None)
        ui.grid_box.setEnabled(gen is not None)
        ui.verdict.setVisible(gen is not None)
        ui.digit_group.setVisible(bool(gen and gen.conditional))
        for action in self._model_actions:
            action.setEnabled(gen is not None)
        self.menus.classes.fit(gen)
        if gen is None:
            self.setWindowTitle(APPLICATION)
            ui.digit_view.clear()
            return
        info = gen.info
        kind = "conditional" if gen.conditional else "unconditional"
        if gen.conditional:
            # The chooser's buttons, spin boxes and words follow the model's classes.
            ui.digit_chooser.set_classes(gen.num_classes, gen.clusters)
            ui.digit_group.setTitle(class_noun(gen.clusters).capitalize())
            if gen.clusters:
                kind = f"{gen.num_classes} clusters found without labels"
        # "[*]" in a title is Qt's modified-marker placeholder; doubled, it shows as is.
        self.setWindowTitle(f"{APPLICATION} — {gen.path.name.replace('[*]', '[*][*]')}")
        ui.model_label.setText(f"{gen.path.name} · {info.architecture} · {kind} · "
                               f"{gen.latent_dim}-d latent · {info.epochs} epochs")
        self._show_controls()

    def watch_files(self, models: list[Path]) -> None:
        """Watch these models and the classifier.onnx and reader.onnx files that would pair
        with them, so a re-export, or one exported later, is picked up without a restart."""
        paired = [folder / name for folder in [Path(m).parent for m in models] + [models_dir()]
                  for name in (CLASSIFIER_NAME, READER_NAME)]
        self.watcher.set_files(list(models) + paired)

    def _on_file_changed(self, path: str) -> None:
        gen = self.studio.generator
        if gen is not None and resolve_path(path) == resolve_path(gen.path):
            self.open_model(gen.path)
        elif Path(path).name == CLASSIFIER_NAME:
            if gen is not None:  # without a generator it waits for one to pair with
                self._load_classifier(classifier_for(gen.path))
        elif Path(path).name == READER_NAME:
            if gen is not None:
                reader, problem = load_reader(gen.path)
                if problem:
                    self.show_message(problem)
                self.studio.set_reader(reader)
        elif gen is None:
            self.open_model(path)

    def _on_file_removed(self, path: str) -> None:
        self.show_message(f"{Path(path).name} was deleted or moved; the model already "
                          f"loaded keeps working.", "info")

    # -- the studio's changes -----------------------------------------------------------
    def _on_studio_changed(self, reason: Change) -> None:
        if reason is Change.GENERATOR:
            gen = self.studio.generator
            self.ui.latent_sliders.set_dimension(gen.latent_dim, self.studio.state.raw)
            self.refresh_model_state()
        elif reason is Change.CLASSIFIER:
            clf = self.studio.classifier
            self.ui.verdict.set_available(clf is not None, clf.path.name if clf else "")
        self.scheduler.request()

    # -- frames ----------------------------------------------------------------------
    def _render(self) -> None:
        if not self.studio.ready:
            return
        try:
            frame = self.studio.render()
        except Exception as exc:  # noqa: BLE001 - a model that fails mid-run must not crash
            self.show_message(f"Rendering failed: {first_line(exc, 300)}")
            return
        self.ui.digit_view.set_pixels(frame.pixels)
        if frame.compare is not None:
            self.ui.compare.view.set_pixels(frame.compare)
        self._show_controls()
        self._verdict_image = frame.first
        if not self._verdict_timer.isActive():
            self._verdict_timer.start()
        self.frameRendered.emit()

    def _show_controls(self) -> None:
        """Every control describes the frame on screen (see `Studio.controls`)."""
        studio, ui = self.studio, self.ui
        c = studio.controls()
        ui.controls.show_state(c.seed, c.truncation)
        ui.latent_sliders.set_values(c.raw)
        ui.direction_sliders.set_values(c.coeffs)
        if c.class_weights is not None:
            ui.digit_chooser.show_weights(c.class_weights)
        if studio.showing_path:
            names = " → ".join(k.name for k in studio.keyframes)
            ui.badge.show_display(True, f"Showing the path {names} at t = {studio.t:.3f}")
        else:
            what = "the current latent"
            if studio.grid and studio.variation.on:
                what = (f"8×8 variations around the current latent "
                        f"(radius {studio.variation.radius:.2f}σ)")
            elif studio.grid:
                what = "the 8×8 grid around the current latent"
            ui.badge.show_display(False, f"Showing {what}")
        grid = studio.grid and not studio.showing_path
        ui.verdict.set_caption("top-left digit" if grid else "classifier")

    def _update_verdict(self) -> None:
        if self._verdict_image is None:
            return
        try:
            verdict = self.studio.verdict(self._verdict_image)
        except ContractError as exc:
            # Said once, then verdicts are off for this model: a classifier that fails on
            # one frame would fail on every frame, and the generator keeps drawing.
            self.studio.set_classifier(None)
            self.ui.verdict.set_available(False,
                                          reason="The classifier failed: verdicts are off")
            self.show_message(f"{exc} Verdicts are off; the generator keeps drawing.")
            return
        self.ui.verdict.set_verdict(verdict)

    def _frame_pixels(self):
        """The frame on screen, drawn up to date (what File exports and copies)."""
        self.scheduler.flush()
        return self.ui.digit_view.pixels()

    def flush_verdict(self) -> None:
        """Classify the last frame now (before screenshots, self-tests and assertions)."""
        if self._verdict_timer.isActive():
            self._verdict_timer.stop()
            self._update_verdict()

    def _on_stats(self, frame_ms: float, fps: float) -> None:
        # A rate only while frames flow: "0 fps" or "1 fps" at rest reads as a slow app.
        rate = f" · {fps:.0f} fps" if fps >= 2 else ""
        self.ui.stats_label.setText(f"frame {frame_ms:.2f} ms{rate}")

    def show_message(self, text: str, kind: str = "error") -> None:
        """Tell the user something went wrong, without a blocking dialog (and only there:
        the same words again in the status bar would read as two problems)."""
        self.ui.message_bar.show_message(text, kind)

    def show_status(self, text: str) -> None:
        """A passing note in the status bar (what just happened, nothing to act on)."""
        self.statusBar().showMessage(text, STATUS_MS)

    def show_training(self):
        """Show the Training panel, creating it on first use. Imported only here: the
        panel's modules stay off the cold-start path."""
        if self.training is None:
            from .train.panel import TrainingPanel

            self.training = TrainingPanel(self.open_model, self)
            self.training.setWindowFlag(Qt.WindowType.Window)  # its own window, not a child
        self.training.show()
        self.training.raise_()
        self.training.activateWindow()
        return self.training

    def show_find(self):
        """Show the Find a digit tab; returns its `FindController`."""
        self._ensure_find()
        self.ui.tabs.setCurrentWidget(self.ui.find_tab)
        return self.find

    def _on_tab_changed(self, _index: int) -> None:
        if self.ui.tabs.currentWidget() is self.ui.find_tab:
            self._ensure_find()

    def _ensure_find(self) -> None:
        """Build the Find a digit panel on first use. Imported only here: the pad, the
        encoder and the search stay off the cold-start path."""
        if self.find is not None:
            return
        from .find.controller import FindController
        from .find.panel import FindPanel

        panel = FindPanel()
        self.ui.find_tab.setWidget(panel)
        self.find = FindController(self.studio, self.history, panel, self.show_message,
                                   self.show_status,
                                   lambda: self.ui.tabs.setCurrentWidget(self.ui.explore), self)

    # -- window events -------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if self.files.dropped_path(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        path = self.files.dropped_path(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.files.open_path(path)

    def _training_may_stop(self) -> bool:
        """True unless a training run is going and the user chose to keep it."""
        if self.training is None or not self.training.runner.running:
            return True
        answer = QMessageBox.question(
            self, "Quit Digit Studio",
            "A training run is going. Quitting stops it (the last complete epoch stays "
            "checkpointed; Resume continues it). Quit anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self._training_may_stop():
            event.ignore()
            return
        self.directions_controller.shutdown()  # a running worker stops at its next batch
        self.cluster_digits.shutdown()  # ... and this one at its next cluster
        if self.find is not None:
            self.find.shutdown()  # a running search stops at its next refinement step
        if self.training is not None:
            self.training.shutdown()  # a training child checkpoints and exits
            self.training.close()
        self.playback.stop()
        self.settings.setValue("geometry", self.saveGeometry())
        self.window_state.save()
        super().closeEvent(event)
