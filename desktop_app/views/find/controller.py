"""`FindController`: turns a drawing or a picture into a latent, live, and hands it to the
studio ("Use as keyframe", "Explore from here", both undoable).

Strokes arrive as a burst of `changed` events; they are coalesced by a single-shot timer
(at most one search per THROTTLE_MS while the user draws), and each search cancels the one
before it (`FindWorker`), so the GUI thread only copies the canvas and paints results.
The encoder is looked for beside the loaded generator (`encoder_path_for`) whenever the
model changes; without one the panel says how to train it and the rest of the app is
untouched. The studio's reader (`reader.onnx` beside the model, else the shipped one: a
classifier trained for digits unlike MNIST's) reads the input; without one the model's
classifier reads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from digit_contract.preprocess import digit_from_array, load_digit

from ...core.find.encoder import TRAIN, Encoder, encoder_path_for
from ...core.find.inversion import Inversion
from ...core.models.contract import ContractError
from ...core.studio import Studio
from ..history import History
from .panel import FindPanel
from .worker import FindWorker

THROTTLE_MS = 40  # while drawing: the answer follows the pen ~25 times a second
READY_TEXT = "Draw a digit, or open or drop a picture of one: the GAN finds its own version."


def no_encoder_text(model: Path) -> str:
    """The one sentence shown when `model` has no encoder beside it."""
    return (f"{model.name} has no encoder beside it, so digits cannot be found; train one "
            f"with `{TRAIN.format(name=encoder_path_for(model))}`.")


class FindController(QObject):
    """Runs the Find panel. `answerFound(Inversion)` after each finished search."""

    answerFound = Signal(object)
    inputShown = Signal()

    def __init__(self, studio: Studio, history: History, panel: FindPanel,
                 message: Callable[[str], None], status: Callable[[str], None],
                 explore: Callable[[], None], parent: QObject | None = None):
        super().__init__(parent)
        self.studio, self.history, self.panel = studio, history, panel
        self.message, self.status, self.explore = message, status, explore
        self.encoder: Encoder | None = None
        self.answer: Inversion | None = None
        self.input: np.ndarray | None = None
        self._prepare: Callable[[], np.ndarray] | None = None
        self._from_file = False
        self._searched_with = None  # the generator of the search on show
        self.worker = FindWorker(self)
        self.worker.prepared.connect(self._on_prepared)
        self.worker.improved.connect(self._on_improved)
        self.worker.found.connect(self._on_found)
        self.worker.failed.connect(self._on_failed)
        self._timer = QTimer(self, singleShot=True, interval=THROTTLE_MS)
        self._timer.timeout.connect(self._search_drawing)
        panel.pad.changed.connect(self._on_pad_changed)
        panel.imageChosen.connect(self.open_image)
        panel.keyframeRequested.connect(self.use_as_keyframe)
        panel.exploreRequested.connect(self.explore_from_here)
        studio.subscribe(self._on_studio_changed)
        self._load_encoder()
        self._show_classifier()

    # -- models ---------------------------------------------------------------------
    def _on_studio_changed(self, reason: str) -> None:
        if reason == "generator":
            self._load_encoder()
            if self._prepare is not None:  # the same input, in the new model's latent space
                self._start(self._prepare, self._from_file)
        elif reason in ("classifier", "reader"):
            self._show_classifier()

    def _load_encoder(self) -> None:
        self.worker.cancel()  # an answer in the old model's latent space means nothing now
        self.encoder, self.answer = None, None
        self.panel.set_answer_ready(False)
        self.panel.show_answer(None)
        generator = self.studio.generator
        if generator is None:
            self.panel.set_note("Open a model first (File → Open).")
            return
        path = encoder_path_for(generator.path)
        if not path.is_file():
            self.panel.set_note(no_encoder_text(generator.path))
            return
        try:
            self.encoder = Encoder.from_path(path, generator=generator)
        except ContractError as exc:
            self.panel.set_note(str(exc))
            return
        self.panel.set_note(READY_TEXT)

    def _show_classifier(self) -> None:
        classifier = self.studio.classifier
        self.panel.set_verdicts_available(classifier is not None,
                                          classifier.path.name if classifier else "")
        reader = self.studio.reader
        if classifier is not None and reader is not None:  # it reads what the user gave
            self.panel.input_verdict.set_available(True, reader.path.name)
        self._show_verdicts()

    def _input_verdict(self, image: np.ndarray | None):
        """What the search takes the input for: the reader's verdict, else the classifier's."""
        reader = self.studio.reader
        if reader is None or image is None or self.studio.classifier is None:
            return self._verdict(image)
        try:
            return reader.verdict(image)
        except ContractError:
            return None

    def _verdict(self, image: np.ndarray | None):
        if image is None or self.studio.classifier is None:
            return None
        try:
            return self.studio.verdict(image)
        except ContractError:
            return None  # the main window says so once, for its own frame, and turns it off

    def _show_verdicts(self) -> None:
        answer = None if self.answer is None else self.answer.reconstruction
        self.panel.set_verdicts(self._input_verdict(self.input), self._verdict(answer))

    # -- input ------------------------------------------------------------------------
    def _on_pad_changed(self) -> None:
        if self.panel.pad.is_blank():
            self._timer.stop()
            self.worker.cancel()
            self._prepare, self.input, self.answer = None, None, None
            self._forget_answer()
            self.panel.show_input(None)
            self.panel.input_verdict.clear()
            if self.encoder is not None:
                self.panel.set_note(READY_TEXT)
        elif not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Start the search for the drawing now, if one is pending (tests, scripts)."""
        if self._timer.isActive():
            self._timer.stop()
            self._search_drawing()

    def _search_drawing(self) -> None:
        if self.panel.pad.is_blank():
            return
        pixels = self.panel.pad.pixels()  # a copy: the user draws on while it is searched
        self._start(lambda: digit_from_array(pixels, "the drawing"), from_file=False)

    def open_image(self, path: str | Path) -> None:
        """Find the digit in a picture file (decoded off the GUI thread). The drawing on the
        pad is cleared first: the answer shown next is the picture's, never the drawing's."""
        path = Path(path)
        if not self.panel.pad.is_blank():
            self.panel.pad.clear()  # its `changed` resets what was shown (an undo brings it back)
        self._start(lambda: load_digit(path), from_file=True)

    def _forget_answer(self) -> None:
        """The answer on show belongs to an input that is gone: show none."""
        self.panel.show_answer(None)
        self.panel.answer_verdict.clear()
        self.panel.set_answer_ready(False)

    def _start(self, prepare: Callable[[], np.ndarray], from_file: bool) -> None:
        generator = self.studio.generator
        if generator is None:
            self.message("Open a model first: the digit is looked for in its latent space.")
            return
        self._prepare, self._from_file = prepare, from_file
        self._searched_with = generator
        self.answer = None
        self._forget_answer()
        self.worker.start(generator, self.encoder, prepare, classifier=self.studio.classifier,
                          reader=self.studio.reader)

    # -- results -----------------------------------------------------------------------
    def _on_prepared(self, image: np.ndarray) -> None:
        self.input = image
        self.panel.show_input(image)
        self.panel.input_verdict.set_verdict(self._input_verdict(image))
        self.inputShown.emit()

    def _on_improved(self, result: Inversion) -> None:
        self.panel.show_answer(result.reconstruction)
        self.panel.answer_verdict.set_verdict(self._verdict(result.reconstruction))
        if result.steps == 0:
            self.panel.set_note(f"Encoder's guess: error {result.error:.4f}; refining…")
        else:
            self.panel.set_note(f"Refining: step {result.steps}, error {result.error_before:.4f}"
                                f" → {result.error:.4f}")

    def _on_found(self, result: Inversion) -> None:
        self.answer = result
        self.panel.show_answer(result.reconstruction)
        self._show_verdicts()
        self.panel.set_answer_ready(True)
        self.panel.set_note(f"Found in {result.seconds * 1000:.0f} ms: error "
                            f"{result.error_before:.4f} (encoder) → {result.error:.4f} after "
                            f"{result.steps} refinement steps.")
        self.answerFound.emit(result)

    def _on_failed(self, text: str) -> None:
        if self._from_file:
            self.message(text)  # one sentence naming the file; what is on show stays
        else:
            self.panel.set_note(text)

    # -- using the answer -----------------------------------------------------------------
    def _usable(self) -> Inversion | None:
        """The finished answer, if it belongs to the model loaded now and is finite (the
        search refuses a NaN answer already; a latent with one never enters the state)."""
        found = self.answer
        if found is None or self._searched_with is not self.studio.generator:
            return None
        if not np.isfinite(found.z).all() or (
                found.class_weights is not None and not np.isfinite(found.class_weights).all()):
            return None
        return found

    def use_as_keyframe(self) -> None:
        """Append the latent found to the keyframes (one undoable step)."""
        found = self._usable()
        if found is not None:
            key = self.history.record(
                "Add found digit as keyframe",
                lambda: self.studio.add_keyframe_at(found.z, found.class_weights))
            self.status(f"Added keyframe {key.name} (see Interpolate)")

    def explore_from_here(self) -> None:
        """Make the latent found the current one (one undoable step), and show Explore."""
        found = self._usable()
        if found is not None:
            self.history.record("Explore from found digit",
                                lambda: self.studio.go_to(found.z, found.class_weights))
            self.explore()

    def shutdown(self) -> None:
        self._timer.stop()
        self.worker.shutdown()
