"""Any picture of a digit -> a 28×28 image the way MNIST was made: the one preprocessing
that the app's find-a-digit and training's own-data loading share.

    image = load_digit("my_seven.jpg")       # (28, 28) float32 in [0, 1], ink bright on black
    image = digit_from_array(pixels)         # a drawing pad's canvas, a NumPy array

MNIST's recipe (LeCun et al.): grey levels, the digit fitted into a 20×20 box keeping its
aspect ratio, then placed in the 28×28 field so that its centre of mass is the centre.
Before that, a user's picture is made to look like MNIST's: alpha composited on a
background the ink stands out from, polarity detected by contrast against the paper (dark
ink on light or mid-grey paper is inverted: MNIST's ink is bright), the background level taken away and the ink stretched
to full range, and the picture cropped to the ink.

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
    # The paper is what the border mostly shows; the ink is whichever extreme lies farther
    # from it. Judged by contrast, not by level: black ink on mid-grey paper (0.47) and a
    # 16-bit scan that uses only the lower half of its range are both dark ink on paper.
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    paper = float(np.median(border))
    if paper - float(grey.min()) > float(grey.max()) - paper:  # dark ink: MNIST's ink is bright
        grey = 1.0 - grey
        paper = 1.0 - paper
    background, peak = paper, float(grey.max())
    if peak - background < MIN_CONTRAST:
        raise ImageError(path, "it is all one colour (no digit to find)")
    ink = np.clip((grey - background) / (peak - background), 0.0, 1.0)
    ink[ink < INK_THRESHOLD] = 0.0
    return _fit_and_centre(ink)


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
