"""`FileActions`: the File menu — open, recent models, latents, exports (PNG, animation,
strip), copy — and drops.

Each action has a dialog half (`*_dialog`, asks for a path) and a direct half that takes
the path, which is what tests and scripts call. Errors go to the window's message bar; no
dialog blocks on failure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QMimeData, QObject, QSettings
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenuBar, QStatusBar

from ..core import animation, export, files
from ..core.paths import models_dir
from digit_contract.atomic import OutputError
from digit_contract.reading import resolve_path
from .animation_dialog import AnimationDialog, load_options, save_options
from .plain_text import menu_text, tooltip
from .settings import number, recent_models, remember_model, value

ONNX_FILTER = "ONNX models (*.onnx);;All files (*)"
JSON_FILTER = "Digit Studio latents (*.json);;All files (*)"


class FileHost(Protocol):
    """What the File menu uses of its window, and nothing else (MainWindow provides it).

    The window is the dialogs' parent and owns the menu bar and status bar; the rest are
    the collaborators the actions work on.
    """

    settings: QSettings
    studio: object  # core.studio.Studio
    history: object  # views.history.History: record(text, change)
    scheduler: object  # views.frame_scheduler.FrameScheduler: flush()
    playback: object  # views.playback.PlaybackClock: period_s
    ui: object  # views.window_layout.WindowUi: digit_view

    def menuBar(self) -> QMenuBar: ...  # noqa: N802 - Qt's name
    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - Qt's name
    def close(self) -> bool: ...
    def show_message(self, text: str, kind: str = "error") -> None: ...
    def open_model(self, path: str | Path) -> bool: ...
    def refresh_model_state(self) -> None: ...


class FileActions(QObject):
    """Owns the File menu of `window`, through the `FileHost` interface only."""

    def __init__(self, window: FileHost):
        super().__init__(window)
        self.w = window
        menu = window.menuBar().addMenu("&File")
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
        self._add(menu, "&Quit", window.close, QKeySequence.Quit)
        # Enabled only while a model is loaded (MainWindow.refresh_model_state).
        self.model_actions = [save, load, png, gif, strip, copy]

    def _add(self, menu, text, slot, shortcut) -> QAction:
        action = QAction(text, self.w)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def folder(self) -> str:
        """Where the last file dialog was (the models folder at first)."""
        return value(self.w.settings, "last_folder", str(models_dir()))

    def _chose(self, path: str, suffix: str = "") -> Path | None:
        """The chosen file, remembered as where the next dialog starts; a name typed
        without an extension takes `suffix`, the chosen format's."""
        if not path:
            return None
        self.w.settings.setValue("last_folder", str(Path(path).parent))
        path = Path(path)
        return path.with_name(path.name + suffix) if suffix and not path.suffix else path

    def _report(self, exc: Exception) -> None:
        self.w.show_message(str(exc))

    def _done(self, text: str, ms: int = 4000) -> None:
        """Say what was done; an error left by an earlier try is stale now."""
        self.w.show_message("", "done")
        self.w.statusBar().showMessage(text, ms)

    # -- models ---------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Open model", self.folder(), ONNX_FILTER)
        if self._chose(path):
            self.open_path(Path(path))

    def open_path(self, path: Path) -> bool:
        """A dropped or chosen file: a model (.onnx) or a latent file (.json)."""
        if path.suffix.lower() == ".json":
            return self.load_latents(path)
        return self.w.open_model(path)

    def remember(self, path: Path) -> None:
        remember_model(self.w.settings, path)
        self.w.settings.setValue("last_model", str(resolve_path(path)))

    def _on_recent_about_to_show(self) -> None:
        self.recent_menu.clear()
        recent = recent_models(self.w.settings)
        for entry in recent:
            action = self.recent_menu.addAction(menu_text(Path(entry).name))
            action.setToolTip(tooltip(entry))
            action.triggered.connect(lambda _=False, p=entry: self.w.open_model(p))
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
        path, _ = QFileDialog.getSaveFileName(self.w, "Save latents",
                                              str(Path(self.folder()) / "latents.json"),
                                              JSON_FILTER)
        chosen = self._chose(path, ".json")
        if chosen:
            self.save_latents(chosen)

    def save_latents(self, path: Path) -> bool:
        try:
            files.save(path, self.w.studio.to_file())
        except OutputError as exc:
            self._report(exc)
            return False
        self._done(f"Saved {path.name}")
        return True

    def load_latents_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Load latents", self.folder(),
                                              JSON_FILTER)
        if self._chose(path):
            self.load_latents(Path(path))

    def load_latents(self, path: Path) -> bool:
        if not self.w.studio.ready:
            self.w.show_message(f"Open a model before loading {path.name}.")
            return False
        try:
            data = files.load(path, self.w.studio.state.latent_dim)
        except files.LatentFileError as exc:
            self._report(exc)
            return False
        misfit = self.w.studio.misfit_weights(data)  # said, not refused: z still fits
        self.w.history.record(f"Load {path.name}", lambda: self.w.studio.apply_file(data))
        self.w.refresh_model_state()
        self._done(f"Loaded {path.name}" + (f"; {misfit}" if misfit else ""),
                   8000 if misfit else 4000)
        return True

    # -- images ------------------------------------------------------------------------
    def _current_pixels(self):
        self.w.scheduler.flush()
        return self.w.ui.digit_view.pixels()

    def export_png_dialog(self) -> None:
        scale, ok = QInputDialog.getInt(self.w, "Export PNG", "Scale (pixels per pixel)",
                                        number(self.w.settings, "export_scale", 16, 1,
                                               export.MAX_SCALE), 1,
                                        export.MAX_SCALE)
        if not ok:
            return
        self.w.settings.setValue("export_scale", scale)
        path, _ = QFileDialog.getSaveFileName(self.w, "Export PNG",
                                              str(Path(self.folder()) / "digit.png"),
                                              "PNG images (*.png)")
        chosen = self._chose(path, ".png")
        if chosen:
            self.export_png(chosen, scale)

    def export_png(self, path: Path, scale: int = 16) -> bool:
        """The frame on screen (digit or grid) as a PNG, `scale` screen pixels per pixel."""
        pixels = self._current_pixels()
        return pixels is not None and self._write(path, export.save_png, pixels, scale)

    def animation_dialog(self) -> AnimationDialog:
        """The options dialog, filled with last time's choices."""
        formats = animation.available_formats()
        count = animation.default_count(self.w.playback.period_s, 25)
        return AnimationDialog(load_options(self.w.settings, count, formats), formats, self.w)

    def export_animation_dialog(self) -> None:
        if not self._has_path("an animation"):
            return
        dialog = self.animation_dialog()
        if dialog.exec() != AnimationDialog.DialogCode.Accepted:
            return
        options = dialog.options()
        save_options(self.w.settings, options)
        _, suffix, kind = animation.FORMATS[options.fmt]
        path, _ = QFileDialog.getSaveFileName(self.w, "Export animation",
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
        w = self.w
        frames = w.studio.path_frames(animation.path_times(options.count, options.easing))
        frames = export.animation(frames, w.studio.mode == "pingpong")
        return self._write(path, animation.save, frames, options, w.studio.mode != "once")

    def export_gif(self, path: Path, fps: int = 25, scale: int = 4) -> bool:
        """A GIF of one pass at the current playback speed (linear, `fps`, `scale`)."""
        count = animation.default_count(self.w.playback.period_s, fps)
        return self.export_animation(path, animation.AnimationOptions(fps, count, scale))

    def _has_path(self, what: str) -> bool:
        if len(self.w.studio.path_keys) >= 2:
            return True
        self.w.show_message(f"Add at least two keyframes before exporting {what}.")
        return False

    def export_strip_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.w, "Export strip",
                                              str(Path(self.folder()) / "strip.png"),
                                              "PNG images (*.png)")
        chosen = self._chose(path, ".png")
        if chosen:
            self.export_strip(chosen)

    def export_strip(self, path: Path, count: int = 10, scale: int = 4) -> bool:
        if not self._has_path("a strip"):
            return False
        return self._write(path, export.save_strip, self.w.studio.strip(count), scale)

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
        pixels = self._current_pixels()
        if pixels is None:
            return False
        big = export.upscale(pixels, 8).copy()
        h, w = big.shape
        image = QImage(big.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
        QGuiApplication.clipboard().setImage(image)
        self.w.statusBar().showMessage("Copied the image", 3000)
        return True
