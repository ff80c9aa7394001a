"""Turning generator output into pixels and files: uint8 frames, grids, PNG export
(animation.py writes the animated GIF, APNG and WebP files).

Every file is written atomically (digit_contract.atomic): on any error no partial file is left and an
existing file of the same name is untouched. Pillow is imported only when exporting, so it
costs nothing at start-up.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from digit_contract.atomic import OutputError, write_bytes_atomic

MAX_SCALE = 64
MAX_FRAMES = 2000


def to_uint8(images: np.ndarray) -> np.ndarray:
    """[0, 1] floats -> uint8 grey levels, same shape. Values outside [0, 1] are clipped,
    NaN is black. (fmax/fmin skip NaN: a third of the time of nan_to_num, then clip.)"""
    images = np.fmin(np.fmax(np.asarray(images, np.float32), 0.0), 1.0)
    return (images * 255.0 + 0.5).astype(np.uint8)


def tile(images: np.ndarray, cols: int, gap: int = 0, fill: int = 0) -> np.ndarray:
    """(n, h, w) -> one (rows·(h+gap)-gap, cols·(w+gap)-gap) image, row by row.

    Gaps and empty cells get the grey level `fill` (0 = the background colour).
    """
    n, h, w = images.shape
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    cells = np.full((rows * cols, h + gap, w + gap), fill, images.dtype)
    cells[:n, :h, :w] = images  # each image with its gap below and to the right
    out = cells.reshape(rows, cols, h + gap, w + gap).transpose(0, 2, 1, 3)
    return np.ascontiguousarray(
        out.reshape(rows * (h + gap), cols * (w + gap))[:rows * (h + gap) - gap,
                                                        :cols * (w + gap) - gap])


def animation(frames: np.ndarray, pingpong: bool) -> np.ndarray:
    """The frames of one pass (there and back for ping-pong: the ends are not doubled)."""
    return np.concatenate([frames, frames[-2:0:-1]]) if pingpong else frames


def upscale(image: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour enlargement by an integer factor: every pixel becomes a square."""
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be 1..{MAX_SCALE}, got {scale}")
    return np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)


def png_bytes(image: np.ndarray, scale: int = 1) -> bytes:
    """PNG of one uint8 grey image (h, w), enlarged `scale` times."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(upscale(image, scale), mode=None).convert("L").save(buf, format="PNG")
    return buf.getvalue()


def save_png(path: str | Path, image: np.ndarray, scale: int = 1) -> Path:
    """Write a uint8 grey image (h, w) as PNG at `scale`; raises `OutputError`."""
    return write_bytes_atomic(path, png_bytes(image, scale))


def save_strip(path: str | Path, frames: np.ndarray, scale: int = 4, gap: int = 2) -> Path:
    """Write uint8 frames (n, 28, 28) side by side as one PNG; raises `OutputError`."""
    return save_png(path, tile(frames, cols=len(frames), gap=gap), scale)


__all__ = ["OutputError", "png_bytes", "save_png", "save_strip", "tile", "to_uint8", "upscale"]
