"""`LatentController`: the Explore controls, the digit chooser and grid clicks, turned into
`Studio` edits recorded on the undo history.

Each user action is one recorded call of a typed `Studio` command. A drag merges into one
undo step: every event of it carries the same merge key, and the step closes when the
slider is released (or a typed value is committed); spin boxes and clicks carry no key, so
each of their edits is a step of its own (history.py).
"""

from __future__ import annotations

import random
from typing import Callable

from PySide6.QtCore import QObject

from ...core.events import Change
from ...core.explore.latent import MAX_SEED
from ...core.explore.weights import class_noun, mix
from ...core.studio import GRID_GAP, GRID_SIDE, Studio
from ..history import History
from ..window_layout import Widgets


class LatentController(QObject):
    def __init__(self, studio: Studio, history: History, ui: Widgets,
                 status: Callable[[str], None], parent: QObject | None = None):
        super().__init__(parent)
        self.studio, self.history, self.status = studio, history, status
        c = ui.controls
        c.seedChanged.connect(self.set_seed)
        c.truncationChanged.connect(
            lambda v: self._record("Truncation", lambda: studio.set_truncation(v),
                                   "truncation"))
        c.truncation.editFinished.connect(history.end_gesture)
        c.resetRequested.connect(self.reset)
        ui.latent_sliders.valueChanged.connect(
            lambda d, v: self._record(f"Edit z{d}", lambda: studio.set_raw(d, v), f"raw{d}"))
        ui.latent_sliders.editFinished.connect(history.end_gesture)
        ui.direction_sliders.valueChanged.connect(
            lambda i, v: self._record(f"Edit PC{i + 1}", lambda: studio.set_coeff(i, v),
                                      f"pc{i}"))
        ui.direction_sliders.editFinished.connect(history.end_gesture)
        chooser = ui.digit_chooser
        self._mix_slider = chooser.mix_slider
        chooser.digitChosen.connect(self.choose_digit)
        chooser.mixChanged.connect(self.choose_mix)
        chooser.mix_slider.sliderPressed.connect(history.end_gesture)
        chooser.mix_slider.sliderReleased.connect(history.end_gesture)
        ui.grid_box.toggled.connect(studio.set_grid)
        ui.variations_box.toggled.connect(self._on_variations_toggled)
        ui.radius.valueChanged.connect(studio.set_radius)
        self._grid_box, self._variations_box, self._radius = (ui.grid_box, ui.variations_box,
                                                              ui.radius)
        studio.subscribe(self._on_studio_changed)
        ui.digit_view.pixelClicked.connect(self._on_pixel_clicked)
        ui.badge.backRequested.connect(studio.show_latent)

    def _record(self, text: str, command: Callable[[], object], key: str | None = None):
        """One user action: a studio command, recorded on the undo history."""
        if self.studio.ready:
            return self.history.record(text, command, key)
        return None

    def set_seed(self, seed: int) -> None:
        self._record("Seed", lambda: self.studio.set_seed(seed))

    def step_seed(self, delta: int) -> None:
        """The next (or previous) seed after the one on screen (custom latents: from 0)."""
        if self.studio.ready:
            seed = self.studio.controls().seed
            self.set_seed(((seed or 0) + delta) % (MAX_SEED + 1))

    def random_seed(self) -> None:
        """A random seed; the draw itself stays reproducible from the seed shown."""
        self.set_seed(random.randint(0, MAX_SEED))

    def reset(self) -> None:
        self._record("Reset edits", self.studio.reset)

    def _on_studio_changed(self, reason: Change) -> None:
        if reason is not Change.GRID:
            return
        grid = self.studio.variation
        self._grid_box.setChecked(self.studio.grid)  # set_grid ignores its own echo
        blocked = self._variations_box.blockSignals(True)  # a restore is no user's request
        self._variations_box.setChecked(grid.on)
        self._variations_box.blockSignals(blocked)
        self._radius.setEnabled(grid.on)
        self._radius.set_value(grid.radius)

    def _on_variations_toggled(self, on: bool) -> None:
        self.studio.set_variations(on)
        if on:
            self.studio.set_grid(True)  # asking for variations means showing them

    def _noun(self) -> str:
        return class_noun(self.studio.clusters).capitalize()

    def choose_digit(self, digit: int) -> None:
        """Draw the pure `digit` (or cluster; one-hot weights); ignored for unconditional
        models and for a class the model does not have (key 7 on a 5-cluster model)."""
        if self.studio.class_weights is None \
                or not 0 <= digit < self.studio.generator.num_classes:
            return
        self._record(f"{self._noun()} {digit}", lambda: self.studio.set_digit(digit))

    def choose_mix(self, a: int, b: int, share_b: float) -> None:
        """Draw the blend (1 - share_b)·a + share_b·b; ignored for unconditional models.
        Only a drag of the mix slider merges; a typed class is a step of its own."""
        if self.studio.class_weights is not None:
            n = self.studio.generator.num_classes
            if not (0 <= a < n and 0 <= b < n):
                return
            key = "mix" if self._mix_slider.isSliderDown() else None
            self._record(f"{self._noun()} mix",
                         lambda: self.studio.set_class_weights(mix(a, b, share_b, n)), key)

    def _on_pixel_clicked(self, x: int, y: int) -> None:
        if not (self.studio.grid and not self.studio.showing_path):
            return
        cell = 28 + GRID_GAP
        col, row = x // cell, y // cell
        if x % cell >= 28 or y % cell >= 28 or col >= GRID_SIDE or row >= GRID_SIDE:
            return  # the line between two digits
        self.pick_tile(row * GRID_SIDE + col)

    def pick_tile(self, index: int) -> None:
        """Grid cell `index` becomes the current latent: drawn large (the grid turns off),
        or, for variations, the centre of a fresh grid of them."""
        picked = self.history.record("Pick from grid", lambda: self.studio.pick_tile(index))
        if picked is None:
            return
        if self.studio.variation.on:
            self.status(f"Picked {picked}: the grid now shows variations around it")
        else:
            self.studio.set_grid(False)
            self.status(f"Picked {picked} from the grid (G shows the grid again)")
