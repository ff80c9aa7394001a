"""The Edit, View, Play and Help menus: keyboard shortcuts for everything used while
exploring.

Single-key shortcuts (R, G, K, Space, 0-9) do not fire while a text or number box has
focus: Qt lets the focused box claim printable keys first. Every entry calls a studio
command or one of the `MenuHooks` (the window binds them to its controllers); the menus
read the studio on its events and write no other view's widgets. `install` returns the
`Menus` the window needs afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QMenu, QMenuBar, QMessageBox, QWidget

from ..core.events import Change
from ..core.explore.weights import class_noun
from ..core.studio import Studio
from .about import show_about
from .widgets.boxes import show_info
from .widgets.digit_view import DigitView

SHORTCUTS = [
    ("Ctrl+O", "Open a model"),
    ("Ctrl+S / Ctrl+L", "Save / load latents"),
    ("Ctrl+E", "Export PNG"),
    ("Ctrl+Shift+G / Ctrl+Shift+E", "Export animation / strip"),
    ("Ctrl+C", "Copy the image"),
    ("Ctrl+Z / Ctrl+Shift+Z", "Undo / redo"),
    ("R", "Random seed"),
    ("] / [", "Next / previous seed"),
    ("Ctrl+R", "Reset edits"),
    ("G", "Toggle 8×8 grid"),
    ("Ctrl+wheel, Ctrl++ / Ctrl+- / Ctrl+0", "Zoom the big view in / out / to fit (drag pans)"),
    ("K", "Add keyframe"),
    ("B", "Bookmark the latent"),
    ("Space", "Play / pause"),
    ("Ctrl+F", "Find a digit (draw or drop one)"),
    ("Ctrl+Shift+T", "Training panel"),
    ("0-9", "Choose the digit (models with a digit to choose; cluster 0-9 for models whose "
            "classes are clusters)"),
]


@dataclass(frozen=True)
class MenuHooks:
    """What the menus ask of the rest of the window (MainWindow binds these)."""

    random_seed: Callable[[], None]
    step_seed: Callable[[int], None]  # +1 next, -1 previous
    reset_edits: Callable[[], None]
    choose_class: Callable[[int], None]  # the digit (or cluster) to draw
    add_keyframe: Callable[[], None]
    bookmark: Callable[[], None]
    toggle_playing: Callable[[], None]
    compare_dialog: Callable[[], None]
    stop_comparing: Callable[[], None]
    show_find: Callable[[], object]
    show_training: Callable[[], object]


class ClassMenu:
    """Play ▸ Digit: one entry per class of the open model, keys 0-9 on the first ten."""

    def __init__(self, menu: QMenu, choose: Callable[[int], None], parent: QWidget):
        self.menu, self._choose, self._parent = menu, choose, parent
        self.actions: list[QAction] = []  # the keyed ones (0-9) first, then 10.. (no key)
        for d in range(10):
            self.actions.append(self._add(f"Digit {d}", d, str(d)))

    def _add(self, text: str, c: int, shortcut: str = "") -> QAction:
        action = QAction(text, self._parent)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _=False, n=c: self._choose(n))
        self.menu.addAction(action)
        return action

    def fit(self, generator) -> None:
        """Name the open model's classes: "Digit 0".."Digit 9" for digits (as built),
        "Cluster 0".."Cluster k-1" for a model whose classes are clusters (keys 0-9 choose
        the first ten; the others have menu entries only). Entries a model does not have
        are disabled or removed."""
        clusters = bool(generator is not None and generator.conditional and generator.clusters)
        k = generator.num_classes if clusters else 10
        noun = class_noun(clusters).capitalize()
        self.menu.setTitle(f"&{noun}")
        actions = self.actions
        while len(actions) > max(k, 10):
            extra = actions.pop()
            self.menu.removeAction(extra)
            extra.deleteLater()
        for c in range(len(actions), k):
            actions.append(self._add(f"{noun} {c}", c))
        for c, action in enumerate(actions):
            action.setText(f"{noun} {c}")
            action.setEnabled(generator is not None and c < k)


@dataclass(frozen=True)
class Menus:
    """What `install` made that the window uses later."""

    needs_model: list[QAction]  # enabled only while a model is loaded
    smooth: QAction  # View ▸ Smooth Upscaling (checkable; the window pairs it with its box)
    classes: ClassMenu


def install(parent: QWidget, menu_bar: QMenuBar, studio: Studio, undo_stack: QUndoStack,
            digit_view: DigitView, hooks: MenuHooks) -> Menus:
    """Add the Edit, View, Play and Help menus to `menu_bar`; `parent` owns the actions
    and parents the dialogs. `digit_view` is the big view the Zoom entries zoom."""
    def add(menu, text, shortcut, slot, checkable=False):
        action = QAction(text, parent)
        action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    edit = menu_bar.addMenu("&Edit")
    undo = undo_stack.createUndoAction(parent, "&Undo")
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    redo = undo_stack.createRedoAction(parent, "&Redo")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    edit.addActions([undo, redo])
    view = menu_bar.addMenu("&View")
    needs_model = [
        add(view, "&Random Seed", "R", hooks.random_seed),
        add(view, "&Next Seed", "]", lambda: hooks.step_seed(1)),
        add(view, "&Previous Seed", "[", lambda: hooks.step_seed(-1)),
        add(view, "Re&set Edits", "Ctrl+R", hooks.reset_edits),
    ]
    grid = add(view, "&Grid 8×8", "G", lambda: None, checkable=True)
    grid.toggled.connect(studio.set_grid)
    studio.subscribe(lambda reason: grid.setChecked(studio.grid)
                     if reason is Change.GRID else None)
    smooth = add(view, "S&mooth Upscaling", "", lambda: None, checkable=True)
    zoom = view.addMenu("&Zoom")
    dv = digit_view
    zoom_in = add(zoom, "Zoom &In", "Ctrl++", lambda: dv.set_zoom(dv.zoom * 2))
    zoom_in.setShortcuts([QKeySequence("Ctrl++"), QKeySequence("Ctrl+=")])
    add(zoom, "Zoom &Out", "Ctrl+-", lambda: dv.set_zoom(dv.zoom / 2))
    add(zoom, "&Fit", "Ctrl+0", lambda: dv.set_zoom(1.0))
    view.addSeparator()
    needs_model.append(add(view, "&Compare With Model…", "", hooks.compare_dialog))
    stop = add(view, "Stop Co&mparing", "", hooks.stop_comparing)
    stop.setEnabled(False)  # only while a model is compared

    def fit_stop(reason) -> None:
        if reason in (Change.COMPARE, Change.GENERATOR):
            stop.setEnabled(studio.compare_generator is not None)

    studio.subscribe(fit_stop)
    add(view, "&Find a Digit…", "Ctrl+F", hooks.show_find)
    add(view, "&Training…", "Ctrl+Shift+T", hooks.show_training)
    play = menu_bar.addMenu("&Play")
    needs_model += [
        add(play, "&Add Keyframe", "K", hooks.add_keyframe),
        add(play, "&Bookmark", "B", hooks.bookmark),
        add(play, "&Play / Pause", "Space", hooks.toggle_playing),
    ]
    classes = ClassMenu(play.addMenu("&Digit"), hooks.choose_class, parent)
    needs_model += classes.actions
    help_menu = menu_bar.addMenu("&Help")
    add(help_menu, "&Keyboard Shortcuts", "F1", lambda: show_shortcuts(parent))
    help_menu.addSeparator()
    about = add(help_menu, "&About Digit Studio", "", lambda: show_about(parent))
    about.setMenuRole(QAction.MenuRole.AboutRole)  # where macOS users look for it
    return Menus(needs_model, smooth, classes)


def show_shortcuts(parent: QWidget) -> QMessageBox:
    rows = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in SHORTCUTS)
    return show_info(parent, "Keyboard shortcuts", f"<table cellspacing=6>{rows}</table>",
                     QMessageBox.Icon.Information)
