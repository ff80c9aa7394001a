"""Find the latent that draws a given digit: the encoder's guess, then a short refinement.

    result = find_latent(generator, encoder, image, refine_ms=300)
    result.z, result.class_weights, result.error_before, result.error

The encoder (`encoder.py`) makes one guess in a few milliseconds. Refinement then runs in
ONNX Runtime without gradients (the app has no TensorFlow and the contract ships no
gradient graph): a seeded (1+λ) evolution strategy around the best latent so far. Each
step draws λ candidates at once (one batched generator run), Gaussian steps in z and, for
conditional generators, steps in the logits of the class weights (so every candidate
stays on the simplex); the best candidate replaces the incumbent only if it draws the
target more closely, so the error never grows. The step size follows the one-fifth
success rule: larger after a success, smaller after a failure. It stops at the time
budget, after `max_steps`, or when `cancelled()` says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..models.contract import ModelRunError

POPULATION = 16  # candidates per step: one batched run, ~1 ms for the shipped generators
SIGMA_Z = 0.3  # first step size in z, in the prior's standard deviations
SIGMA_LOGITS = 0.5  # first step size in the class weights' logits
GROW, SHRINK = 1.3, 0.85  # one-fifth rule: 1.3 ** 1 * 0.85 ** 4 ≈ 0.68 < 1 < 1.3 * 0.85 ** 1
SIGMA_MIN, SIGMA_MAX = 1e-3, 2.0


@dataclass(frozen=True)
class Inversion:
    """The latent found for one image.

    z : (latent_dim,) float32; class_weights : (num_classes,) float32 or None;
    reconstruction : (28, 28) float32, the generator's drawing of (z, class_weights);
    error_before / error : mean squared pixel error of the encoder's guess / of the result;
    steps : refinement steps run; seconds : wall time of the whole search.
    """

    z: np.ndarray
    class_weights: np.ndarray | None
    reconstruction: np.ndarray
    error_before: float
    error: float
    steps: int
    seconds: float


def pixel_errors(images: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Mean squared error of each (n, 28, 28) image against the (28, 28) target: (n,)."""
    diff = images.astype(np.float64) - target.astype(np.float64)
    return np.mean(diff * diff, axis=(1, 2))


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def find_latent(generator, encoder, image: np.ndarray, refine_ms: float = 300.0, *,
                seed: int = 0, max_steps: int | None = None, population: int = POPULATION,
                on_improve: Callable[[int, np.ndarray, np.ndarray | None, float], None] | None = None,
                cancelled: Callable[[], bool] | None = None) -> Inversion:
    """Latent (and class weights) whose drawing is closest to `image`.

    generator : a `Generator`; encoder : an `Encoder` made for it; image : (28, 28) in
    [0, 1], ink bright on black (see `preprocess.py`). refine_ms : refinement budget in
    milliseconds (0: the encoder's guess only). on_improve(step, z, weights, error) is
    called after each improving step, for a live view; cancelled() is polled every step.
    Everything returned is finite: an encoder or generator that answers NaN or infinity
    raises `ModelRunError` (one sentence) instead.
    """
    started = time.perf_counter()
    target = np.asarray(image, np.float32)
    if target.shape != (28, 28):
        raise ValueError(f"image must have shape (28, 28), got {target.shape}")
    if not np.isfinite(target).all():
        raise ValueError("image must be finite")
    z_all, w_all = encoder.encode(target[None])  # finite, or ModelRunError
    z, w = z_all[0], (None if w_all is None else w_all[0])
    recon = generator.generate_background(z[None], None if w is None else w[None])[0]
    error_before = best = float(pixel_errors(recon[None], target)[0])
    if not np.isfinite(error_before):
        raise ModelRunError(generator.path, "drew NaN or infinite values for the latent the "
                                            "encoder found, so no digit was found")

    rng = np.random.default_rng(seed)
    deadline = started + max(0.0, refine_ms) / 1000.0
    sigma_z, sigma_l = SIGMA_Z, SIGMA_LOGITS
    logits = None if w is None else np.log(np.maximum(w, 1e-6)).astype(np.float64)
    steps = 0
    while time.perf_counter() < deadline and (max_steps is None or steps < max_steps):
        if cancelled is not None and cancelled():
            break
        steps += 1
        zs = (z[None] + sigma_z * rng.standard_normal((population, z.size))).astype(np.float32)
        ws = None
        if logits is not None:
            moves = sigma_l * rng.standard_normal((population, logits.size))
            moves[::2] = 0.0  # half the candidates keep the digit and move only the style
            ws = _softmax(logits[None] + moves)
        images = generator.generate_background(zs, ws)
        # A candidate drawn with NaN never wins (NaN < best is False, but so is every
        # comparison after it): its error is infinite.
        errors = np.nan_to_num(pixel_errors(images, target), nan=np.inf)
        k = int(np.argmin(errors))
        if errors[k] < best:
            best, z, recon = float(errors[k]), zs[k], images[k]
            if ws is not None:
                w, logits = ws[k], np.log(np.maximum(ws[k], 1e-6)).astype(np.float64)
            sigma_z, sigma_l = min(sigma_z * GROW, SIGMA_MAX), min(sigma_l * GROW, SIGMA_MAX)
            if on_improve is not None:
                on_improve(steps, z.copy(), None if w is None else w.copy(), best)
        else:
            sigma_z, sigma_l = max(sigma_z * SHRINK, SIGMA_MIN), max(sigma_l * SHRINK, SIGMA_MIN)
    return Inversion(z=np.asarray(z, np.float32), class_weights=None if w is None else np.asarray(w, np.float32),
                     reconstruction=np.asarray(recon, np.float32), error_before=error_before,
                     error=best, steps=steps, seconds=time.perf_counter() - started)
