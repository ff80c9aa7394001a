"""Animated exports of a keyframe path: options, eased times, and GIF / APNG / WebP files.

The export is pure: `path_times` says where on the path each frame sits, the caller has
the generator draw every one of them at (z_t, w_t) (`Studio.path_frames`), and `encode`
turns the uint8 frames into file bytes. No frame is ever a blend of two pictures; easing
only moves the t of each frame, never the ends (t = 0 and t = 1 are always drawn).

Formats are offered only where this Pillow can write them (`available_formats`): GIF and
APNG are built in, animated WebP needs Pillow's libwebp (`PIL.features.check("webp")`).
Pillow is imported only when exporting or asking, so it costs nothing at start-up.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digit_contract.atomic import write_bytes_atomic
from ..pixels import MAX_SCALE, upscale

EASINGS = ("linear", "ease-in-out")
# name -> (Pillow format, file suffix, what the file dialog calls it)
FORMATS = {"GIF": ("GIF", ".gif", "GIF animations"),
           "APNG": ("PNG", ".png", "Animated PNG"),
           "WebP": ("WEBP", ".webp", "WebP animations")}
MAX_FPS = 60
MAX_FRAMES = 2000


@dataclass(frozen=True)
class AnimationOptions:
    """What the user chose: `fps` frames per second (1..60), `count` frames in one pass
    (2..MAX_FRAMES), `scale` pixels per generator pixel (1..MAX_SCALE), `easing` one of
    EASINGS, `fmt` a key of FORMATS."""

    fps: int = 25
    count: int = 50
    scale: int = 4
    easing: str = "linear"
    fmt: str = "GIF"

    def __post_init__(self) -> None:
        if not 1 <= self.fps <= MAX_FPS:
            raise ValueError(f"frames per second must be 1..{MAX_FPS}, got {self.fps}")
        if not 2 <= self.count <= MAX_FRAMES:
            raise ValueError(f"an animation needs 2..{MAX_FRAMES} frames, got {self.count}")
        if not 1 <= self.scale <= MAX_SCALE:
            raise ValueError(f"scale must be 1..{MAX_SCALE}, got {self.scale}")
        if self.easing not in EASINGS:
            raise ValueError(f"unknown easing {self.easing!r}; use one of {EASINGS}")
        if self.fmt not in FORMATS:
            raise ValueError(f"unknown format {self.fmt!r}; use one of {tuple(FORMATS)}")

    @property
    def suffix(self) -> str:
        return FORMATS[self.fmt][1]


def one_pass(frames: np.ndarray, pingpong: bool) -> np.ndarray:
    """The frames of one pass (there and back for ping-pong: the ends are not doubled)."""
    return np.concatenate([frames, frames[-2:0:-1]]) if pingpong else frames


def available_formats() -> list[str]:
    """The FORMATS keys this Pillow can write as animations, GIF first."""
    from PIL import Image, features

    Image.init()
    out = []
    for name, (pillow, _, _) in FORMATS.items():
        if pillow not in Image.SAVE_ALL:
            continue
        if name == "WebP" and not features.check("webp"):
            continue
        out.append(name)
    return out


def ease(u: np.ndarray, easing: str) -> np.ndarray:
    """Map evenly spaced u in [0, 1] to t in [0, 1]; 0 -> 0 and 1 -> 1 exactly.

    "ease-in-out" is the half cosine: slow near the keyframes, fastest half-way.
    """
    u = np.clip(np.asarray(u, np.float64), 0.0, 1.0)
    if easing == "linear":
        return u
    if easing == "ease-in-out":
        t = 0.5 - 0.5 * np.cos(np.pi * u)
        t[u == 0.0], t[u == 1.0] = 0.0, 1.0  # exact ends, whatever the rounding
        return t
    raise ValueError(f"unknown easing {easing!r}; use one of {EASINGS}")


def path_times(count: int, easing: str = "linear") -> np.ndarray:
    """(count,) float64 t values for one pass from the first keyframe (t = 0) to the last
    (t = 1), both included, spaced by `easing`."""
    if count < 2:
        raise ValueError(f"an animation needs at least 2 frames, got {count}")
    return ease(np.linspace(0.0, 1.0, count), easing)


def default_count(period_s: float, fps: int) -> int:
    """The frame count that plays one pass in `period_s` seconds at `fps`."""
    return int(min(MAX_FRAMES, max(2, round(period_s * fps))))


def frame_duration_ms(fps: float, fmt: str = "APNG") -> int:
    """How long each frame shows, in milliseconds. GIF stores hundredths of a second (and
    browsers slow anything under 20 ms), so its durations are rounded to 10 ms steps."""
    ms = 1000.0 / max(float(fps), 0.1)
    if fmt == "GIF":
        return max(20, int(round(ms / 10.0)) * 10)
    return max(1, int(round(ms)))


def encode(frames: np.ndarray, options: AnimationOptions, loop: bool = True) -> bytes:
    """The file bytes of uint8 frames (n, h, w) as `options.fmt`, enlarged `options.scale`
    times, each frame shown `frame_duration_ms(options.fps)`. Lossless in every format."""
    from PIL import Image

    frames = np.asarray(frames, np.uint8)
    if frames.ndim != 3 or not 1 <= len(frames) <= MAX_FRAMES:
        raise ValueError(f"an animation needs 1..{MAX_FRAMES} frames of (h, w), "
                         f"got shape {frames.shape}")
    pillow = FORMATS[options.fmt][0]
    images = [Image.fromarray(upscale(f, options.scale)).convert("L") for f in frames]
    duration = frame_duration_ms(options.fps, options.fmt)
    extra: dict = {}
    if pillow == "GIF":
        extra = {"disposal": 1, "optimize": False}
    elif pillow == "WEBP":
        extra = {"lossless": True, "quality": 100, "method": 0}
    if loop:
        extra["loop"] = 0  # 0: forever, in all three formats
    elif pillow != "GIF":
        extra["loop"] = 1  # APNG and WebP: play once (a GIF without the key plays once)
    buf = io.BytesIO()
    images[0].save(buf, format=pillow, save_all=True, append_images=images[1:],
                   duration=duration, **extra)
    return buf.getvalue()


def save(path: str | Path, frames: np.ndarray, options: AnimationOptions,
         loop: bool = True) -> Path:
    """Write the animation atomically; raises `OutputError` (folder) or ValueError."""
    return write_bytes_atomic(path, encode(frames, options, loop))

