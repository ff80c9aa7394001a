"""`FindPanel`: the "Find a digit" tab's widgets: a drawing pad, the preprocessed input
beside the GAN's answer, the classifier's verdict on both, and what to do with the answer.

The panel only shows and reports: `FindController` (find_controller.py) runs the searches
and turns "Use as keyframe" and "Explore from here" into studio changes. A picture file
comes from Open image… or a drop anywhere on the panel (`imageChosen(path)`); model and
latent files dropped here go on to the main window.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)

from ...core.models.classifier import Verdict
from ...core.pixels import to_uint8
from ..explore.verdict_view import VerdictWidget
from ..widgets.digit_view import DigitView
from ..widgets.plain_text import plain_label
from .drawing_pad import DEFAULT_BRUSH, DrawingPad

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.webp);;All files (*)"
_NOT_PICTURES = (".onnx", ".json")  # the main window opens these
VIEW_SIDE = 84  # 3× a 28×28 digit


def dropped_picture(mime) -> Path | None:
    """The first local file in a drag that is not a model or latent file, else None. Any
    other file is offered to digit_contract/preprocess.py, which names what is wrong with it."""
    for url in mime.urls() if mime.hasUrls() else []:
        if url.isLocalFile():
            path = Path(url.toLocalFile())
            return None if path.suffix.lower() in _NOT_PICTURES else path
    return None


class FindPanel(QWidget):
    imageChosen = Signal(str)
    keyframeRequested = Signal()
    exploreRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        # What the panel says: the state of the search, or why there is none (file names
        # and ContractError sentences: plain text).
        self.note = plain_label(QLabel())
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pad = DrawingPad()
        self.brush = QSpinBox()
        self.brush.setRange(4, 48)
        self.brush.setValue(DEFAULT_BRUSH)
        self.brush.setSuffix(" px")
        self.brush.setPrefix("Brush ")
        self.brush.setToolTip("Brush size for the next strokes")
        self.brush.valueChanged.connect(self.pad.set_brush)
        self.undo_button = QPushButton("Undo stroke")
        self.undo_button.clicked.connect(self.pad.undo_stroke)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.pad.clear)
        self.open_button = QPushButton("Open image…")
        self.open_button.setToolTip("A PNG, JPEG, BMP or WebP picture of one digit "
                                    "(or drop it on this panel)")
        self.open_button.clicked.connect(self._open_dialog)
        self.input_view = DigitView(placeholder="Your digit, 28×28")
        self.answer_view = DigitView(placeholder="The GAN's answer")
        self.input_verdict, self.answer_verdict = VerdictWidget(), VerdictWidget()
        self.input_verdict.set_caption("your digit")
        self.answer_verdict.set_caption("GAN's answer")
        self.keyframe_button = QPushButton("Use as keyframe")
        self.keyframe_button.setToolTip("Add the latent found to the Interpolate keyframes")
        self.keyframe_button.clicked.connect(self.keyframeRequested)
        self.explore_button = QPushButton("Explore from here")
        self.explore_button.setToolTip("Make the latent found the current one, in Explore")
        self.explore_button.clicked.connect(self.exploreRequested)
        self._folder = ""

        tools = QHBoxLayout()
        for widget in (self.brush, self.undo_button, self.clear_button):
            tools.addWidget(widget)
        tools.addStretch(1)
        # The pad, and beside it what the encoder sees above what the GAN draws for it.
        views = QVBoxLayout()
        for title, view in (("Your digit", self.input_view),
                            ("The GAN's answer", self.answer_view)):
            view.setFixedSize(VIEW_SIDE, VIEW_SIDE)
            views.addWidget(plain_label(QLabel(title)))
            views.addWidget(view)
        views.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.pad, 1)
        top.addLayout(views)
        actions = QHBoxLayout()
        actions.addWidget(self.keyframe_button)
        actions.addWidget(self.explore_button)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)  # the 300-px verdicts fit the narrowest pane
        layout.addWidget(self.note)
        layout.addLayout(top)
        layout.addLayout(tools)
        layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.input_verdict)
        layout.addWidget(self.answer_verdict)
        layout.addLayout(actions)
        layout.addStretch(1)
        self.set_answer_ready(False)

    # -- what the controller shows ----------------------------------------------------
    def set_note(self, text: str) -> None:
        self.note.setText(text)

    def show_input(self, image: np.ndarray | None) -> None:
        """The preprocessed (28, 28) input in [0, 1], or nothing."""
        self._show(self.input_view, image)

    def show_answer(self, image: np.ndarray | None) -> None:
        """The generator's (28, 28) drawing of the latent found so far, or nothing."""
        self._show(self.answer_view, image)

    @staticmethod
    def _show(view: DigitView, image: np.ndarray | None) -> None:
        if image is None:
            view.clear()
        else:
            view.set_pixels(to_uint8(np.asarray(image)[None])[0])

    def set_verdicts_available(self, available: bool, name: str = "") -> None:
        for widget in (self.input_verdict, self.answer_verdict):
            widget.set_available(available, name)
            widget.setVisible(available)

    def set_verdicts(self, input_verdict: Verdict | None, answer_verdict: Verdict | None) -> None:
        self.input_verdict.set_verdict(input_verdict)
        self.answer_verdict.set_verdict(answer_verdict)

    def set_answer_ready(self, ready: bool) -> None:
        """Enable "Use as keyframe" and "Explore from here" (only with a finished answer)."""
        self.keyframe_button.setEnabled(ready)
        self.explore_button.setEnabled(ready)

    # -- files --------------------------------------------------------------------------
    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a picture of a digit", self._folder,
                                              IMAGE_FILTER)
        if path:
            self._folder = str(Path(path).parent)
            self.imageChosen.emit(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if dropped_picture(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()  # a model or latent file: the main window takes it

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        path = dropped_picture(event.mimeData())
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.imageChosen.emit(str(path))
