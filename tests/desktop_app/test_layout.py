"""The window at its declared minimum (800×600) and at 1600×1000: nothing a user should see
is cut off, in any tab, with a model loaded.

`clipped(window)` lists every visible widget that is not wholly shown: outside the window
or outside its parent (scrolled content excepted: that is what scroll areas are for),
narrower than its minimum, a label, button, spin box or value whose text does not fit, a
tab bar that hides tabs behind scroll arrows, content wider than its scroll area (a
horizontal scroll bar, or a cut), or a framed panel that runs into the window's edge.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import (QAbstractButton, QAbstractScrollArea, QAbstractSpinBox,
                               QCheckBox, QFrame, QGroupBox, QLabel, QLineEdit,
                               QRadioButton, QScrollBar, QSizePolicy, QTabBar, QTabWidget,
                               QWidget)

from desktop_app.core.explore.latent import MAX_SEED
from desktop_app.views.widgets.digit_view import DigitView
from desktop_app.views.widgets.float_slider import ValueLabel
from desktop_app.views.status_line import ElidedLabel

from . import onnx_models as om

SIZES = [(800, 600), (1600, 1000)]
EDGE = 4  # px a framed panel keeps from the window's left and right edges


def _name(w: QWidget) -> str:
    text = w.text() if callable(getattr(w, "text", None)) else ""
    return f"{type(w).__name__}({text!r})" if text else type(w).__name__


def _scrolled(w: QWidget) -> bool:
    """True for a scroll area's content widget (its viewport's child)."""
    parent = w.parentWidget()
    holder = parent.parentWidget() if parent is not None else None
    return isinstance(holder, QAbstractScrollArea) and holder.viewport() is parent


def _inside_scrolled(w: QWidget, window: QWidget) -> bool:
    while w is not None and w is not window:
        if _scrolled(w):
            return True
        w = w.parentWidget()
    return False


def _text_width(w: QWidget, text: str) -> int:
    return w.fontMetrics().horizontalAdvance(text.replace("&&", "\0").replace("&", "")
                                             .replace("\0", "&"))


def clipped(window: QWidget) -> list[str]:
    """Every visible child of `window` that is not wholly shown, in words."""
    problems = []
    bounds = window.rect()
    for w in window.findChildren(QWidget):
        if w.isWindow() or not w.isVisibleTo(window) or w.width() <= 0 or w.height() <= 0:
            continue
        name, parent = _name(w), w.parentWidget()
        where = QRect(w.mapTo(window, w.rect().topLeft()), w.size())
        if not _scrolled(w) and not parent.rect().contains(w.geometry()):
            problems.append(f"{name} at {w.geometry().getRect()} runs out of "
                            f"{_name(parent)} {parent.rect().getRect()}")
        if _scrolled(w) and w.width() > parent.width():  # scrolled sideways, or cut
            problems.append(f"{name} is {w.width()} px wide in a {parent.width()}-px view")
        if not _inside_scrolled(w, window) and not bounds.contains(where):
            problems.append(f"{name} at {where.getRect()} runs out of the window")
        internal = isinstance(w, QLineEdit) and isinstance(parent, QAbstractSpinBox)
        least = w.minimumSize() if w.minimumWidth() > 0 else w.minimumSizeHint()
        if (not internal and least.width() > w.width()
                and w.sizePolicy().horizontalPolicy() != QSizePolicy.Policy.Ignored):
            problems.append(f"{name} is {w.width()} px wide, under its minimum "
                            f"{least.width()}")
        if isinstance(w, QLabel) and w.text() and not w.wordWrap() \
                and not isinstance(w, ElidedLabel) and w.pixmap().isNull() \
                and _text_width(w, w.text()) > w.contentsRect().width():
            problems.append(f"{name} is cut: {w.contentsRect().width()} px for its text")
        if isinstance(w, (QCheckBox, QRadioButton)) and w.sizeHint().width() > w.width():
            problems.append(f"{name} is cut: {w.width()} of {w.sizeHint().width()} px")
        elif isinstance(w, QAbstractButton) and w.text() \
                and _text_width(w, w.text()) + 8 > w.width():
            problems.append(f"{name} is cut: {w.width()} px for its text")
        if isinstance(w, QAbstractSpinBox):
            line = w.lineEdit()
            if _text_width(line, line.text()) + 4 > line.width():
                problems.append(f"{name} shows {line.text()!r} in {line.width()} px")
        if isinstance(w, ValueLabel) and _text_width(w, w.text()) + 4 > w.width():
            problems.append(f"{name} is cut: {w.width()} px for its text")
        if isinstance(w, DigitView) and w.pixels() is None \
                and w.placeholder_rect().height() < w.fontMetrics().height():
            problems.append(f"{name}'s placeholder text is cut ({w.height()} px high)")
        if isinstance(w, QTabBar) and w.sizeHint().width() > w.width():
            problems.append(f"the tab bar hides tabs: {w.width()} of "
                            f"{w.sizeHint().width()} px")
        if isinstance(w, QScrollBar) and w.orientation() == Qt.Orientation.Horizontal:
            problems.append(f"a horizontal scroll bar in {_name(parent.parentWidget())}")
        framed = isinstance(w, (QGroupBox, QTabWidget)) or (
            isinstance(w, QFrame) and isinstance(w, QAbstractScrollArea)
            and w.frameShape() != QFrame.Shape.NoFrame)
        if framed and not _inside_scrolled(w, window) and (
                where.left() < EDGE or where.right() > bounds.right() - EDGE):
            problems.append(f"{name}'s frame at {where.getRect()} runs into the window's "
                            f"edge")
    return problems


def _at(window, qtbot, size, tab) -> list[str]:
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size)
    if tab == "Find a digit":
        window.show_find()
    else:
        window.ui.tabs.setCurrentIndex(
            [window.ui.tabs.tabText(i) for i in range(window.ui.tabs.count())].index(tab))
    window.scheduler.flush()
    window.flush_verdict()
    qtbot.wait(1)  # one event-loop turn for the layout
    return [f"{size[0]}×{size[1]}, {tab}: {p}" for p in clipped(window)]


TABS = ["Explore", "Interpolate", "Bookmarks", "Find a digit"]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_nothing_is_cut_off_with_a_digit_model(cond_window, qtbot, size):
    w = cond_window
    assert w.minimumWidth() <= 800 and w.minimumHeight() <= 600
    w.latent.set_seed(MAX_SEED)  # ten digits in the seed box
    w.scheduler.flush()
    assert w.ui.controls.seed_box.text() == str(MAX_SEED)
    for digit in (1, 7):
        w.latent.choose_digit(digit)
        w.path.add_keyframe()  # a path: keyframe thumbnails and the strip of in-betweens
    w.bookmarks.add()
    problems = [p for tab in TABS for p in _at(w, qtbot, size, tab)]
    assert not problems, "\n".join(problems)
    # The verdict's ten bars, 8 and 9 included, are inside the window.
    verdict = w.ui.verdict
    bars = [QRect(verdict.mapTo(w, r.toRect().topLeft()), r.toRect().size())
            for r in verdict.bar_rects()]
    assert len(bars) == 10 and all(w.rect().contains(b.center()) for b in bars)


@pytest.fixture
def thirty_clusters(window, qtbot, tmp_path):
    """A 30-cluster model (the shipped label-free one's count) with a classifier beside
    it, loaded, with the digit hints on its buttons."""
    om.save(om.generator_model(8, clusters=30, seed=6), tmp_path / "clusters30.onnx")
    om.save(om.classifier_model(), tmp_path / "classifier.onnx")
    with qtbot.waitSignal(window.directionsReady, timeout=10_000):
        assert window.open_model(tmp_path / "clusters30.onnx")
    qtbot.waitUntil(lambda: window.studio.cluster_digits is not None, timeout=20_000)
    return window


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_nothing_is_cut_off_with_thirty_clusters_and_their_hints(thirty_clusters, qtbot,
                                                                 size):
    w = thirty_clusters
    assert w.ui.digit_chooser.group.button(0).hint  # the "≈d" line is there
    problems = [p for tab in ("Explore", "Interpolate") for p in _at(w, qtbot, size, tab)]
    assert not problems, "\n".join(problems)


def test_the_checker_sees_a_cut_label(window, qtbot):
    """`clipped` itself: a label squeezed under its text's width is reported."""
    label = QLabel("a label much too long for forty pixels")
    label.setParent(window.ui.badge)
    label.setGeometry(0, 0, 40, 20)
    label.show()
    assert any("a label much too long" in p for p in clipped(window))
    label.deleteLater()
