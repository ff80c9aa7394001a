"""Start Digit Studio: `python -m desktop_app [MODEL]` or `digit-studio [MODEL]`.

    digit-studio                         # the shipped exported_models/generator.onnx
    digit-studio path/to/generator.onnx  # any generator that follows the model contract
    digit-studio --screenshot shot.png   # render the main window to a PNG and exit
    digit-studio --self-test             # load the default model offscreen, print JSON, exit

    DIGIT_STUDIO_PIN_CPUS=1 digit-studio  # opt-in CPU pinning (desktop_app/pinning.py)

Imports are kept to what the first painted frame needs (Qt widgets, NumPy, ONNX Runtime);
Pillow loads only on export.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="digit-studio",
        description="Explore how a GAN imagines handwritten digits, in real time.")
    parser.add_argument("model", nargs="?", type=Path,
                        help="a generator .onnx file (default: the shipped generator.onnx)")
    parser.add_argument("--screenshot", type=Path, metavar="PATH",
                        help="render the main window to a PNG at PATH and exit")
    parser.add_argument("--self-test", action="store_true",
                        help="load the model offscreen, render frames, print a JSON summary "
                             "and exit 0 if all is well")
    # For desktop_app.bench: print one line when the first digit is painted, then exit.
    parser.add_argument("--exit-after-first-paint", action="store_true",
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def known_bad_pyside(python: tuple[int, int] | None = None, lookup=None) -> str | None:
    """One sentence if this PySide6 is one the app must not run on, else None.

    PySide6 6.12.0 on Python < 3.12 drops a reference to None on every signal emission;
    after a few thousand slider moves the interpreter aborts. pyproject.toml already keeps
    it out; this catches an environment assembled by hand.
    """
    from importlib.metadata import PackageNotFoundError, version

    python = python or sys.version_info[:2]
    lookup = lookup or version
    for name in ("PySide6-Essentials", "PySide6"):
        try:
            found = lookup(name)
        except PackageNotFoundError:
            continue
        if python < (3, 12) and found.startswith("6.12."):
            return (f"Digit Studio does not run on {name} {found} with Python "
                    f"{python[0]}.{python[1]} (it crashes after a few "
                    f"thousand slider moves); install PySide6-Essentials<6.12 or use "
                    f"Python 3.12 or newer.")
        return None
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    refusal = known_bad_pyside()
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if args.self_test or (args.screenshot and headless and sys.platform.startswith("linux")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # An interactive app wants BLAS on one thread: the directions worker then leaves the
    # other core to the UI (and OpenBLAS threads spin badly on a busy 2-core machine).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # Models are tried in a child process before use (core/models/probe_process.py): started now,
    # its import of ONNX Runtime overlaps the window's start-up instead of following it.
    from .core.models.probe_process import prepare

    prepare()
    # Process-level tuning, opt-in: the one place it is switched on.
    from .pinning import install_from_env

    install_from_env()
    from .views.app import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
