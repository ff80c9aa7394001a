"""Generator output as pixels: uint8 grey levels, images tiled into one, and
nearest-neighbour enlargement. Pure NumPy; writing files is image_files.py's and
animation.py's.
"""

from __future__ import annotations

import numpy as np

MAX_SCALE = 64


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


def upscale(image: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour enlargement by an integer factor: every pixel becomes a square."""
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be 1..{MAX_SCALE}, got {scale}")
    return np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)
