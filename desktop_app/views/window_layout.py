"""The main window's widgets (`Widgets`, a typed container) and where they sit.

Left: messages, which frame is shown (and the smooth-upscaling option), the digit (and
beside it, while comparing, the same latent drawn by a second model), the grid's options
(grid, variations and their radius) and the classifier's verdict. Right: the digit chooser
(models that have a digit to choose) above the Explore, Interpolate, Bookmarks and Find a
digit tabs (the last one filled on first use, see `MainWindow.show_find`). Status bar
(`StatusLine`): one message on the left, a note or the background work, whichever is
newer; the model and the frame time on the right. Controllers get the widgets they need
from here.

Everything fits the declared minimum, 800×600 (tests/desktop_app/test_layout.py): the
right pane's width is its widest tab's (every tab title whole), the left pane's the grid
options beside the verdict's ten bars.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QGroupBox, QHBoxLayout, QLabel, QMainWindow,
                               QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget)

from ..core.explore.variations import DEFAULT_RADIUS, RADIUS_RANGE
from .compare import ComparePanel
from .explore.bookmarks import BookmarksWidget
from .explore.digit_chooser import DigitChooserWidget
from .explore.direction_sliders import DirectionSlidersWidget
from .explore.latent_controls import LatentControlsWidget
from .explore.latent_sliders import LatentSlidersWidget
from .explore.verdict_view import VerdictWidget
from .files.settings import APPLICATION
from .morph.panel import InterpolationWidget
from .status_line import ElidedLabel, StatusLine
from .widgets.boxes import group
from .widgets.busy_indicator import BusyIndicator
from .widgets.digit_view import DigitView
from .widgets.display_badge import DisplayBadge
from .widgets.float_slider import SliderRow, ValueLabel
from .widgets.message_bar import MessageBar

EMPTY_TEXT = ("No model loaded.\n\nOpen a generator with File → Open (Ctrl+O), or drop a "
              ".onnx file here. Trained models are exported to exported_models/.")
MIN_SIZE = (800, 600)  # the smallest window every control still fits in
OPTIONS_WIDTH = 320  # the grid's options (and the radius slider) at most


@dataclass(frozen=True)
class Widgets:
    message_bar: MessageBar
    badge: DisplayBadge
    digit_view: DigitView
    compare: ComparePanel
    grid_box: QCheckBox
    variations_box: QCheckBox
    radius: SliderRow
    smooth_box: QCheckBox
    verdict: VerdictWidget
    controls: LatentControlsWidget
    digit_chooser: DigitChooserWidget
    digit_group: QGroupBox
    direction_sliders: DirectionSlidersWidget
    latent_sliders: LatentSlidersWidget
    interpolation: InterpolationWidget
    bookmarks: BookmarksWidget
    explore: QWidget
    find_tab: QScrollArea
    tabs: QTabWidget
    right: QWidget
    busy: BusyIndicator
    model_label: QLabel
    stats_label: ValueLabel


def build(w: QMainWindow) -> Widgets:
    """Create the widgets of `w`, lay them out, and return them."""
    w.setWindowTitle(APPLICATION)
    message_bar, badge = MessageBar(), DisplayBadge()
    digit_view = DigitView(placeholder=EMPTY_TEXT, zoomable=True)
    grid_box = QCheckBox("Grid 8×8 (G)")
    grid_box.setToolTip("Show 64 digits: the current one top-left, then the next seeds. "
                        "Click a digit to make it the current one.")
    variations_box = QCheckBox("Variations")
    variations_box.setToolTip("The grid shows variations around the current latent instead "
                              "of the next seeds; the radius says how far they wander")
    radius = SliderRow("radius", *RADIUS_RANGE, steps=200, fmt="{:.2f}σ", name_width=40)
    radius.set_value(DEFAULT_RADIUS)
    radius.setEnabled(False)
    radius.setToolTip("How far the variations wander, in standard deviations of the prior")
    smooth_box = QCheckBox("Smooth")
    smooth_box.setToolTip("Smooth (bilinear) upscaling instead of pixel-exact squares")
    verdict = VerdictWidget()
    left = QWidget()
    lv = QVBoxLayout(left)
    lv.addWidget(message_bar)
    top = QHBoxLayout()
    top.addWidget(badge, 1)
    top.addWidget(smooth_box)  # how the picture below is drawn, beside what it shows
    lv.addLayout(top)
    compare = ComparePanel()  # hidden until a second model is compared
    views = QHBoxLayout()
    main_pane = QVBoxLayout()
    main_pane.addWidget(compare.main_title)  # the loaded model's name, while comparing
    main_pane.addWidget(digit_view, 1)
    views.addLayout(main_pane, 1)
    views.addWidget(compare, 1)
    lv.addLayout(views, 1)
    # The grid's options in one narrow column beside the verdict: at 800 px wide both fit
    # under the digit.
    options = QWidget()
    ov = QVBoxLayout(options)
    ov.setContentsMargins(0, 0, 0, 0)
    for widget in (grid_box, variations_box, radius):
        ov.addWidget(widget)
    ov.addStretch(1)
    options.setMaximumWidth(OPTIONS_WIDTH)  # a wide window widens the digit, not these
    row = QHBoxLayout()
    row.addWidget(options, 2)
    row.addStretch(1)
    row.addWidget(verdict)
    lv.addLayout(row)

    controls = LatentControlsWidget()
    digit_chooser = DigitChooserWidget()
    digit_group = group("Digit", digit_chooser)
    direction_sliders = DirectionSlidersWidget()
    # Scrolls instead of squeezing: twelve rows do not fit a 600-px-high window.
    directions_scroll = QScrollArea()
    directions_scroll.setWidgetResizable(True)
    directions_scroll.setWidget(direction_sliders)
    # Six rows of each at least: with 30 cluster buttons (three rows, each with its digit
    # hint) above them, both still fit a 600-px-high window.
    directions_scroll.setMinimumHeight(96)
    latent_sliders = LatentSlidersWidget()
    latent_sliders.setMinimumHeight(64)
    interpolation = InterpolationWidget()
    bookmarks = BookmarksWidget()
    explore = QWidget()
    ev = QVBoxLayout(explore)
    ev.addWidget(controls)
    ev.addWidget(group("Principal directions", directions_scroll), 1)
    ev.addWidget(group("Raw latent (every dimension)", latent_sliders), 1)
    tabs = QTabWidget()
    tabs.addTab(explore, "Explore")
    tabs.addTab(interpolation, "Interpolate")
    tabs.addTab(bookmarks, "Bookmarks")
    # Empty until first shown: the drawing pad and its encoder stay off the cold start.
    find_tab = QScrollArea()
    find_tab.setWidgetResizable(True)
    tabs.addTab(find_tab, "Find a digit")
    # Every tab's title in full: without scroll buttons the tab bar's width is a minimum.
    tabs.setUsesScrollButtons(False)
    right = QWidget()
    rv = QVBoxLayout(right)
    # The left pane's margins on the window's sides (none at the splitter): the right
    # pane's frames end inside the window, as the left pane's do.
    margins = lv.contentsMargins()
    rv.setContentsMargins(0, margins.top(), margins.right(), margins.bottom())
    rv.addWidget(digit_group)
    rv.addWidget(tabs, 1)

    splitter = QSplitter(Qt.Orientation.Horizontal)
    splitter.addWidget(left)
    splitter.addWidget(right)
    splitter.setStretchFactor(0, 3)
    splitter.setStretchFactor(1, 2)
    splitter.setChildrenCollapsible(False)
    w.setCentralWidget(splitter)
    busy = BusyIndicator()
    # The file name and `architecture` metadata: text from a file, shown literally (and
    # elided where the window is too narrow for all of it).
    model_label = ElidedLabel("No model")
    stats_label = ValueLabel("frame 888.88 ms · 8888 fps")
    # One note or the busy text on the left (the newer); these two always on the right.
    w.setStatusBar(StatusLine(busy, [model_label, stats_label]))
    w.setMinimumSize(*MIN_SIZE)
    w.resize(1120, 740)
    return Widgets(message_bar, badge, digit_view, compare, grid_box, variations_box, radius,
                   smooth_box, verdict, controls, digit_chooser, digit_group,
                   direction_sliders, latent_sliders, interpolation, bookmarks, explore,
                   find_tab, tabs, right, busy, model_label, stats_label)
