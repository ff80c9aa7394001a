"""Start Digit Studio: `python -m desktop_app [MODEL]` or `digit-studio [MODEL]`.

    digit-studio                         # the shipped exported_models/generator.onnx
    digit-studio path/to/generator.onnx  # any generator that follows the model contract
    digit-studio --screenshot shot.png   # render the main window to a PNG and exit
    digit-studio --self-test             # load the default model offscreen, print JSON, exit

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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if args.self_test or (args.screenshot and headless and sys.platform.startswith("linux")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # An interactive app wants BLAS on one thread: the directions worker then leaves the
    # other core to the UI (and OpenBLAS threads spin badly on a busy 2-core machine).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from .views.app import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
