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
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, not installed
from digit_contract.preprocess import decode, digit_from_array

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
SIDE = 256  # the glyph is rendered about 150 px tall on this square
STROKES = ("font", "pen", "thick", "thin")


def missing_fonts() -> list[str]:
    """Font files this machine lacks (then `build` cannot run)."""
    return [f for split in FONTS.values() for files in split.values() for f in files
            if not Path(f).is_file()]


def _glyph(file: str, digit: int, stroke: str, rng: np.random.Generator) -> tuple[Image.Image, str]:
    """The digit as ink 255 on 0, (SIDE, SIDE) 'L', and how its stroke was changed."""
    font = ImageFont.truetype(file, 150)
    im = Image.new("L", (SIDE, SIDE), 0)
    width = 0
    if stroke == "pen":  # a felt pen: Pillow draws an outline around the glyph
        width = int(rng.integers(2, 9))
    ImageDraw.Draw(im).text((SIDE / 2, SIDE / 2), str(digit), fill=255, font=font, anchor="mm",
                            stroke_width=width, stroke_fill=255)
    if stroke == "pen":
        return im, f"pen {width}px"
    if stroke == "thick":
        size = int(rng.choice([5, 7, 9, 11]))
        return im.filter(ImageFilter.MaxFilter(size)), f"thickened {size}px"
    if stroke == "thin":
        size = int(rng.choice([3, 5, 7]))
        thin = im.filter(ImageFilter.MinFilter(size))
        # A light face thinned to nothing is no digit: thin it less.
        while np.asarray(thin).max() < 128 or (np.asarray(thin) > 127).sum() < 0.35 * (np.asarray(im) > 127).sum():
            size -= 2
            thin = im.filter(ImageFilter.MinFilter(size)) if size >= 3 else im
            if size < 3:
                break
        return thin, f"thinned {max(size, 1)}px"
    return im, "as drawn"


def _augment(im: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    """Turned ±15°, sheared, scaled (not always evenly) and moved: an affine map."""
    angle = float(rng.uniform(-15, 15))
    shear = float(rng.uniform(-0.25, 0.25))
    sx, sy = float(rng.uniform(0.8, 1.15)), float(rng.uniform(0.8, 1.15))
    dx, dy = float(rng.uniform(-20, 20)), float(rng.uniform(-20, 20))
    a = np.deg2rad(angle)
    fwd = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) @ np.array(
        [[1.0, shear], [0.0, 1.0]]) @ np.diag([sx, sy])
    inv = np.linalg.inv(fwd)
    c = np.array([SIDE / 2, SIDE / 2])
    # Pillow maps each output pixel back to its input: in = inv @ (out - c - d) + c.
    off = c - inv @ (c + np.array([dx, dy]))
    coeffs = (inv[0, 0], inv[0, 1], off[0], inv[1, 0], inv[1, 1], off[1])
    out = im.transform(im.size, Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR)
    return out, f"rot {angle:+.0f}° shear {shear:+.2f} scale {sx:.2f}×{sy:.2f}"


def _as_file(ink: Image.Image, rng: np.random.Generator) -> tuple[bytes, str]:
    """The glyph as the user would hand it over: PNG bytes of a drawing pad or a photo's JPEG."""
    glyph = np.asarray(ink, np.float64) / 255.0
    if rng.random() < 0.35:  # a drawing pad: clean, either polarity, any size
        dark = rng.random() < 0.5
        side = int(rng.integers(140, 400))
        pic = Image.fromarray(np.round((1 - glyph if dark else glyph) * 255).astype(np.uint8))
        pic = pic.resize((side, side), Image.Resampling.BILINEAR)
        buf = io.BytesIO()
        pic.save(buf, "PNG")
        return buf.getvalue(), f"pad {'dark on white' if dark else 'light on black'} {side}px"
    # A photo: the glyph small on a bigger sheet, paper anywhere from dark grey to white.
    h, w = int(rng.integers(300, 640)), int(rng.integers(300, 640))
    size = int(rng.uniform(0.35, 0.8) * min(h, w))
    top, left = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
    mask = np.zeros((h, w))
    mask[top:top + size, left:left + size] = np.asarray(
        Image.fromarray(np.round(glyph * 255).astype(np.uint8)).resize((size, size), Image.Resampling.BILINEAR),
        np.float64) / 255.0
    dark = rng.random() < 0.75
    if dark:  # pencil or pen on paper
        paper = float(rng.uniform(0.45, 0.95))
        ink_level = float(rng.uniform(0.0, paper - 0.3))
    else:  # chalk on a board, a negative
        paper = float(rng.uniform(0.05, 0.45))
        ink_level = float(rng.uniform(paper + 0.35, 1.0))
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    shade = float(rng.uniform(0, 0.18))  # uneven light across the sheet
    gx, gy = rng.normal(size=2)
    sheet = paper + shade * (gx * (xx - 0.5) + gy * (yy - 0.5))
    pic = sheet * (1 - mask) + ink_level * mask
    blur = float(rng.uniform(0.3, 2.5))
    pic = np.asarray(Image.fromarray(np.round(np.clip(pic, 0, 1) * 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(blur)), np.float64) / 255.0
    noise = float(rng.uniform(0.0, 0.05))
    pic = np.clip(pic + noise * rng.standard_normal(pic.shape), 0, 1)
    quality = int(rng.integers(30, 90))
    buf = io.BytesIO()
    Image.fromarray(np.round(pic * 255).astype(np.uint8)).save(buf, "JPEG", quality=quality)
    return buf.getvalue(), (f"photo {'dark ink' if dark else 'light ink'} paper {paper:.2f} "
                            f"uneven {shade:.2f} blur {blur:.1f} noise {noise:.2f} jpeg {quality}")


def build_split(split: str, count: int = PER_SPLIT) -> dict[str, np.ndarray]:
    """The first `count` (of PER_SPLIT) preprocessed digits of one split, from its own seed."""
    rng = np.random.default_rng(SEEDS[split])
    families = list(FONTS[split])
    cols: dict[str, list] = {k: [] for k in ("images", "labels", "font", "stroke", "augment", "kind")}
    for i in range(count):
        digit = i % 10
        family = families[(i // 10) % len(families)]  # every family draws every digit
        file = FONTS[split][family][int(rng.integers(len(FONTS[split][family])))]
        stroke = STROKES[int(rng.integers(len(STROKES)))]
        glyph, stroke_text = _glyph(file, digit, stroke, rng)
        glyph, augment_text = _augment(glyph, rng)
        data, kind_text = _as_file(glyph, rng)
        image = digit_from_array(decode(data))  # what load_digit does with a dropped file
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
