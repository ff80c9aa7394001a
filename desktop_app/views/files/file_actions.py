"""`FileActions`: the File menu — open, recent models, latents, exports (PNG, animation,
strip), copy — and drops.

Each action has a dialog half (`*_dialog`, asks for a path and options) and a direct half
that takes them (what the dialog, a drop or the recent-models menu calls). Errors go to the
window's message bar; no dialog blocks on failure.

It works on the `Studio` and the settings, and reaches the rest of the window only through
the few callbacks in `FileHooks` (the window binds them): it never reads or writes the
window's widgets, and what a loaded latent file changes, the studio announces.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QMimeData, QObject
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QWidget

from ...core.files import latent_files as files, image_files
from ...core.models.paths import models_dir
from ...core.morph import animation
from ...core.pixels import MAX_SCALE, upscale
from ...core.studio import Studio
from digit_contract.atomic import OutputError
from digit_contract.reading import resolve_path
from ..morph.animation_dialog import AnimationDialog, load_options, save_options
from ..widgets.plain_text import menu_text, tooltip
from .settings import Settings, number, recent_models, remember_model, value

ONNX_FILTER = "ONNX models (*.onnx);;All files (*)"
JSON_FILTER = "Digit Studio latents (*.json);;All files (*)"


@dataclass(frozen=True)
class FileHooks:
    """What the File menu asks of the rest of the window (MainWindow binds these)."""

    open_model: Callable[[Path], bool]  # load a generator; False (and said) on failure
    record: Callable[[str, Callable[[], object]], object]  # one undoable user action
    pixels: Callable[[], np.ndarray | None]  # the frame on screen, drawn up to date
    period_s: Callable[[], float]  # one pass of playback at the current speed, seconds
    message: Callable[[str, str], None]  # the message bar: (text, kind), see MessageBar
    status: Callable[[str, int], None]  # a passing note in the status bar: (text, ms)
    quit: Callable[[], object]


class FileActions(QObject):
    """The File menu (`menu`, for the window's menu bar) over `studio` and `settings`;
    `parent` owns the actions and parents the dialogs."""

    def __init__(self, studio: Studio, settings: Settings, hooks: FileHooks,
                 parent: QWidget):
        super().__init__(parent)
        self.studio, self.settings, self.hooks = studio, settings, hooks
        self._parent = parent
        menu = self.menu = QMenu("&File", parent)
        self.open_action = self._add(menu, "&Open Model…", self.open_dialog, QKeySequence.Open)
        self.recent_menu = menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._on_recent_about_to_show)
        menu.addSeparator()
        save = self._add(menu, "&Save Latents…", self.save_latents_dialog, QKeySequence.Save)
        load = self._add(menu, "&Load Latents…", self.load_latents_dialog, "Ctrl+L")
        menu.addSeparator()
        png = self._add(menu, "Export &PNG…", self.export_png_dialog, "Ctrl+E")
        gif = self._add(menu, "Export &Animation…", self.export_animation_dialog,
                        "Ctrl+Shift+G")
        strip = self._add(menu, "Export S&trip PNG…", self.export_strip_dialog, "Ctrl+Shift+E")
        copy = self._add(menu, "&Copy Image", self.copy_image, QKeySequence.Copy)
        menu.addSeparator()
        self._add(menu, "&Quit", hooks.quit, QKeySequence.Quit)
        # Enabled only while a model is loaded (MainWindow.refresh_model_state).
        self.model_actions = [save, load, png, gif, strip, copy]

    def _add(self, menu, text, slot, shortcut) -> QAction:
        action = QAction(text, self._parent)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def folder(self) -> str:
        """Where the last file dialog was (the models folder at first)."""
        return value(self.settings, "last_folder", str(models_dir()))

    def _chose(self, path: str, suffix: str = "") -> Path | None:
        """The chosen file, remembered as where the next dialog starts; a name typed
        without an extension takes `suffix`, the chosen format's."""
        if not path:
            return None
        self.settings.setValue("last_folder", str(Path(path).parent))
        path = Path(path)
        return path.with_name(path.name + suffix) if suffix and not path.suffix else path

    def _report(self, exc: Exception) -> None:
        self.hooks.message(str(exc), "error")

    def _done(self, text: str, ms: int = 4000) -> None:
        """Say what was done; an error left by an earlier try is stale now."""
        self.hooks.message("", "done")
        self.hooks.status(text, ms)

    # -- models ---------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self._parent, "Open model", self.folder(),
                                              ONNX_FILTER)
        if self._chose(path):
            self.open_path(Path(path))

    def open_path(self, path: Path) -> bool:
        """A dropped or chosen file: a model (.onnx) or a latent file (.json)."""
        if path.suffix.lower() == ".json":
            return self.load_latents(path)
        return self.hooks.open_model(path)

    def remember(self, path: Path) -> None:
        remember_model(self.settings, path)
        self.settings.setValue("last_model", str(resolve_path(path)))

    def _on_recent_about_to_show(self) -> None:
        self.recent_menu.clear()
        recent = recent_models(self.settings)
        for entry in recent:
            action = self.recent_menu.addAction(menu_text(Path(entry).name))
            action.setToolTip(tooltip(entry))
            action.triggered.connect(lambda _=False, p=entry: self.hooks.open_model(Path(p)))
        if not recent:
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    @staticmethod
    def dropped_path(mime: QMimeData) -> Path | None:
        """The first local .onnx or .json file in a drag, else None."""
        for url in mime.urls() if mime.hasUrls() else []:
            path = Path(url.toLocalFile())
            if url.isLocalFile() and path.suffix.lower() in (".onnx", ".json"):
                return path
        return None

    # -- latents ----------------------------------------------------------------------
    def save_latents_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self._parent, "Save latents",
                                              str(Path(self.folder()) / "latents.json"),
                                              JSON_FILTER)
        chosen = self._chose(path, ".json")
        if chosen:
            self.save_latents(chosen)

    def save_latents(self, path: Path) -> bool:
        try:
            files.save(path, self.studio.to_file())
        except OutputError as exc:
            self._report(exc)
            return False
        self._done(f"Saved {path.name}")
        return True

    def load_latents_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self._parent, "Load latents", self.folder(),
                                              JSON_FILTER)
        if self._chose(path):
            self.load_latents(Path(path))

    def load_latents(self, path: Path) -> bool:
        studio = self.studio
        if not studio.ready:
            self.hooks.message(f"Open a model before loading {path.name}.", "error")
            return False
        try:
            data = files.load(path, studio.state.latent_dim)
        except files.LatentFileError as exc:
            self._report(exc)
            return False
        misfit = studio.misfit_weights(data)  # said, not refused: z still fits
        # The studio announces what the file changed; every view re-reads it from there.
        self.hooks.record(f"Load {path.name}", lambda: studio.apply_file(data))
        self._done(f"Loaded {path.name}" + (f"; {misfit}" if misfit else ""),
                   8000 if misfit else 4000)
        return True

    # -- images ------------------------------------------------------------------------
    def export_png_dialog(self) -> None:
        scale, ok = QInputDialog.getInt(self._parent, "Export PNG", "Scale (pixels per pixel)",
                                        number(self.settings, "export_scale", 16, 1,
                                               MAX_SCALE), 1, MAX_SCALE)
        if not ok:
            return
        self.settings.setValue("export_scale", scale)
        path, _ = QFileDialog.getSaveFileName(self._parent, "Export PNG",
                                              str(Path(self.folder()) / "digit.png"),
                                              "PNG images (*.png)")
        chosen = self._chose(path, ".png")
        if chosen:
            self.export_png(chosen, scale)

    def export_png(self, path: Path, scale: int = 16) -> bool:
        """The frame on screen (digit or grid) as a PNG, `scale` screen pixels per pixel."""
        pixels = self.hooks.pixels()
        return pixels is not None and self._write(path, image_files.save_png, pixels, scale)

    def animation_dialog(self) -> AnimationDialog:
        """The options dialog, filled with last time's choices."""
        formats = animation.available_formats()
        count = animation.default_count(self.hooks.period_s(), 25)
        return AnimationDialog(load_options(self.settings, count, formats), formats,
                               self._parent)

    def export_animation_dialog(self) -> None:
        if not self._has_path("an animation"):
            return
        dialog = self.animation_dialog()
        if dialog.exec() != AnimationDialog.DialogCode.Accepted:
            return
        options = dialog.options()
        save_options(self.settings, options)
        _, suffix, kind = animation.FORMATS[options.fmt]
        path, _ = QFileDialog.getSaveFileName(self._parent, "Export animation",
                                              str(Path(self.folder()) / f"morph{suffix}"),
                                              f"{kind} (*{suffix})")
        chosen = self._chose(path, suffix)
        if chosen:
            self.export_animation(chosen, options)

    def export_animation(self, path: Path, options: animation.AnimationOptions) -> bool:
        """One pass along the keyframes (there and back for ping-pong), `options.count`
        frames spaced by `options.easing`, each drawn by the generator at its (z_t, w_t)."""
        if not self._has_path("an animation"):
            return False
        studio = self.studio
        frames = studio.path_frames(animation.path_times(options.count, options.easing))
        frames = animation.one_pass(frames, studio.mode == "pingpong")
        return self._write(path, animation.save, frames, options, studio.mode != "once")

    def _has_path(self, what: str) -> bool:
        if len(self.studio.path_keys) >= 2:
            return True
        self.hooks.message(f"Add at least two keyframes before exporting {what}.", "error")
        return False

    def export_strip_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self._parent, "Export strip",
                                              str(Path(self.folder()) / "strip.png"),
                                              "PNG images (*.png)")
        chosen = self._chose(path, ".png")
        if chosen:
            self.export_strip(chosen)

    def export_strip(self, path: Path, count: int = 10, scale: int = 4) -> bool:
        if not self._has_path("a strip"):
            return False
        return self._write(path, image_files.save_strip, self.studio.strip(count), scale)

    def _write(self, path: Path, writer, *args) -> bool:
        try:
            writer(path, *args)
        except (OutputError, ValueError) as exc:
            self._report(exc)
            return False
        self._done(f"Exported {path.name}")
        return True

    def copy_image(self) -> bool:
        """Put the frame on the clipboard, enlarged 8× so it pastes at a useful size."""
        pixels = self.hooks.pixels()
        if pixels is None:
            return False
        big = upscale(pixels, 8).copy()
        h, w = big.shape
        image = QImage(big.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
        QGuiApplication.clipboard().setImage(image)
        self.hooks.status("Copied the image", 3000)
        return True
