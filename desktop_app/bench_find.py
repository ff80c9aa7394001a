"""The Find-a-digit part of `python -m desktop_app.bench`: encoder and refinement timings,
and how often the redrawn digit is the digit that was given, on real MNIST test digits
(and `heldout_digits`, the typefaces, pens and photos of docs/results/heldout-digits.npz).

Qt-free and TensorFlow-free: MNIST is read from MNIST_DIR (or ../shared/data beside a
checkout) with a ten-line IDX reader; without MNIST or an encoder the keys are left out
and `find_latent_skipped` says why.
"""

from __future__ import annotations

import gzip
import os
import statistics
import time
from pathlib import Path

import numpy as np

from .core.find.encoder import Encoder, encoder_path_for
from .core.find.inversion import find_latent
from .core.models.model_loading import load_reader

REFINE_MS = 400.0  # the app's budget (views/find/worker.py)
HELDOUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "heldout-digits.npz"


def _mnist_test(limit: int) -> tuple[np.ndarray, np.ndarray] | None:
    here = Path(__file__).resolve().parents[1]
    for folder in (os.environ.get("MNIST_DIR"), here.parent / "shared" / "data"):
        if not folder:
            continue
        images, labels = Path(folder) / "t10k-images-idx3-ubyte.gz", Path(folder) / "t10k-labels-idx1-ubyte.gz"
        if images.is_file() and labels.is_file():
            with gzip.open(images) as f:
                x = np.frombuffer(f.read(16 + limit * 784)[16:], np.uint8).reshape(-1, 28, 28)
            with gzip.open(labels) as f:
                y = np.frombuffer(f.read(8 + limit)[8:], np.uint8)
            return x.astype(np.float32) / 255.0, y.astype(np.int64)
    return None


def heldout_digits(split: str = "heldout", limit: int | None = None, path: Path = HELDOUT
                   ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The first `limit` digits of one split ("dev" or "heldout") of the file that
    scripts/heldout_digits.py writes: images (n, 28, 28) float32 in [0, 1], labels (n,),
    and how each was made (font, stroke, augment, kind, description: (n,) str)."""
    with np.load(path) as data:
        rows = np.flatnonzero(data["split"] == split)[:limit]
        info = {k: data[k][rows] for k in ("font", "stroke", "augment", "kind", "description")}
        return data["images"][rows].astype(np.float32) / 255.0, data["labels"][rows], info


def find_latent_numbers(generator, classifier, model: Path, count: int) -> dict:
    """find_latent_encoder_ms_p50, find_latent_refined_ms_p50, find_latent_digit_agreement."""
    enc_path = encoder_path_for(model)
    if not enc_path.is_file():
        return {"find_latent_skipped": f"no encoder beside the model ({enc_path.name})"}
    digits = _mnist_test(count)
    if digits is None or classifier is None:
        return {"find_latent_skipped": "no MNIST test digits (MNIST_DIR) or no classifier"}
    encoder = Encoder.from_path(enc_path, generator=generator)
    reader, problem = load_reader(model)  # as the Find tab: the reader reads the input
    images, labels = digits
    fast, slow, redrawn = [], [], []
    for img in images:
        t = time.perf_counter()
        find_latent(generator, encoder, img, refine_ms=0)
        fast.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        redrawn.append(find_latent(generator, encoder, img, refine_ms=REFINE_MS,
                                   classifier=classifier, reader=reader).reconstruction)
        slow.append((time.perf_counter() - t) * 1000)
    agree = np.argmax(classifier.probs(np.stack(redrawn)), 1) == labels
    return {"find_latent_encoder_ms_p50": round(statistics.median(fast), 3),
            "find_latent_refined_ms_p50": round(statistics.median(slow), 1),
            "find_latent_digit_agreement": round(float(np.mean(agree)), 4),
            "find_latent_digits": len(images),
            "find_latent_reader": problem or (None if reader is None else reader.path.name)}
