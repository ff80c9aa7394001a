"""`DigitChooserWidget`: what a conditional generator draws — a digit (buttons, keys 0-9),
a blend of two digits (the mixer: "70 % 3 + 30 % 8"), and the digit-morph shortcut.

The classes are the ten digits, or, for a generator whose classes are clusters, its k
clusters (`set_classes`): then there are k buttons in rows of ten, named "cluster c" in
every caption and tooltip, and the spin boxes range over 0..k-1. Once the classifier has
told which digit each cluster mostly draws (`set_hints`), each cluster's button shows it in
small type under its number ("≈7"), and its tooltip says it in words.

It is the view of the class weights (core/explore/weights.py): it emits what the user asked for
and shows, without emitting, the weights of the frame on screen (`show_weights`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QPaintEvent, QPalette
from PySide6.QtWidgets import (QButtonGroup, QFrame, QGridLayout, QHBoxLayout, QLabel,
                               QPushButton, QScrollArea, QSizePolicy, QSlider, QSpinBox,
                               QStyle, QStyleOptionButton, QStylePainter, QVBoxLayout,
                               QWidget)

from ...core.explore.cluster_digits import ClusterDigit
from ...core.explore.weights import class_name, class_noun, describe, mix, mixer_view

BUTTONS_PER_ROW = 10
# More rows than this scroll (100 clusters are ten rows): the tabs below keep their room.
MAX_VISIBLE_ROWS = 3
_SPACING = 2


class ClassButton(QPushButton):
    """A class's button: its number, and under it in small type a hint ("≈7"), if any."""

    def __init__(self, c: int, parent: QWidget | None = None):
        super().__init__(str(c), parent)
        self.hint = ""
        self._small = QFont(self.font())
        self._small.setPointSizeF(max(6.0, self.font().pointSizeF() * 0.75))

    def set_hint(self, hint: str) -> None:
        if hint != self.hint:
            self.hint = hint
            self.updateGeometry()
            self.update()

    def _two_lines(self, hint: QSize) -> QSize:
        """`hint` tall enough for the number over the hint (a few px more than one line)."""
        if not self.hint:
            return hint
        block = self.fontMetrics().height() + QFontMetrics(self._small).height()
        return QSize(hint.width(), max(hint.height(), block + 2))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self._two_lines(super().sizeHint())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self._two_lines(super().minimumSizeHint())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        if not self.hint:
            super().paintEvent(event)
            return
        painter = QStylePainter(self)
        option = QStyleOptionButton()
        self.initStyleOption(option)
        option.text = ""  # the bevel only; the two lines are drawn below
        painter.drawControl(QStyle.ControlElement.CE_PushButton, option)
        big, small = self.fontMetrics().height(), QFontMetrics(self._small).height()
        top = (self.height() - big - small) // 2
        centre = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter
        painter.setPen(self.palette().color(QPalette.ColorRole.ButtonText))
        painter.drawText(QRect(0, top, self.width(), big), centre, self.text())
        painter.setFont(self._small)
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(QRect(0, top + big, self.width(), small), centre, self.hint)
        painter.end()


def _digit_box(value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(0, 9)
    box.setValue(value)
    return box


class DigitChooserWidget(QWidget):
    """Class buttons (ten digits, or k clusters), the A/B mixer with its share slider, and
    "morph a → b"."""

    digitChosen = Signal(int)
    mixChanged = Signal(int, int, float)  # class a, class b, share of b in [0, 1]
    morphRequested = Signal(int, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.num_classes, self.clusters = 10, False
        self.hints: tuple[ClusterDigit, ...] = ()  # what each cluster mostly draws
        # The weights the controls show now; None once the user touched them, or after a
        # rebuild. Every frame calls show_weights, and a drag rarely changes the class.
        self._shown: np.ndarray | None = None
        self.group = QButtonGroup(self)
        self.buttons_box = QWidget()
        self._grid = QGridLayout(self.buttons_box)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(_SPACING)
        self.buttons_scroll = QScrollArea()
        self.buttons_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.buttons_scroll.setWidgetResizable(True)
        self.buttons_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.buttons_scroll.setWidget(self.buttons_box)
        self.mix_a, self.mix_b = _digit_box(0), _digit_box(1)
        self.mix_slider = QSlider(Qt.Orientation.Horizontal)
        self.mix_slider.setRange(0, 100)
        self.caption = QLabel()
        mix_row = QHBoxLayout()
        for w in (QLabel("Mix"), self.mix_a, self.mix_slider, self.mix_b):
            mix_row.addWidget(w)
        self.morph_from, self.morph_to = _digit_box(0), _digit_box(1)
        self.morph_button = QPushButton("Morph")
        morph = QHBoxLayout()
        for w in (QLabel("Morph"), self.morph_from, QLabel("→"), self.morph_to,
                  self.morph_button):
            morph.addWidget(w)
        morph.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.buttons_scroll)
        layout.addLayout(mix_row)
        layout.addWidget(self.caption)
        layout.addLayout(morph)
        self.group.idClicked.connect(self._forget_shown)
        self.group.idClicked.connect(self.digitChosen)
        self.mix_slider.valueChanged.connect(self._on_mix_edited)
        self.mix_a.valueChanged.connect(self._on_mix_edited)
        self.mix_b.valueChanged.connect(self._on_mix_edited)
        self.morph_button.clicked.connect(
            lambda: self.morphRequested.emit(self.morph_from.value(), self.morph_to.value()))
        self._build()
        self.show_weights(np.eye(10, dtype=np.float32)[0])

    # -- the classes --------------------------------------------------------------------
    def set_classes(self, num_classes: int, clusters: bool = False) -> None:
        """Show `num_classes` classes (≥ 1), named digits or clusters; rebuilds the buttons
        only when the count or the kind changes. Emits nothing."""
        num_classes, clusters = max(1, int(num_classes)), bool(clusters)
        if (num_classes, clusters) == (self.num_classes, self.clusters):
            return
        self.num_classes, self.clusters = num_classes, clusters
        self._forget_shown()
        self._build()
        self.show_weights(np.eye(num_classes, dtype=np.float32)[0])

    def _build(self) -> None:
        """(Re)make the buttons and fit the spin boxes and words to the classes."""
        k, noun = self.num_classes, class_noun(self.clusters)
        for button in self.group.buttons():
            self.group.removeButton(button)
            self._grid.removeWidget(button)
            button.hide()  # gone now, not at the next turn of the event loop
            button.deleteLater()
        self.hints = ()
        rows = -(-k // BUTTONS_PER_ROW)
        for c in range(k):
            button = ClassButton(c)
            button.setCheckable(True)
            # Narrower when a vertical scroll bar takes its share of the row.
            button.setMinimumWidth(28 if rows <= MAX_VISIBLE_ROWS else 22)
            # Ignore the style's wide push-button hint: ten of them would squeeze the digit.
            button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            self.group.addButton(button, c)
            self._grid.addWidget(button, c // BUTTONS_PER_ROW, c % BUTTONS_PER_ROW)
        self._label_buttons()
        self.buttons_scroll.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAsNeeded if rows > MAX_VISIBLE_ROWS
            else Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for box, value in ((self.mix_a, 0), (self.mix_b, 1 % k), (self.morph_from, 0),
                           (self.morph_to, 1 % k)):
            blocked = box.blockSignals(True)  # a rebuild is no user's request
            box.setRange(0, k - 1)
            box.setValue(value)
            box.setToolTip(f"A {noun}, 0 to {k - 1}")
            box.blockSignals(blocked)
        self.mix_slider.setToolTip(f"How much of the second {noun}: the generator draws the "
                                   f"blend itself, from weighted class inputs")
        self.morph_button.setToolTip(f"Keyframes for the current latent drawn as the first "
                                     f"{noun}, then the second: play or scrub t to morph")

    def _label_buttons(self) -> None:
        """Tooltips and hints of the buttons, and the rows' height (a hint adds a line)."""
        for button in self.group.buttons():
            c = self.group.id(button)
            hint = self.hints[c] if c < len(self.hints) else None
            button.set_hint(hint.hint() if hint else "")
            if self.clusters:
                key = f" (key {c})" if c < 10 else ""
                said = f". {hint.sentence(c)}" if hint else ""
                button.setToolTip(f"Draw cluster {c}{key}: one of the k-means clusters the "
                                  f"model was trained on, not a digit{said}")
            else:
                button.setToolTip(f"Draw the digit {c} (key {c})")
        rows = -(-self.num_classes // BUTTONS_PER_ROW)
        row_height = self.group.buttons()[0].sizeHint().height()
        shown = min(rows, MAX_VISIBLE_ROWS)
        self.buttons_scroll.setFixedHeight(shown * row_height + (shown - 1) * _SPACING)

    def set_hints(self, hints: Sequence[ClusterDigit] | None) -> None:
        """What each cluster mostly draws (one per class), or None/() for no hints."""
        hints = tuple(hints or ()) if self.clusters else ()
        if len(hints) != self.num_classes:
            hints = ()
        if hints == self.hints:
            return
        self.hints = hints
        self._label_buttons()

    def class_name(self, c: int) -> str:
        """"digit 3" or "cluster 13", as this chooser names its classes."""
        return class_name(c, self.clusters)

    # -- the mixer ------------------------------------------------------------------------
    def _forget_shown(self, _id: int = 0) -> None:
        self._shown = None

    def _on_mix_edited(self, _value: int = 0) -> None:
        self._forget_shown()
        self.mixChanged.emit(self.mix_a.value(), self.mix_b.value(),
                             self.mix_slider.value() / 100.0)

    def mixer_weights(self) -> np.ndarray:
        """(num_classes,) the blend the mixer's controls describe now."""
        return mix(self.mix_a.value(), self.mix_b.value(), self.mix_slider.value() / 100.0,
                   self.num_classes)

    def show_weights(self, weights: np.ndarray) -> None:
        """Show `weights` (num_classes,) as chosen, without emitting: the button of the one
        class the caption names is lit, the mixer holds the two largest classes, the caption
        says it in words (`weights.mixer_view`: the three agree)."""
        weights = np.asarray(weights, np.float32)
        if self._shown is not None and np.array_equal(weights, self._shown):
            return
        if len(weights) != self.num_classes:
            self.set_classes(len(weights), self.clusters)
        self._shown = weights.copy()
        self.caption.setText(describe(weights, self.clusters))
        pure, a, b, share = mixer_view(weights)
        # Exclusive groups cannot show "no digit", which a blend needs.
        self.group.setExclusive(False)
        for button in self.group.buttons():
            button.setChecked(self.group.id(button) == pure)
        self.group.setExclusive(True)
        if np.allclose(self.mixer_weights(), weights, atol=0.006):
            return  # the mixer already says this (never jump a slider under a drag)
        if b is None:  # one class: it is the mixer's A, at 0 %
            b = self.mix_b.value() if self.mix_b.value() != a else (a + 1) % self.num_classes
        for widget, value in ((self.mix_a, a), (self.mix_b, b),
                              (self.mix_slider, round(share * 100))):
            blocked = widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(blocked)
