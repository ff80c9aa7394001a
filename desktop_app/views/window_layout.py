"""The main window's widgets and where they sit; `MainWindow` wires them to the core.

Left: messages, the digit, the grid switch and the classifier's verdict. Right: the digit
chooser (models that have a digit to choose) above the Explore and Interpolate tabs.
Status bar: temporary messages on the left; background work, the model and the frame
time on the right.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QSplitter, QTabWidget,
                               QVBoxLayout, QWidget)

from .boxes import group
from .busy_indicator import BusyIndicator
from .digit_chooser import DigitChooserWidget
from .digit_view import DigitView
from .direction_sliders import DirectionSlidersWidget
from .float_slider import ValueLabel
from .interpolation_panel import InterpolationWidget
from .latent_controls import LatentControlsWidget
from .latent_sliders import LatentSlidersWidget
from .message_bar import MessageBar
from .plain_text import plain_label
from .settings import APPLICATION
from .verdict_view import VerdictWidget

EMPTY_TEXT = ("No model loaded.\n\nOpen a generator with File → Open (Ctrl+O), or drop a "
              ".onnx file here. Trained models are exported to exported_models/.")


def build(w) -> None:
    """Create the widgets of `w` (a MainWindow) as attributes and lay them out."""
    w.setWindowTitle(APPLICATION)
    w.message_bar = MessageBar()
    w.digit_view = DigitView(placeholder=EMPTY_TEXT)
    w.grid_box = QCheckBox("Grid 8×8 (G)")
    w.grid_box.setToolTip("Show 64 digits: the current one top-left, then the next seeds")
    w.verdict = VerdictWidget()
    left = QWidget()
    lv = QVBoxLayout(left)
    lv.addWidget(w.message_bar)
    lv.addWidget(w.digit_view, 1)
    row = QHBoxLayout()
    row.addWidget(w.grid_box, 0, Qt.AlignmentFlag.AlignTop)
    row.addStretch(1)
    row.addWidget(w.verdict)
    lv.addLayout(row)

    w.controls = LatentControlsWidget()
    w.digit_chooser = DigitChooserWidget()
    w.digit_group = group("Digit", w.digit_chooser)
    w.direction_sliders = DirectionSlidersWidget()
    w.latent_sliders = LatentSlidersWidget()
    w.interpolation = InterpolationWidget()
    explore = QWidget()
    ev = QVBoxLayout(explore)
    ev.addWidget(w.controls)
    ev.addWidget(group("Principal directions", w.direction_sliders))
    ev.addWidget(group("Raw latent (every dimension)", w.latent_sliders), 1)
    w.tabs = QTabWidget()
    w.tabs.addTab(explore, "Explore")
    w.tabs.addTab(w.interpolation, "Interpolate")
    w.right = QWidget()
    rv = QVBoxLayout(w.right)
    rv.setContentsMargins(0, 0, 0, 0)
    rv.addWidget(w.digit_group)
    rv.addWidget(w.tabs, 1)

    splitter = QSplitter(Qt.Orientation.Horizontal)
    splitter.addWidget(left)
    splitter.addWidget(w.right)
    splitter.setStretchFactor(0, 3)
    splitter.setStretchFactor(1, 2)
    splitter.setChildrenCollapsible(False)
    w.setCentralWidget(splitter)
    w.busy = BusyIndicator()
    # The file name and `architecture` metadata: text from a file, shown literally.
    w.model_label = plain_label(QLabel("No model"))
    w.stats_label = ValueLabel("frame 888.88 ms · 8888 fps")
    # Permanent widgets: temporary status messages never hide or overlap them.
    for widget in (w.busy, w.model_label, w.stats_label):
        w.statusBar().addPermanentWidget(widget)
    w.resize(1120, 740)
