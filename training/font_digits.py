"""Digits drawn from typefaces, made to look like what people hand the app: a pen's or
a pencil's stroke, a drawing-pad canvas or a photo of paper.

    image, how = render(font_file, digit, rng)   # (28, 28) float32, as a dropped file gives it

`glyph` draws the digit with the font, its stroke as drawn, outlined like a felt pen,
thickened or thinned; `transform` turns, shears, scales and moves it; `as_file` hands it
over as the PNG of a drawing pad or the JPEG of a photo (paper of any grey, uneven light,
blur, noise). `render` then runs the app's own preprocessing on those bytes
(`digit_contract.preprocess`), exactly as a dropped file. scripts/heldout_digits.py builds
the held-out check of Find a digit with it; the reader (`training.reader`) trains on it,
with other typefaces. NumPy and Pillow only.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from digit_contract.preprocess import decode, digit_from_array

SIDE = 256  # the glyph is rendered about 150 px tall on this square
STROKES = ("font", "pen", "thick", "thin")


def glyph(file: str, digit: int, stroke: str, rng: np.random.Generator) -> tuple[Image.Image, str]:
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


def transform(im: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
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


def as_file(ink: Image.Image, rng: np.random.Generator) -> tuple[bytes, str]:
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


def render(file: str, digit: int, rng: np.random.Generator) -> tuple[np.ndarray, tuple[str, str, str]]:
    """One digit of one font file as the app reads it: (28, 28) float32 in [0, 1], and how it
    was made (stroke, transform, kind of picture)."""
    ink, stroke_text = glyph(file, digit, STROKES[int(rng.integers(len(STROKES)))], rng)
    ink, transform_text = transform(ink, rng)
    data, kind_text = as_file(ink, rng)
    return digit_from_array(decode(data)), (stroke_text, transform_text, kind_text)
