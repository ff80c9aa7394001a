"""Digits that are not MNIST's, for checking Find a digit: `python scripts/heldout_digits.py [--out PATH]`.

Renders the ten digits with typefaces (sans, serif, mono, handwriting-like, script), in
several stroke widths (font weights, Pillow's `stroke_width`, morphological thickening and
thinning), turned, sheared, scaled and moved a little, then either as a drawing-pad canvas
or as a "photo" (a bigger picture, either polarity, mid-grey or uneven paper, blur, noise,
JPEG). Every raw picture then goes through the app's own preprocessing exactly as a
dropped file does (`digit_contract.preprocess.decode` of the PNG or JPEG bytes, then
`digit_from_array`), and the resulting 28×28 digits are saved as one compact file,
docs/results/heldout-digits.npz, so that CI and readers need no fonts:

    images       (n, 28, 28) uint8, the preprocessed digit × 255 (as training/own_data.py stores it)
    labels       (n,) int64, the digit drawn, 0–9 balanced in each split
    split        (n,) str, "dev" (used while tuning the search) or "heldout" (only evaluated)
    font, stroke, augment, kind   (n,) str, how each picture was made
    description  (n,) str, the four joined, one line per picture

The two splits share no typeface family and use different seeds. Deterministic: the same
fonts and Pillow give the same arrays (`build()` is what the test compares with the file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, not installed
from training.font_digits import render  # noqa: E402 - the drawing, shared with the reader

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "heldout-digits.npz"
PER_SPLIT = 1000  # 100 of each digit per split
SEEDS = {"dev": 1001, "heldout": 2002}
_URW = "/usr/share/fonts/opentype/urw-base35/"
_DJV = "/usr/share/fonts/truetype/dejavu/"
# family -> font files. Families never cross splits: tuning on one typeface says nothing
# about how its near-copies fare, so the held-out numbers are about unseen shapes.
FONTS = {
    "dev": {
        "DejaVu Sans": [_DJV + f for f in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf",
                                           "DejaVuSans-ExtraLight.ttf", "DejaVuSansCondensed.ttf",
                                           "DejaVuSans-Oblique.ttf")],
        "Nimbus Roman": [_URW + f for f in ("NimbusRoman-Regular.otf", "NimbusRoman-Bold.otf",
                                            "NimbusRoman-Italic.otf")],
        "URW Bookman": [_URW + f for f in ("URWBookman-Light.otf", "URWBookman-Demi.otf",
                                           "URWBookman-LightItalic.otf")],
        "Nimbus Mono PS": [_URW + f for f in ("NimbusMonoPS-Regular.otf", "NimbusMonoPS-Bold.otf")],
        "Noto Sans Mono": ["/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf",
                           "/usr/share/fonts/truetype/noto/NotoSansMono-Bold.ttf"],
        "P052": [_URW + f for f in ("P052-Roman.otf", "P052-Bold.otf", "P052-Italic.otf")],
        "Humor Sans": ["/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf"],
    },
    "heldout": {
        "DejaVu Serif": [_DJV + f for f in ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf",
                                            "DejaVuSerifCondensed.ttf", "DejaVuSerif-Italic.ttf")],
        "Nimbus Sans": [_URW + f for f in ("NimbusSans-Regular.otf", "NimbusSans-Bold.otf",
                                           "NimbusSansNarrow-Regular.otf", "NimbusSans-Italic.otf")],
        "URW Gothic": [_URW + f for f in ("URWGothic-Book.otf", "URWGothic-Demi.otf",
                                          "URWGothic-BookOblique.otf")],
        "C059": [_URW + f for f in ("C059-Roman.otf", "C059-Bold.otf", "C059-Italic.otf")],
        "DejaVu Sans Mono": [_DJV + f for f in ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf")],
        "Comic Neue": ["/usr/share/fonts/opentype/comic-neue/" + f
                       for f in ("ComicNeue-Light.otf", "ComicNeue-Regular.otf",
                                 "ComicNeue-Bold.otf", "ComicNeue-Italic.otf")],
        "Z003": [_URW + "Z003-MediumItalic.otf"],
    },
}


def missing_fonts() -> list[str]:
    """Font files this machine lacks (then `build` cannot run)."""
    return [f for split in FONTS.values() for files in split.values() for f in files
            if not Path(f).is_file()]


def build_split(split: str, count: int = PER_SPLIT) -> dict[str, np.ndarray]:
    """The first `count` (of PER_SPLIT) preprocessed digits of one split, from its own seed."""
    rng = np.random.default_rng(SEEDS[split])
    families = list(FONTS[split])
    cols: dict[str, list] = {k: [] for k in ("images", "labels", "font", "stroke", "augment", "kind")}
    for i in range(count):
        digit = i % 10
        family = families[(i // 10) % len(families)]  # every family draws every digit
        file = FONTS[split][family][int(rng.integers(len(FONTS[split][family])))]
        image, (stroke_text, augment_text, kind_text) = render(file, digit, rng)
        cols["images"].append(np.round(image * 255).astype(np.uint8))
        cols["labels"].append(digit)
        cols["font"].append(f"{family} ({Path(file).stem.split('-')[-1]})")
        cols["stroke"].append(stroke_text)
        cols["augment"].append(augment_text)
        cols["kind"].append(kind_text)
    out = {"images": np.stack(cols["images"]), "labels": np.array(cols["labels"], np.int64)}
    for k in ("font", "stroke", "augment", "kind"):
        out[k] = np.array(cols[k])
    out["split"] = np.array([split] * count)
    return out


def build() -> dict[str, np.ndarray]:
    """Both splits, dev first: the arrays saved in the file."""
    parts = [build_split(s) for s in ("dev", "heldout")]
    out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    out["description"] = np.array([" | ".join(row) for row in zip(
        out["font"], out["stroke"], out["augment"], out["kind"])])
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args()
    missing = missing_fonts()
    if missing:
        raise SystemExit(f"missing fonts (Debian: fonts-dejavu, fonts-urw-base35, fonts-noto-mono, "
                         f"fonts-comic-neue, fonts-humor-sans): {', '.join(missing[:3])}…")
    arrays = build()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(f"{args.out}: {len(arrays['labels'])} digits, {args.out.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
