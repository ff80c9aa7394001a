"""`load_model`: opening a generator, as one use case of the `Studio`.

Everything that follows from choosing a model happens here, in this order, without Qt:
check and open the file (a `ContractError` leaves everything as it was); keep the old
latent size's keyframes in the `SessionStore` for its next visit; switch the studio to
the new generator (latent and keyframes kept when the latent size is the same); bring
back the keyframes stored for a new latent size, and on the first model of a session the
latent of the last run; pair the classifier and the reader beside the model. The `LoadReport` says what
happened, in words for the status bar; the views follow the studio's events.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..files.latent_files import LatentFile
from ..morph.keyframes import Keyframe
from .classifier import Classifier
from .contract import ContractError
from .generator import Generator
from .paths import READER_NAME, classifier_for


class SessionStore(Protocol):
    """Where a session's work outlives the window (the app's settings)."""

    def save_keyframes(self, latent_dim: int, data: LatentFile | None) -> None:
        """Keep `data`'s keyframes for `latent_dim` (None: forget them)."""

    def load_keyframes(self, latent_dim: int) -> list[Keyframe] | None:
        """The keyframes kept for `latent_dim`; None when none (or a damaged entry)."""

    def saved_latent(self, num_classes: int) -> tuple[int, float, np.ndarray | None] | None:
        """(seed, truncation, class weights or None) of the last run, if any."""


@dataclass(frozen=True)
class LoadReport:
    """What opening a model did."""

    generator: Generator
    kept: bool  # the latent (and keyframes, and undo history) survived: same latent size
    directions_reset: bool  # direction sliders were cleared (another model's PCs)
    moved: bool  # ... and they had moved the latent
    stopped_comparing: str  # the compared model's file name, dropped ("" if none)
    restored: int  # keyframes brought back for a new latent size
    not_drawable: int  # of them, those this model cannot draw (kept)
    classifier_problem: str  # why verdicts are off ("" when fine, or no classifier)
    reader_problem: str = ""  # why Find a digit's reader is off ("" when fine, or none)

    def summary(self) -> str:
        """"Loaded generator.onnx (latent kept) · …", one line for the status bar."""
        note = " (latent kept)" if self.kept else ""
        if self.directions_reset:
            note += " · direction sliders reset to 0" + (", which changed the latent"
                                                          if self.moved else "")
        if self.stopped_comparing:
            note += (f" · stopped comparing with {self.stopped_comparing} (it cannot draw "
                     f"these latents)")
        if self.restored:
            note += f" · {self.restored} keyframe(s) restored"
            if self.not_drawable:
                note += (f", {self.not_drawable} not drawable by this model (made for "
                         f"another kind of model, and kept)")
        return f"Loaded {self.generator.path.name}{note}"


def load_classifier(path: Path | None, without: str = "Verdicts are off.") -> tuple[Classifier | None, str]:
    """The classifier at `path` (None: none there) and why not, if it cannot be used,
    ending with `without`: what the app does instead."""
    if path is None:
        return None, ""
    try:
        return Classifier.from_path(path), ""
    except ContractError as exc:
        return None, f"{exc} {without}"


def load_reader(model: Path | None) -> tuple[Classifier | None, str]:
    """The reader for `model`'s Find a digit (`reader.onnx` beside it, else the shipped
    one; None: there is none) and why not, if the one found cannot be used."""
    return load_classifier(classifier_for(model, READER_NAME),
                           "Find a digit reads the input with the classifier instead.")


def load_model(studio, path: str | Path, store: SessionStore | None = None) -> LoadReport:
    """Open the generator at `path` in `studio` (see the module docstring). Raises
    `ContractError`, and changes nothing, when the file is not a usable generator."""
    generator = Generator.from_path(path)
    first = studio.generator is None
    had_directions = studio.directions is not None
    compared = studio.compare_generator
    if store is not None and studio.ready:
        store.save_keyframes(studio.state.latent_dim,
                             studio.to_file() if studio.keyframes else None)
    kept, moved = studio.set_generator(generator)
    restored = not_drawable = 0
    if not kept and store is not None:
        saved = store.load_keyframes(generator.latent_dim)
        if saved:
            not_drawable = studio.adopt_saved_keyframes(saved)
            restored = len(studio.keyframes)
    if first and store is not None:
        latent = store.saved_latent(generator.num_classes)
        if latent is not None:
            studio.restore_session(*latent)
    classifier, problem = load_classifier(classifier_for(generator.path))
    studio.set_classifier(classifier)
    reader, reader_problem = load_reader(generator.path)
    studio.set_reader(reader)
    dropped = compared is not None and studio.compare_generator is None
    stopped = compared.path.name if dropped else ""
    return LoadReport(generator, kept, had_directions, moved, stopped, restored,
                      not_drawable, problem, reader_problem)
