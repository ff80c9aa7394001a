"""Still images as files: one uint8 grey image, or a strip of frames, as a PNG
(animation.py writes the animated GIF, APNG and WebP files).

Every file is written atomically (digit_contract.atomic): on any error no partial file is
left and an existing file of the same name is untouched. Pillow is imported only when
exporting, so it costs nothing at start-up.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from digit_contract.atomic import write_bytes_atomic
from ..pixels import tile, upscale


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
