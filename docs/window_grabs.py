"""Grab the main window at its smallest and at a large size into docs/:
`xvfb-run -a python docs/window_grabs.py [MODEL] [--tab NAME]`.

Writes docs/window-800x600.png and docs/window-1600x1000.png: the shipped generator (or
MODEL) loaded with its classifier, a ten-digit seed, its principal directions computed,
the given tab shown (Explore by default). Settings go to a temporary file, never the
user's. Run under a real X server (xvfb-run) for the platform's own fonts and style; the
offscreen platform also works.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))
SIZES = ((800, 600), (1600, 1000))
SEED = 2_147_483_647  # the largest seed: ten digits in the seed box


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", type=Path)
    parser.add_argument("--tab", default="Explore")
    parser.add_argument("--out", type=Path, default=DOCS, help="folder for the PNGs")
    parser.add_argument("--prefix", default="window")
    args = parser.parse_args()
    os.environ["DIGIT_STUDIO_SETTINGS"] = str(Path(tempfile.mkdtemp()) / "settings.ini")

    from desktop_app.core.models.paths import default_generator
    from desktop_app.views.app import application, wait_for
    from desktop_app.views.main_window import MainWindow

    application()
    window = MainWindow()
    if not window.open_model(args.model or default_generator()):
        print(window.ui.message_bar.text(), file=sys.stderr)
        return 1
    window.show()
    window.latent.set_seed(SEED)
    wait_for(lambda: window.directions is not None and window.ui.latent_sliders.complete, 30)
    if window.studio.clusters:
        wait_for(lambda: window.studio.cluster_digits is not None, 30)
    tabs = window.ui.tabs
    for width, height in SIZES:
        window.resize(width, height)
        if args.tab == "Find a digit":
            window.show_find()
        else:
            tabs.setCurrentIndex([tabs.tabText(i) for i in range(tabs.count())].index(args.tab))
        window.scheduler.flush()
        window.flush_verdict()
        wait_for(lambda: False, 0.3)  # layouts and paints settle
        path = args.out / f"{args.prefix}-{width}x{height}.png"
        window.grab().save(str(path))
        print(f"saved {path}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
