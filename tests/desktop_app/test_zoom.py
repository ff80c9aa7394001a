"""Zoom for the big view: Ctrl+wheel zooms around the pointer, pixels stay equal squares,
a drag pans without picking, a click still picks the tile under it, Ctrl+0 fits."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication


def _wheel(view, pos: QPoint, notches: int, ctrl: bool = True) -> None:
    mods = Qt.KeyboardModifier.ControlModifier if ctrl else Qt.KeyboardModifier.NoModifier
    event = QWheelEvent(QPointF(pos), QPointF(view.mapToGlobal(pos)), QPoint(0, 0),
                        QPoint(0, 120 * notches), Qt.MouseButton.NoButton, mods,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view, event)


def _drawn_grey(view, pos: QPoint) -> int:
    return view.grab().toImage().pixelColor(pos).red()


def test_ctrl_wheel_zooms_around_the_pointer_in_equal_squares(loaded, qtbot):
    view = loaded.ui.digit_view
    loaded.scheduler.flush()
    fit = view.target_rect()
    at = QPoint(fit.left() + fit.width() // 3, fit.top() + fit.height() // 4)
    under = view.pixel_at(at)
    _wheel(view, at, 1, ctrl=False)
    assert view.zoom == 1.0 and view.target_rect() == fit  # a plain wheel never zooms
    _wheel(view, at, 3)
    zoomed = view.target_rect()
    assert view.zoom > 1.9 and zoomed.width() > fit.width()
    assert zoomed.width() % 28 == 0 and zoomed.width() == zoomed.height()  # whole squares
    assert view.pixel_at(at) == under  # the digit pixel under the pointer stayed put
    assert "Zoom" in loaded.statusBar().currentMessage()
    # What is painted is the frame, enlarged: sample a few screen points.
    frame = view.pixels()
    for p in (at, view.rect().center(), QPoint(5, 5)):
        x, y = view.pixel_at(p)
        assert _drawn_grey(view, p) == frame[y, x]


def test_a_drag_pans_and_a_click_still_picks(cond_window, qtbot):
    w = cond_window
    view = w.ui.digit_view
    w.ui.grid_box.setChecked(True)
    w.scheduler.flush()
    grid = view.pixels()
    view.set_zoom(4.0)
    start = view.target_rect()
    centre = view.rect().center()
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseMove(view, centre + QPoint(60, 40))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=centre + QPoint(60, 40))
    moved = view.target_rect()
    assert moved.topLeft() - start.topLeft() == QPoint(60, 40)
    assert w.ui.grid_box.isChecked()  # a pan is no pick
    # The frame still covers the view: it cannot be dragged away.
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseMove(view, centre + QPoint(5000, 5000))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=centre + QPoint(5000, 5000))
    assert view.target_rect().topLeft() == QPoint(0, 0)
    scale = view.target_rect().width() / grid.shape[1]
    at = QPoint(int((29 + 14) * scale), int((29 + 14) * scale))  # tile (1, 1), zoomed
    assert view.rect().contains(at)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=at)
    w.scheduler.flush()
    assert not w.ui.grid_box.isChecked()
    assert np.array_equal(view.pixels(), grid[29:57, 29:57])

def test_zoom_menu_fits_again(loaded, qtbot):
    view = loaded.ui.digit_view
    loaded.scheduler.flush()
    fit = view.target_rect()
    actions = {a.text(): a for a in loaded.findChildren(type(loaded.files.open_action))}
    actions["Zoom &In"].trigger()
    assert view.zoom == 2.0 and view.target_rect().width() > fit.width()
    actions["&Fit"].trigger()
    assert view.zoom == 1.0 and view.target_rect() == fit


def test_the_margins_round_the_frame_are_painted_background_whatever_was_there(qtbot):
    """The view paints only the margins' background (the frame covers the rest): a wider
    frame drawn before a narrower one must leave nothing behind in the new margins."""
    from desktop_app.views.widgets.digit_view import _BACKGROUND, DigitView

    view = DigitView()
    qtbot.addWidget(view)
    view.resize(400, 200)
    view.set_pixels(np.full((28, 112), 255, np.uint8))  # wide and white
    view.grab()
    view.set_pixels(np.full((28, 28), 128, np.uint8))  # square and grey
    image = view.grab().toImage()
    target = view.target_rect()
    assert target.width() < 300
    for x, y in ((5, 100), (394, 100), (target.left() - 5, 100), (target.right() + 5, 100)):
        assert image.pixelColor(x, y) == _BACKGROUND, (x, y)
    assert image.pixelColor(target.center()).red() == 128
