"""`TrainingFormWidget`: what to train (arch, epochs, data and output folders, more options)
and the buttons that start, stop, resume and finish a run. Widgets only: the panel
(views/train/panel.py) decides what the buttons do."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLineEdit,
                               QPushButton, QSpinBox, QToolButton, QVBoxLayout, QWidget)

from digit_contract.run_folder import ARCH_NAMES, RECIPES

from ...core.train.jobs import SHIPPED_ARCH, SHIPPED_EPOCHS, SHIPPED_OPTIONS, TrainRequest


def _folder_row(edit: QLineEdit, title: str) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    browse = QToolButton(text="…", toolTip=f"Choose the {title.lower()}")

    def choose() -> None:
        path = QFileDialog.getExistingDirectory(edit, title, edit.text() or str(Path.cwd()))
        if path:
            edit.setText(path)
            edit.editingFinished.emit()

    browse.clicked.connect(choose)
    row.addWidget(browse)
    return row


def default_runs_folder() -> Path:
    """Where runs go unless the user says otherwise: the user's data folder for this app
    (QStandardPaths), never the install folder, which may be read-only or shared."""
    return Path(QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppDataLocation)) / "runs"


class TrainingFormWidget(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.arch_box = QComboBox()
        self.arch_box.addItems(ARCH_NAMES)
        self.arch_box.setCurrentText(SHIPPED_ARCH)
        self.epochs_box = QSpinBox(minimum=1, maximum=10_000, value=SHIPPED_EPOCHS)
        self.data_edit = QLineEdit(os.environ.get("MNIST_DIR", ""))
        self.data_edit.setPlaceholderText("MNIST folder (empty: MNIST_DIR, else download)")
        self.out_edit = QLineEdit(str(default_runs_folder() / SHIPPED_ARCH))
        self.out_edit.setToolTip("The run folder: config, checkpoint, metrics, sample grids")
        self.extra_edit = QLineEdit(SHIPPED_OPTIONS)  # the shipped model's recipe
        self.extra_edit.setPlaceholderText("more options, e.g. --train-samples 512 --batch-size 64")
        self.extra_edit.setToolTip("Options of python -m training train. --recipe NAME trains a named "
                                   f"recipe ({', '.join(RECIPES)}); Architecture and Epochs override it")
        self.export_edit = QLineEdit()
        self.export_edit.setPlaceholderText("exported model (empty: the models folder, RUN.onnx)")
        form = QFormLayout()
        form.addRow("Architecture", self.arch_box)
        form.addRow("Epochs", self.epochs_box)
        form.addRow("Data folder", _folder_row(self.data_edit, "Data folder"))
        form.addRow("Output folder", _folder_row(self.out_edit, "Output folder"))
        form.addRow("More options", self.extra_edit)
        form.addRow("Export to", self.export_edit)
        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Interrupt (SIGINT): the last complete epoch stays checkpointed")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Continue the run in the output folder up to Epochs")
        self.finish_button = QPushButton("Export, evaluate && load")
        self.finish_button.setToolTip("Export the run to ONNX, evaluate it (quick settings) "
                                      "and open it in the explorer")
        buttons = QHBoxLayout()
        for b in (self.start_button, self.stop_button, self.resume_button, self.finish_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addLayout(buttons)

    def request(self) -> TrainRequest:
        """The form as a request; folders made absolute against the app's working folder."""
        data = self.data_edit.text().strip()
        return TrainRequest(self.arch_box.currentText(), self.epochs_box.value(), self.out_folder(),
                            os.path.abspath(os.path.expanduser(data)) if data else "",
                            self.extra_edit.text())

    def out_folder(self) -> str:
        out = self.out_edit.text().strip()
        return os.path.abspath(os.path.expanduser(out)) if out else ""

    def set_running(self, running: bool, can_train: bool, checkpointed: bool) -> None:
        for w in (self.arch_box, self.epochs_box, self.data_edit, self.out_edit, self.extra_edit,
                  self.export_edit):
            w.setEnabled(not running)
        self.start_button.setEnabled(can_train and not running)
        self.stop_button.setEnabled(running)
        self.resume_button.setEnabled(can_train and not running and checkpointed)
        self.finish_button.setEnabled(can_train and not running and checkpointed)
