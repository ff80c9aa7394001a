"""Application start-up: which model to open, and the --screenshot / --self-test modes."""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QBuffer, QEventLoop, QIODevice, QTimer, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from digit_contract.atomic import OutputError, describe, write_bytes_atomic
from ..core.models.paths import default_generator
from .files import qt_settings_folder
from .files.settings import APPLICATION, ORGANIZATION, value
from .main_window import MainWindow

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _quiet_offscreen(mode, context, message: str) -> None:
    # The offscreen platform warns about window hints it cannot honour on every show;
    # everything else still reaches stderr.
    if "propagateSizeHints" not in message:
        print(message, file=sys.stderr)


def application() -> QApplication:
    if QApplication.instance() is None:
        qInstallMessageHandler(_quiet_offscreen)
    qt_settings_folder.keep_private()  # Qt's file dialog never touches the user's files
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    return app


def initial_model(window: MainWindow, requested: Path | None) -> Path | None:
    """The model to open first: the one asked for, the shipped one, else the last one used."""
    if requested is not None:
        return requested
    shipped = default_generator()
    if shipped.is_file():
        return shipped
    last = value(window.settings, "last_model", "", str)
    return Path(last) if last and Path(last).is_file() else None


def launch(requested: Path | None = None) -> MainWindow:
    """A shown main window with the initial model loaded (or the empty state explained)."""
    window = MainWindow()
    path = initial_model(window, requested)
    if path is None:
        window.show_message(f"No model found at {default_generator()}: open one with "
                            f"File → Open (Ctrl+O) or drop a .onnx file here. It will "
                            f"open by itself once exported there.", "info")
        window.watch_files([default_generator()])
    elif not window.open_model(path):
        window.watch_files([Path(path)])  # a file being re-exported opens once it is whole
    say_settings_notice(window)
    window.show()
    return window


def say_settings_notice(window: MainWindow) -> None:
    """Say once, on stderr and in the window, that settings are read-only or not kept this
    run (and why); the message bar's own message, if any, keeps its place."""
    notice = getattr(window.settings, "notice", None)
    if not notice:
        return
    print(notice, file=sys.stderr)
    if window.ui.message_bar.text():
        window.statusBar().showMessage(notice, 15_000)
    else:
        window.show_message(notice, "notice")


def wait_for(condition, timeout_s: float) -> bool:
    """Run the event loop until `condition()` or the timeout; True if the condition held."""
    loop = QEventLoop()
    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            return False
        loop.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.001)
    return True


def save_screenshot(window: MainWindow, path: Path) -> None:
    """Grab the whole window (after the first frame and the directions) into a PNG."""
    window.resize(1200, 800)
    if window.studio.ready:
        wait_for(lambda: window.directions is not None, 10.0)
        wait_for(lambda: window.ui.latent_sliders.complete, 5.0)
    window.scheduler.flush()
    window.flush_verdict()
    wait_for(lambda: False, 0.1)  # let layouts and paints settle
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    window.grab().save(buf, "PNG")
    # An existing file is replaced only if it is a PNG (an earlier screenshot, say).
    write_bytes_atomic(path, bytes(buf.data()), replace=is_png)


def is_png(path: Path) -> bool:
    """True if the regular file at `path` starts with the PNG signature."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return False
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode) and os.read(fd, 8) == PNG_SIGNATURE
    finally:
        os.close(fd)


def self_test(window: MainWindow, frames: int = 60) -> dict:
    """Render frames along the principal directions and a seed sweep; summarise."""
    summary: dict = {"ok": False, "model": None, "errors": []}
    studio = window.studio
    if not studio.ready:
        summary["errors"].append(window.ui.message_bar.text() or "no model loaded")
        return summary
    gen = studio.generator
    summary.update(model=str(gen.path), latent_dim=gen.latent_dim,
                   conditional=gen.conditional, num_classes=gen.num_classes,
                   classes=gen.info.classes if gen.conditional else None,
                   architecture=gen.info.architecture,
                   classifier=str(studio.classifier.path) if studio.classifier else None)
    if not wait_for(lambda: window.directions is not None, 30.0):
        summary["errors"].append("principal directions were not ready within 30 s")
    times, digests = [], set()
    for i in range(frames):
        start = time.perf_counter()
        if i % 2 and window.directions is not None:
            studio.set_coeff(i % window.directions.count, ((i % 7) - 3) / 1.5)
        else:
            studio.set_seed(i)
        window.scheduler.flush()
        times.append((time.perf_counter() - start) * 1000.0)
        pixels = window.ui.digit_view.pixels()
        if pixels is None:
            summary["errors"].append(f"frame {i} was not drawn")
            break
        digests.add(hash(pixels.tobytes()))
    window.flush_verdict()
    summary.update(frames=len(times), distinct_frames=len(digests),
                   frame_ms_mean=round(float(np.mean(times)), 3) if times else None,
                   frame_ms_max=round(float(np.max(times)), 3) if times else None,
                   directions=window.directions.count if window.directions else 0,
                   verdict=getattr(window.ui.verdict.verdict, "digit", None))
    if len(digests) < 2:
        summary["errors"].append("every frame looked the same: the model ignores its latent")
    summary["ok"] = not summary["errors"]
    return summary


def one_line(text: str) -> str:
    """`text` with any newline or other control character shown as ? (one line on stderr)."""
    return "".join(c if c.isprintable() else "?" for c in text)


def screenshot_problem(path: Path) -> str | None:
    """Why `--screenshot PATH` cannot be written, as one sentence, or None if it can."""
    shown = one_line(str(path))
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        return (f"Cannot write the screenshot {shown}: the folder {one_line(str(folder))} "
                "does not exist.")
    why = describe(path)
    if why is not None:
        return f"Cannot write the screenshot {shown}: {why}."
    if path.exists() and not is_png(path):
        return (f"Cannot write the screenshot {shown}: a file that is not a PNG is there, "
                "and it is left alone (choose another name).")
    return None


def run(args) -> int:
    """Entry point behind `python -m desktop_app`; returns the process exit code (2: a
    command-line argument is refused, before any window opens)."""
    if args.screenshot:
        problem = screenshot_problem(args.screenshot)
        if problem:
            print(problem, file=sys.stderr)
            return 2
    app = application()
    window = launch(args.model)
    if args.exit_after_first_paint:
        window.ui.digit_view.painted.connect(lambda: (print("first-paint", flush=True),
                                                   app.exit(0)))
        QTimer.singleShot(30_000, lambda: app.exit(3))
        code = app.exec() if window.studio.ready else 2
        window.directions_worker.shutdown()  # exiting mid-computation would abort
        return code
    if args.self_test:
        summary = self_test(window)
        print(json.dumps(summary))
        if not summary["ok"]:  # the reason as one line for a person, beside the JSON
            print(summary["errors"][0], file=sys.stderr)
        window.close()
        return 0 if summary["ok"] else 1
    if args.screenshot:
        try:
            save_screenshot(window, args.screenshot)
        except OutputError as exc:
            print(one_line(str(exc)), file=sys.stderr)
            window.close()
            return 2  # the path given on the command line is the problem
        print(f"saved {args.screenshot}")
        window.close()
        return 0
    code = app.exec()
    window.directions_worker.shutdown()
    return code
