"""The View, Play and Help menus: keyboard shortcuts for everything used while exploring.

Single-key shortcuts (R, G, K, Space, 0-9) do not fire while a text or number box has
focus: Qt lets the focused box claim printable keys first. Every entry calls a controller
or studio command; none writes another view's widgets.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from ..core.events import Change
from ..core.weights import class_noun
from .about import show_about
from .boxes import show_info

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


def install(window) -> list[QAction]:
    """Add the menus to `window` (a MainWindow); returns the actions needing a model."""
    def add(menu, text, shortcut, slot, checkable=False):
        action = QAction(text, window)
        action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    ui, studio = window.ui, window.studio

    edit = window.menuBar().addMenu("&Edit")
    undo = window.history.stack.createUndoAction(window, "&Undo")
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    redo = window.history.stack.createRedoAction(window, "&Redo")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    edit.addActions([undo, redo])
    view = window.menuBar().addMenu("&View")
    needs_model = [
        add(view, "&Random Seed", "R", window.latent.random_seed),
        add(view, "&Next Seed", "]", lambda: window.latent.step_seed(1)),
        add(view, "&Previous Seed", "[", lambda: window.latent.step_seed(-1)),
        add(view, "Re&set Edits", "Ctrl+R", window.latent.reset),
    ]
    grid = add(view, "&Grid 8×8", "G", lambda: None, checkable=True)
    grid.toggled.connect(studio.set_grid)
    studio.subscribe(lambda reason: grid.setChecked(studio.grid)
                     if reason is Change.GRID else None)
    smooth = add(view, "S&mooth Upscaling", "", lambda: None, checkable=True)
    smooth.toggled.connect(ui.smooth_box.setChecked)
    ui.smooth_box.toggled.connect(smooth.setChecked)
    zoom = view.addMenu("&Zoom")
    dv = ui.digit_view
    zoom_in = add(zoom, "Zoom &In", "Ctrl++", lambda: dv.set_zoom(dv.zoom * 2))
    zoom_in.setShortcuts([QKeySequence("Ctrl++"), QKeySequence("Ctrl+=")])
    add(zoom, "Zoom &Out", "Ctrl+-", lambda: dv.set_zoom(dv.zoom / 2))
    add(zoom, "&Fit", "Ctrl+0", lambda: dv.set_zoom(1.0))
    view.addSeparator()
    needs_model.append(add(view, "&Compare With Model…", "", window.compare.open_dialog))
    stop = add(view, "Stop Co&mparing", "", window.compare.stop)
    stop.setEnabled(False)  # only while a model is compared

    def fit_stop(reason) -> None:
        if reason in (Change.COMPARE, Change.GENERATOR):
            stop.setEnabled(studio.compare_generator is not None)

    studio.subscribe(fit_stop)
    add(view, "&Find a Digit…", "Ctrl+F", window.show_find)
    add(view, "&Training…", "Ctrl+Shift+T", window.show_training)
    play = window.menuBar().addMenu("&Play")
    needs_model += [
        add(play, "&Add Keyframe", "K", window.path.add_keyframe),
        add(play, "&Bookmark", "B", window.bookmarks.add),
        add(play, "&Play / Pause", "Space", window.path.toggle_playing),
    ]
    digits = play.addMenu("&Digit")
    window.class_menu = digits
    window.class_actions = []  # the keyed ones (0-9) first, then clusters 10.. (no key)
    for d in range(10):
        action = add(digits, f"Digit {d}", str(d), lambda _=False, k=d: window.latent.choose_digit(k))
        window.class_actions.append(action)
        needs_model.append(action)
    help_menu = window.menuBar().addMenu("&Help")
    add(help_menu, "&Keyboard Shortcuts", "F1", lambda: show_shortcuts(window))
    help_menu.addSeparator()
    about = add(help_menu, "&About Digit Studio", "", lambda: show_about(window))
    about.setMenuRole(QAction.MenuRole.AboutRole)  # where macOS users look for it
    return needs_model


def fit_class_menu(window) -> None:
    """Make Play ▸ Digit name the open model's classes: "Digit 0".."Digit 9" for digits
    (as built), "Cluster 0".."Cluster k-1" for a model whose classes are clusters (keys 0-9
    choose the first ten; the others have menu entries only). Entries a model does not
    have are disabled or removed."""
    gen = window.studio.generator
    clusters = bool(gen is not None and gen.conditional and gen.clusters)
    k = gen.num_classes if clusters else 10
    noun = class_noun(clusters).capitalize()
    window.class_menu.setTitle(f"&{noun}")
    actions = window.class_actions
    while len(actions) > max(k, 10):
        extra = actions.pop()
        window.class_menu.removeAction(extra)
        extra.deleteLater()
    for c in range(len(actions), k):
        action = QAction(f"{noun} {c}", window)
        action.triggered.connect(lambda _=False, n=c: window.latent.choose_digit(n))
        window.class_menu.addAction(action)
        actions.append(action)
    for c, action in enumerate(actions):
        action.setText(f"{noun} {c}")
        action.setEnabled(gen is not None and c < k)


def show_shortcuts(window) -> QMessageBox:
    rows = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in SHORTCUTS)
    return show_info(window, "Keyboard shortcuts", f"<table cellspacing=6>{rows}</table>",
                     QMessageBox.Icon.Information)
