"""Compare: a second model draws the same latents beside the first (View → Compare With
Model…). `ComparePanel` is the picture and its caption; `CompareController` opens the
second model and says, in one sentence, why one that cannot draw the same latent
(another latent size, number of classes, or kind of class: digits or clusters) is refused.

What the panel shows is part of the studio's frame (`Frame.compare`), so it always shows
the same latents as the big view: the latent, the grid, or the path frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QLabel, QPushButton, QVBoxLayout, QWidget

from ..core.events import Change
from ..core.models.contract import ContractError
from ..core.models.generator import Generator
from ..core.studio import Studio
from .widgets.digit_view import DigitView
from .widgets.plain_text import plain_label

ONNX_FILTER = "ONNX models (*.onnx);;All files (*)"


class ComparePanel(QWidget):
    """The second model's picture with its name above and a Stop button below; and
    `main_title`, the first model's name, which the window lays out above its own picture
    (shown only while comparing, so each pane says which model drew it)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = plain_label(QLabel())  # a file name: shown literally
        self.main_title = plain_label(QLabel())
        self.main_title.hide()
        self.view = DigitView(min_side=80)
        self.stop_button = QPushButton("Stop comparing")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.stop_button)
        self.hide()


class CompareController(QObject):
    def __init__(self, studio: Studio, panel: ComparePanel, folder: Callable[[], str],
                 message: Callable[[str, str], None], status: Callable[[str], None],
                 parent: QObject | None = None):
        super().__init__(parent)
        self.studio, self.panel, self.folder = studio, panel, folder
        self.message, self.status = message, status
        self._shown: Generator | None = None  # to close it, and to notice it was dropped
        panel.stop_button.clicked.connect(self.stop)
        studio.subscribe(self._on_studio_changed)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.panel.window(), "Compare with model",
                                              self.folder(), ONNX_FILTER)
        if path:
            self.open(Path(path))

    def open(self, path: str | Path) -> bool:
        """Draw the current latents with the generator at `path` too; on refusal the
        message bar says why in one sentence and nothing changes."""
        try:
            generator = Generator.from_path(path)
        except ContractError as exc:
            self.message(str(exc), "error")
            return False
        why = self.studio.set_compare_generator(generator)
        if why:
            generator.close()
            self.message(why, "info")
            return False
        self.message("", "done")  # an earlier refusal is stale now
        self.status(f"Comparing with {generator.path.name}: the same latents, drawn by both")
        return True

    def stop(self) -> None:
        self.studio.set_compare_generator(None)

    def _on_studio_changed(self, reason: Change) -> None:
        if reason not in (Change.COMPARE, Change.GENERATOR):
            return
        now = self.studio.compare_generator
        if self._shown is not None and self._shown is not now:
            self._shown.close()  # the window's status bar says why, on a model change
        self._shown = now
        self.panel.setVisible(now is not None)
        self.panel.main_title.setVisible(now is not None)
        if now is not None:
            self.panel.title.setText(f"{now.path.name} (same latent)")
            self.panel.main_title.setText(self.studio.generator.path.name)
        else:
            self.panel.view.clear()
