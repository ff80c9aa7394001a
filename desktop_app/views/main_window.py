"""`MainWindow`: the digit view, its controls, and the loop that turns state into pixels.

User actions change `Studio` (core) and only *request* a frame; `FrameScheduler` renders the
latest state once per event-loop turn. Models load synchronously (tens of milliseconds;
what a hostile file can cost is bounded by the reading rule in core/reading.py, the 64 MiB
cap and the protobuf parse budget in core/onnx_wire.py);
principal directions arrive later from `DirectionsWorker`; keyframes and playback live in
`PathController`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QMainWindow

from ..core.classifier import Classifier
from ..core.contract import ContractError
from ..core.directions import Directions
from ..core.generator import Generator
from ..core.paths import CLASSIFIER_NAME, classifier_for, models_dir
from ..core.messages import first_line
from ..core.reading import resolve_path
from ..core.studio import Studio
from ..core.weights import mix
from .directions_worker import DirectionsWorker
from .file_actions import FileActions
from .frame_scheduler import FrameScheduler
from .model_watcher import DEBOUNCE_MS, ModelWatcher
from .path_controller import PathController
from .playback import PlaybackClock
from . import shortcuts, window_layout
from .settings import APPLICATION, make_settings
from .window_state import WindowState

VERDICT_INTERVAL_MS = 16  # one display frame at 60 Hz


class MainWindow(QMainWindow):
    """The Digit Studio window. Signals let tests and the benchmark wait for real events."""

    modelLoaded = Signal(str)
    modelFailed = Signal(str)
    directionsReady = Signal()
    frameRendered = Signal()
    verdictUpdated = Signal()

    def __init__(self, settings=None, debounce_ms: int = DEBOUNCE_MS):
        super().__init__()
        self.settings = settings if settings is not None else make_settings()
        self.studio = Studio()
        self.studio.subscribe(self._on_state_changed)
        self.directions: Directions | None = None
        self.directions_worker = DirectionsWorker(self)
        self.scheduler = FrameScheduler(self._render, self)
        # The classifier runs after the digit is painted, at most once per display frame:
        # it stays off the slider-to-pixels path, and a fast drag does not queue verdicts.
        self._verdict_image = None
        self._verdict_timer = QTimer(self, singleShot=True, interval=VERDICT_INTERVAL_MS)
        self._verdict_timer.timeout.connect(self._update_verdict)
        self.playback = PlaybackClock(self)
        self.watcher = ModelWatcher(self, debounce_ms)
        window_layout.build(self)
        self.files = FileActions(self)
        self.path = PathController(self)
        self._model_actions = self.files.model_actions + shortcuts.install(self)
        self._restored_latent = False
        self.window_state = WindowState(self)
        self.setAcceptDrops(True)
        self._connect()
        self.window_state.restore()  # after _connect, so restored choices take effect
        self.refresh_model_state()

    def _connect(self) -> None:
        c = self.controls
        c.seedChanged.connect(lambda s: self._state_call("set_seed", s))
        c.truncationChanged.connect(lambda v: self._state_call("set_truncation", v))
        c.resetRequested.connect(lambda: self._state_call("reset"))
        self.latent_sliders.valueChanged.connect(lambda d, v: self._state_call("set_raw", d, v))
        self.direction_sliders.valueChanged.connect(
            lambda i, v: self._state_call("set_coeff", i, v))
        self.digit_chooser.digitChosen.connect(self.choose_digit)
        self.digit_chooser.mixChanged.connect(self.choose_mix)
        self.grid_box.toggled.connect(self._on_grid_toggled)
        self.interpolation.exportGifRequested.connect(self.files.export_gif_dialog)
        self.interpolation.exportStripRequested.connect(self.files.export_strip_dialog)
        self.directions_worker.ready.connect(self._on_directions_ready)
        self.directions_worker.failed.connect(self._on_directions_failed)
        self.scheduler.statsChanged.connect(self._on_stats)
        self.watcher.fileChanged.connect(self._on_file_changed)
        self.watcher.fileRemoved.connect(self._on_file_removed)

    # -- models ------------------------------------------------------------------------
    def open_model(self, path: str | Path) -> bool:
        """Load a generator; on failure show why and keep the current model. True if loaded."""
        try:
            generator = Generator.from_path(path)
        except ContractError as exc:
            keep = " The current model stays loaded." if self.studio.ready else ""
            self.show_message(f"{exc}{keep}")
            self.modelFailed.emit(str(exc))
            return False
        kept = self.studio.set_generator(generator)
        self.message_bar.hide()  # before the classifier, which may have its own complaint
        if not self._restored_latent:
            self._restored_latent = True
            self.window_state.restore_latent()
        self._load_classifier(classifier_for(generator.path))
        self.files.remember(generator.path)
        self.refresh_model_state()
        self.latent_sliders.set_dimension(generator.latent_dim, self.studio.state.raw)
        self._start_directions()
        self.path.refresh()
        self.watch_files([generator.path])
        note = " (latent kept)" if kept else ""
        self.statusBar().showMessage(f"Loaded {generator.path.name}{note}", 4000)
        self.scheduler.request()
        self.modelLoaded.emit(str(generator.path))
        return True

    def _load_classifier(self, path: Path | None) -> None:
        classifier = None
        if path is not None:
            try:
                classifier = Classifier.from_path(path)
            except ContractError as exc:
                self.show_message(f"{exc} Verdicts are off.")
        self.studio.set_classifier(classifier)
        self.verdict.set_available(classifier is not None,
                                   classifier.path.name if classifier else "")

    def refresh_model_state(self) -> None:
        gen = self.studio.generator
        self.right.setEnabled(gen is not None)
        self.grid_box.setEnabled(gen is not None)
        self.verdict.setVisible(gen is not None)
        self.digit_group.setVisible(bool(gen and gen.conditional))
        for action in self._model_actions:
            action.setEnabled(gen is not None)
        if gen is None:
            self.setWindowTitle(APPLICATION)
            self.digit_view.clear()
            return
        info = gen.info
        kind = "conditional" if gen.conditional else "unconditional"
        # "[*]" in a title is Qt's modified-marker placeholder; doubled, it shows as is.
        self.setWindowTitle(f"{APPLICATION} — {gen.path.name.replace('[*]', '[*][*]')}")
        self.model_label.setText(f"{gen.path.name} · {info.architecture} · {kind} · "
                                 f"{gen.latent_dim}-d latent · {info.epochs} epochs")
        state = self.studio.state
        self.controls.show_state(state.seed, state.truncation)
        self._show_weights()
        self.interpolation.set_method(self.studio.method)

    def watch_files(self, models: list[Path]) -> None:
        """Watch these models and the classifier.onnx files that would pair with them, so
        a re-export, or a classifier exported later, is picked up without a restart."""
        clf = [Path(m).parent / CLASSIFIER_NAME for m in models] + [models_dir() / CLASSIFIER_NAME]
        self.watcher.set_files(list(models) + clf)

    def _on_file_changed(self, path: str) -> None:
        gen = self.studio.generator
        if gen is None or resolve_path(path) == resolve_path(gen.path):
            self.open_model(path if gen is None else gen.path)
        elif Path(path).name == CLASSIFIER_NAME:
            self._load_classifier(classifier_for(gen.path))
            self.scheduler.request()

    def _on_file_removed(self, path: str) -> None:
        self.show_message(f"{Path(path).name} was deleted or moved; the model already "
                          f"loaded keeps working.", "info")

    # -- directions (worker thread) ----------------------------------------------------
    def _start_directions(self) -> None:
        self.direction_sliders.set_pending()
        self.busy.start("Finding principal directions…")
        # At the weights on screen now: the directions change that digit's style.
        self.directions_worker.start(self.studio.generator, self.studio.class_weights)

    def _on_directions_failed(self, text: str) -> None:
        self.busy.stop()
        self.direction_sliders.set_pending(f"Directions failed: {text}")

    def _on_directions_ready(self, result: Directions) -> None:
        self.busy.stop()
        if not self.studio.ready or result.steps.shape[1] != self.studio.state.latent_dim:
            return
        self.directions = result
        self.studio.state.set_directions(result.steps)
        self.direction_sliders.set_directions(result.explained, self.studio.state.coeffs)
        self.directionsReady.emit()

    # -- latent and keyframes -----------------------------------------------------------
    def _state_call(self, method: str, *args) -> None:
        if self.studio.ready:
            getattr(self.studio.state, method)(*args)

    def _on_state_changed(self, reason: str) -> None:
        state = self.studio.state
        if reason in ("seed", "z", "reset"):
            self.latent_sliders.set_values(state.raw)
            self.direction_sliders.set_values(state.coeffs)
        if reason in ("seed", "z"):
            self.controls.show_state(state.seed, state.truncation)
        if reason != "directions":
            self.studio.source = "latent"
        self.scheduler.request()

    def choose_digit(self, digit: int) -> None:
        """Draw the pure `digit` (one-hot weights); ignored for unconditional models."""
        if self.studio.class_weights is not None:
            self.studio.state.set_digit(digit)

    def choose_mix(self, a: int, b: int, share_b: float) -> None:
        """Draw the blend (1 - share_b)·a + share_b·b; ignored for unconditional models."""
        if self.studio.class_weights is not None:
            n = self.studio.generator.num_classes
            self.studio.state.set_class_weights(mix(a, b, share_b, n))

    def _show_weights(self) -> None:
        """The digit controls show the weights of the frame on screen (the path's at t)."""
        weights = self.studio.shown_weights()
        if weights is not None:
            self.digit_chooser.show_weights(weights)

    def _on_grid_toggled(self, on: bool) -> None:
        self.verdict.set_caption("top-left digit" if on else "classifier")
        self.studio.grid = on
        self.studio.source = "latent"
        self.scheduler.request()

    # Thin entry points kept on the window for shortcuts, scripts and tests.
    def add_keyframe(self) -> None:
        self.path.add_keyframe()

    def set_t(self, t: float) -> None:
        self.path.set_t(t)

    def set_playing(self, playing: bool) -> None:
        self.path.set_playing(playing)

    # -- frames ----------------------------------------------------------------------
    def _render(self) -> None:
        if not self.studio.ready:
            return
        try:
            frame = self.studio.render()
        except Exception as exc:  # noqa: BLE001 - a model that fails mid-run must not crash
            self.show_message(f"Rendering failed: {first_line(exc, 300)}")
            return
        self.digit_view.set_pixels(frame.pixels)
        self._show_weights()
        self._verdict_image = frame.first
        if not self._verdict_timer.isActive():
            self._verdict_timer.start()
        self.frameRendered.emit()

    def _update_verdict(self) -> None:
        if self._verdict_image is None:
            return
        try:
            verdict = self.studio.verdict(self._verdict_image)
        except ContractError as exc:
            # Said once, then verdicts are off for this model: a classifier that fails on
            # one frame would fail on every frame, and the generator keeps drawing.
            self.studio.set_classifier(None)
            self.verdict.set_available(False, reason="The classifier failed: verdicts are off")
            self.show_message(f"{exc} Verdicts are off; the generator keeps drawing.")
            return
        self.verdict.set_verdict(verdict)
        self.verdictUpdated.emit()

    def flush_verdict(self) -> None:
        """Classify the last frame now (before screenshots, self-tests and assertions)."""
        if self._verdict_timer.isActive():
            self._verdict_timer.stop()
            self._update_verdict()

    def _on_stats(self, frame_ms: float, fps: float) -> None:
        # A rate only while frames flow: "0 fps" or "1 fps" at rest reads as a slow app.
        rate = f" · {fps:.0f} fps" if fps >= 2 else ""
        self.stats_label.setText(f"frame {frame_ms:.2f} ms{rate}")

    def show_message(self, text: str, kind: str = "error") -> None:
        """Tell the user something went wrong, without a blocking dialog (and only there:
        the same words again in the status bar would read as two problems)."""
        self.message_bar.show_message(text, kind)

    # -- window events -------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if self.files.dropped_path(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        path = self.files.dropped_path(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.files.open_path(path)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.directions_worker.shutdown()  # a running worker stops at its next batch
        self.playback.stop()
        self.window_state.save()
        super().closeEvent(event)

