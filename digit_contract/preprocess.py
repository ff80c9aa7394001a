"""Any picture of a digit -> a 28×28 image the way MNIST was made: the one preprocessing
that the app's find-a-digit and training's own-data loading share.

    image = load_digit("my_seven.jpg")       # (28, 28) float32 in [0, 1], ink bright on black
    image = digit_from_array(pixels)         # a drawing pad's canvas, a NumPy array

MNIST's recipe (LeCun et al.): grey levels, the digit fitted into a 20×20 box keeping its
aspect ratio, then placed in the 28×28 field so that its centre of mass is the centre.
Before that, a user's picture is made to look like MNIST's: alpha composited on a
background the ink stands out from, a big picture's noise averaged away, polarity detected
by contrast against the paper (dark ink on light or mid-grey paper is inverted: MNIST's
ink is bright), the paper's level taken away (a plane fitted to the border, so an unevenly
lit photo's paper is paper everywhere) and the ink stretched to full range, and the
picture cropped to the ink.

Files: PNG, JPEG, BMP and WebP, any size up to `MAX_PIXELS`, grey or colour, with or
without alpha. Anything else (not an image, empty, all one colour, gigantic, animated) is
refused with `ImageError`, whose text is one sentence naming the file. NumPy does the
maths; Pillow (a dependency of both packages) decodes files and resizes, imported lazily.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np

from .reading import read_capped

FORMATS = ("PNG", "JPEG", "BMP", "WEBP")
MAX_PIXELS = 50_000_000  # a 50-megapixel photo decodes to ~200 MB of RGBA; past that we refuse
MAX_FILE_BYTES = 64 << 20
WORK_SIDE = 1024  # bigger pictures are box-averaged down to this before any float maths
FIELD = 28
BOX = 20
# After polarity and stretching, grey levels under this are paper, not ink: crop and
# centre of mass ignore them (JPEG noise and paper texture would otherwise widen the crop).
INK_THRESHOLD = 0.2
# Less contrast than this (in [0, 1] grey levels) between background and ink is "one colour".
MIN_CONTRAST = 0.08
# Pictures are box-averaged over 1/NOISE_SIDE of their longer side before the ink is found.
NOISE_SIDE = 256


class ImageError(ValueError):
    """A picture that cannot be made into a digit; `str()` is one sentence."""

    def __init__(self, path: str | Path, rule: str):
        self.path = Path(path)
        self.rule = rule
        super().__init__(f"Cannot use {self.path.name}: {rule}.")


def load_digit(path: str | Path) -> np.ndarray:
    """Read an image file and make it MNIST-like: (28, 28) float32 in [0, 1]."""
    path = Path(path)
    data = read_capped(path, MAX_FILE_BYTES, ImageError,
                       "it is larger than the {mib} MiB an image file may be")
    if not data:
        raise ImageError(path, "the file is empty")
    return digit_from_array(decode(data, path), path)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Ancillary PNG chunks that carry no pixels: text and the colour profile. A picture whose
# text or profile is too large for Pillow's safety limit is still a picture of a digit.
_PNG_METADATA = {b"tEXt", b"zTXt", b"iTXt", b"iCCP"}


def _without_png_metadata(data: bytes) -> bytes:
    """A PNG's bytes less its text and colour-profile chunks; anything else unchanged
    (other formats, and a PNG whose chunk structure does not add up, which Pillow judges)."""
    if not data.startswith(PNG_SIGNATURE):
        return data
    kept, at = [PNG_SIGNATURE], len(PNG_SIGNATURE)
    while at + 12 <= len(data):
        length = int.from_bytes(data[at:at + 4], "big")
        end = at + 12 + length
        if end > len(data):
            return data
        if data[at + 4:at + 8] not in _PNG_METADATA:
            kept.append(data[at:end])
        if data[at + 4:at + 8] == b"IEND":
            return b"".join(kept)
        at = end
    return data


def decode(data: bytes, path: Path = Path("<image>")) -> np.ndarray:
    """Image bytes -> (h, w, 2) float32: grey level and alpha, each in [0, 1]."""
    from PIL import Image, ImageOps

    data = _without_png_metadata(data)

    with warnings.catch_warnings():
        # Pillow warns (and from 2x its limit, raises) on decompression bombs; both are ours to refuse.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(io.BytesIO(data), formats=FORMATS)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise ImageError(path, f"it is gigantic (more than {MAX_PIXELS // 1_000_000} "
                                   f"megapixels)") from None
        except Exception:  # noqa: BLE001 - Pillow raises several types for a non-image
            raise ImageError(path, "it is not a PNG, JPEG, BMP or WebP image") from None
        with im:
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise ImageError(path, f"it is gigantic ({w}×{h} pixels, more than "
                                       f"{MAX_PIXELS // 1_000_000} megapixels)")
            if getattr(im, "n_frames", 1) > 1:
                raise ImageError(path, "it is animated; use a still picture of one digit")
            try:
                im = ImageOps.exif_transpose(im)  # a phone photo as the user sees it
                if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit or float grey
                    im = _shrunk(im.convert("F"))
                    grey = np.asarray(im, np.float32)
                    top = 65535.0 if grey.max() > 255 else 255.0
                    grey = np.clip(grey / top, 0, 1)
                    alpha = np.ones_like(grey)
                else:
                    rgba = np.asarray(_shrunk(im.convert("RGBA")), np.float32) / 255.0
                    grey = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
                    alpha = rgba[..., 3]
            except Exception as exc:  # noqa: BLE001 - truncated or corrupt pixel data
                raise ImageError(path, f"it cannot be decoded ({_first_line(exc)})") from None
    return np.stack([grey, alpha], axis=-1).astype(np.float32)


def _first_line(exc: BaseException, limit: int = 80) -> str:
    """An exception as one short line (Pillow's messages can span lines)."""
    lines = str(exc).strip().splitlines()
    line = lines[0].strip() if lines else type(exc).__name__
    return line if len(line) <= limit else line[:limit - 1] + "…"


def _shrunk(im):
    """`im` with its longer side at most `WORK_SIDE` (box-averaged): the digit ends up 20
    pixels tall anyway, and a 50-megapixel photo as float arrays would take gigabytes."""
    from PIL import Image

    if max(im.size) <= WORK_SIDE:
        return im
    scale = WORK_SIDE / max(im.size)
    size = (max(1, round(im.size[0] * scale)), max(1, round(im.size[1] * scale)))
    return im.resize(size, Image.Resampling.BOX)


def _grey_alpha(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An array in any of the usual layouts -> grey and alpha, float64 in [0, 1]."""
    a = np.asarray(pixels)
    if a.dtype == np.uint8:
        a = a.astype(np.float64) / 255.0
    elif a.dtype == np.uint16:
        a = a.astype(np.float64) / 65535.0
    else:
        a = a.astype(np.float64)
    if a.ndim == 2:
        return a, np.ones_like(a)
    if a.ndim == 3 and a.shape[2] == 2:  # `decode`'s grey + alpha
        return a[..., 0], a[..., 1]
    if a.ndim == 3 and a.shape[2] in (3, 4):
        grey = a[..., :3] @ np.array([0.299, 0.587, 0.114])
        return grey, (a[..., 3] if a.shape[2] == 4 else np.ones_like(grey))
    raise ValueError(f"an image must be (h, w), (h, w, 2), (h, w, 3) or (h, w, 4), not {a.shape}")


def digit_from_array(pixels: np.ndarray, path: str | Path = "<image>") -> np.ndarray:
    """Grey (h, w), grey+alpha (h, w, 2), RGB or RGBA (h, w, 3|4), uint8 or float in [0, 1]
    -> (28, 28) float32 in [0, 1], ink bright on black, MNIST-centred.

    Raises `ImageError` for an image with no digit in it (empty, all one colour).
    """
    grey, alpha = _grey_alpha(pixels)
    if grey.size == 0:
        raise ImageError(path, "the image has no pixels")
    if not np.isfinite(grey).all() or not np.isfinite(alpha).all():
        raise ImageError(path, "the image has NaN or infinite values")
    grey, alpha = np.clip(grey, 0, 1), np.clip(alpha, 0, 1)
    if alpha.max() < 1e-3:
        raise ImageError(path, "it is fully transparent (nothing to find)")
    if alpha.min() < 1.0:
        # Strokes painted on a transparent canvas: composite them on the opposite of their
        # own brightness, so black ink lands on white and white ink on black.
        ink_level = float((grey * alpha).sum() / alpha.sum())
        background = 1.0 if ink_level < 0.5 else 0.0
        grey = grey * alpha + background * (1.0 - alpha)
    grey = _denoised(grey)
    # The paper is what the border mostly shows; the ink is whichever extreme lies farther
    # from it. Judged by contrast, not by level: black ink on mid-grey paper (0.47) and a
    # 16-bit scan that uses only the lower half of its range are both dark ink on paper.
    # A photo's paper is seldom evenly lit, so the paper is a plane fitted to the border,
    # not one level: a sheet lit from one side would otherwise read as ink in its bright half.
    paper = _paper(grey)
    rel = grey - paper
    if -float(rel.min()) > float(rel.max()):  # dark ink: MNIST's ink is bright
        rel = -rel
    peak = float(rel.max())
    if peak < MIN_CONTRAST:
        raise ImageError(path, "it is all one colour (no digit to find)")
    ink = np.clip(rel / peak, 0.0, 1.0)
    ink[ink < INK_THRESHOLD] = 0.0
    return _fit_and_centre(ink)


# MNIST's typical stroke, in pixels of the 28×28 field (median of 2,000 test digits by
# `stroke_width`: 2.35; the middle 90 % lie in 1.7..3.7).
MNIST_STROKE = 2.4


def stroke_width(image: np.ndarray) -> float:
    """Mean stroke width of a (28, 28) digit in pixels: twice its ink over its outline's
    length (a stroke of width w and length L has ink w·L and outline 2·L), the outline
    measured as the total grey-level change along rows and columns times π/4."""
    a = np.asarray(image, np.float64)
    outline = (np.abs(np.diff(a, axis=0)).sum() + np.abs(np.diff(a, axis=1)).sum()) * np.pi / 4
    return float(2.0 * a.sum() / outline) if outline > 0 else 0.0


def _cross(a: np.ndarray, pick) -> np.ndarray:
    """`pick` (np.maximum or np.minimum) over each pixel and its four neighbours."""
    p = np.pad(a, 1)
    h, w = a.shape
    out = a.copy()
    for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
        out = pick(out, p[dy:dy + h, dx:dx + w])
    return out


def mnist_stroke(image: np.ndarray, low: float = 2.0, high: float = 3.2) -> np.ndarray:
    """A (28, 28) digit with its ink and stroke made like MNIST's, for reading it, not showing it.

    A font's hairlines come out of `digit_from_array` faint and thin, a marker's strokes
    fat: the ink is stretched so that most of it is full-bright, then a stroke thinner
    than `low` pixels is thickened (and one thicker than `high` thinned) toward
    MNIST_STROKE by a fraction of one grey-level dilation (erosion) with a plus-shaped
    neighbourhood. `load_digit` does not do this: users' own training pictures keep their
    pens. (28, 28) float32 in [0, 1].
    """
    a = np.asarray(image, np.float64)
    ink = a[a > 0.1]
    if ink.size:
        a = np.clip(a / max(float(np.quantile(ink, 0.7)), 0.3), 0.0, 1.0)
    w = stroke_width(a)
    if 0 < w < low:
        fat = _cross(a, np.maximum)
        t = np.clip((MNIST_STROKE - w) / max(stroke_width(fat) - w, 1e-6), 0.0, 1.0)
        a = a + (fat - a) * t
    elif w > high:
        lean = _cross(a, np.minimum)
        t = np.clip((w - MNIST_STROKE) / max(w - stroke_width(lean), 1e-6), 0.0, 1.0)
        a = a + (lean - a) * t
    return a.astype(np.float32)


def _denoised(grey: np.ndarray) -> np.ndarray:
    """`grey` box-averaged over about 1/256 of its longer side (nothing under 256 pixels).

    A photo's sensor noise and JPEG speckle, stretched with the ink's contrast, would pass
    `INK_THRESHOLD` here and there on the paper and widen the crop; at this radius the
    average removes them and blurs the digit by well under one of the 28 pixels.
    """
    r = max(grey.shape) // NOISE_SIDE
    if r < 1:
        return grey
    k = 2 * r + 1
    padded = np.pad(grey, r, mode="edge")
    c = np.cumsum(np.cumsum(padded, axis=0), axis=1)
    c = np.pad(c, ((1, 0), (1, 0)))
    h, w = grey.shape
    return (c[k:k + h, k:k + w] - c[:h, k:k + w] - c[k:k + h, :w] + c[:h, :w]) / (k * k)


def _paper(grey: np.ndarray) -> np.ndarray | float:
    """The paper's level under every pixel: a plane fitted to the picture's border.

    Robust: the fit starts from the border's median and, twice, refits to the border
    pixels close to the last fit, so ink that touches the edge does not tilt the plane.
    A picture too small to fit a plane on gets the median alone, as does a border whose
    plane would not be a better fit than its median.
    """
    h, w = grey.shape
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    median = float(np.median(border))
    if h < 8 or w < 8:
        return median
    ys = np.concatenate([np.zeros(w), np.full(w, h - 1), np.arange(h), np.arange(h)]) / max(h, w)
    xs = np.concatenate([np.arange(w), np.arange(w), np.zeros(h), np.full(h, w - 1)]) / max(h, w)
    design = np.stack([np.ones_like(xs), xs, ys], axis=1)
    fit = np.zeros_like(border) + median
    for _ in range(2):
        res = np.abs(border - fit)
        keep = res <= max(3.0 * float(np.median(res)), 0.02)
        if keep.sum() < 12:
            return median
        coef = np.linalg.lstsq(design[keep], border[keep], rcond=None)[0]
        fit = design @ coef
    # Flat paper stays exactly the median: pictures that were fine before are unchanged.
    if np.abs(coef[1:]).max() < 0.02:
        return median
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    return coef[0] + coef[1] * xx + coef[2] * yy


def _fit_and_centre(ink: np.ndarray) -> np.ndarray:
    """Crop to the ink, fit into 20×20 keeping the aspect ratio, centre of mass to the middle."""
    from PIL import Image

    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = BOX / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    # BOX averages when shrinking (a photo's thousands of pixels per MNIST pixel), bilinear
    # when enlarging a small drawing; both keep the grey levels inside [0, 1].
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    small = np.asarray(Image.fromarray(crop.astype(np.float32)).resize((nw, nh), resample),
                       np.float64)
    small = np.clip(small, 0.0, 1.0)
    if small.max() > 0:
        small = small / small.max()
    mass = small.sum()
    ys, xs = np.mgrid[0:nh, 0:nw]
    cy, cx = (ys * small).sum() / mass, (xs * small).sum() / mass
    # MNIST puts the centre of mass at the field's centre; the digit stays whole in the field.
    top = int(np.clip(round((FIELD - 1) / 2 - cy), 0, FIELD - nh))
    left = int(np.clip(round((FIELD - 1) / 2 - cx), 0, FIELD - nw))
    out = np.zeros((FIELD, FIELD), np.float32)
    out[top:top + nh, left:left + nw] = small
    return out
