"""Find the latent that draws a given digit: the encoder's guess, then a short refinement.

    result = find_latent(generator, encoder, image, refine_ms=400, classifier=classifier, reader=reader)
    result.z, result.class_weights, result.error_before, result.error

The encoder (`encoder.py`) makes one guess in a few milliseconds. Refinement then runs in
ONNX Runtime without gradients (the app has no TensorFlow and the contract ships no
gradient graph): a seeded (1+λ) evolution strategy around the best latent so far. Each
step draws λ candidates at once (one batched generator run), Gaussian steps in z and, for
the encoder's own guess of a conditional generator, steps in the logits of the class
weights (so every candidate stays on the simplex); the best candidate replaces the
incumbent only if it draws the target more closely. The step size follows the one-fifth
success rule: larger after a success, smaller after a failure. It stops at the time
budget, after `max_steps`, or when `cancelled()` says so.

Several hypotheses, for digits unlike MNIST's. A conditional generator is searched from
the encoder's guess and, side by side in the same batched runs, from the class
(or cluster) the input most likely is, each held fixed as a one-hot class: the
`HYPOTHESES - 1` digits likeliest in the input, or for a cluster model (and without a
classifier) the encoder's top classes. After `PRUNE_STEPS` steps only the best hypothesis
goes on, with the whole population. "Best" is the pixel error plus, when a classifier is
given, a penalty for redrawing a digit the classifier reads differently from the input:
`READ_WEIGHT · -log Σ_d p(d | redrawn) p(d | input)`. With READ_WEIGHT at 0.1 the penalty
outweighs the pixel error's differences (an MSE of 0.01–0.03), so the redrawn digit is,
nearly always, the digit the input is read as: the search's digit agreement is bounded by
that reading (`read_input`). The reader (a classifier trained on pens, typefaces and
photos, `training/reader.py`) reads the input when there is one: the shipped one reads
98.7 % of the held-out digits right, typefaces it never saw, where the classifier, trained
on MNIST as it is, reads 92.2 % even after `mnist_stroke` (docs/results.md). The
classifier always judges the redrawn digits, which are MNIST-like. Without a classifier,
the answer is the smallest pixel error, never worse than the encoder's guess.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from digit_contract.preprocess import mnist_stroke

from ..models.contract import ModelRunError
from ..models.messages import first_line

POPULATION = 16  # candidates per step: one batched run, ~1 ms for the shipped generators
SIGMA_Z = 0.3  # first step size in z, in the prior's standard deviations
SIGMA_LOGITS = 0.5  # first step size in the class weights' logits
GROW, SHRINK = 1.3, 0.85  # one-fifth rule: 1.3 ** 1 * 0.85 ** 4 ≈ 0.68 < 1 < 1.3 * 0.85 ** 1
SIGMA_MIN, SIGMA_MAX = 1e-3, 2.0
HYPOTHESES = 4  # the encoder's guess and three one-hot classes: the true digit is among
# the reader's top three for 99.8 % of the held-out digits (the classifier's: 99.1 %)
PRUNE_STEPS = 20  # steps all hypotheses run (half the population each) before the best goes on
READ_WEIGHT = 0.1  # pixel MSE traded for the classifier's agreement (tuned on development digits)


@dataclass(frozen=True)
class Inversion:
    """The latent found for one image.

    z : (latent_dim,) float32; class_weights : (num_classes,) float32 or None;
    reconstruction : (28, 28) float32, the generator's drawing of (z, class_weights);
    error_before / error : mean squared pixel error of the encoder's guess / of the result
    (with a classifier the result may trade a little pixel error for the right digit);
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


def _read_penalty(classifier, images: np.ndarray, input_probs: np.ndarray | None) -> np.ndarray:
    """(n,) -log of the chance that the classifier reads each image as it reads the input."""
    if classifier is None or input_probs is None:
        return np.zeros(len(images))
    probs = _probs(classifier, images, "judging the redrawn digits")
    return -np.log(np.maximum(probs @ input_probs, 1e-6))


def _probs(model, images: np.ndarray, what: str) -> np.ndarray:
    """(n, 10) float64 probabilities of `model` (a classifier or the reader), checked: a
    failed run, or an answer that is not ten finite numbers per image, is a
    `ModelRunError` in one sentence, never a search that quietly goes nowhere."""
    try:
        probs = np.asarray(model.probs(images), np.float64)
    except Exception as exc:  # noqa: BLE001 - ORT raises its own untyped pybind errors
        raise ModelRunError(getattr(model, "path", "the classifier"),
                            f"failed {what} ({first_line(exc)})") from None
    if probs.shape != (len(images), 10) or not np.isfinite(probs).all():
        raise ModelRunError(getattr(model, "path", "the classifier"),
                            f"gave no ten finite probabilities {what}")
    return probs


def read_input(classifier, image: np.ndarray, reader=None) -> np.ndarray:
    """(10,) float64: which digit the input is. The reader's reading when there is one (it
    was trained for digits unlike MNIST's and reads the input as it is), else the
    classifier's, after `mnist_stroke`."""
    if reader is not None:
        return _probs(reader, np.asarray(image, np.float32)[None], "reading the input")[0]
    return _probs(classifier, mnist_stroke(image)[None], "reading the input")[0]


def _start_weights(encoder_weights: np.ndarray, input_probs: np.ndarray | None, clusters: bool,
                   count: int) -> list[np.ndarray]:
    """Class weights of the hypotheses: the encoder's own, then `count - 1` one-hot classes
    (the classifier's likeliest digits for a digit generator, else the encoder's top classes)."""
    k = encoder_weights.size
    ranking = encoder_weights if (clusters or input_probs is None or k != input_probs.size) else input_probs
    out = [encoder_weights.astype(np.float64)]
    for c in np.argsort(-ranking, kind="stable")[:max(0, count - 1)]:
        out.append(np.eye(k)[c])
    return out


def find_latent(generator, encoder, image: np.ndarray, refine_ms: float = 400.0, *,
                classifier=None, reader=None, seed: int = 0, max_steps: int | None = None,
                population: int = POPULATION, hypotheses: int = HYPOTHESES,
                on_improve: Callable[[int, np.ndarray, np.ndarray | None, float], None] | None = None,
                cancelled: Callable[[], bool] | None = None) -> Inversion:
    """Latent (and class weights) whose drawing is closest to `image`.

    generator : a `Generator`; encoder : an `Encoder` made for it; image : (28, 28) in
    [0, 1], ink bright on black (see `preprocess.py`). refine_ms : refinement budget in
    milliseconds (0: the encoder's guess only). classifier : a `Classifier` or None, and
    reader : a `Classifier` that reads the input or None (see the module's docstring).
    on_improve(step, z, weights, error) is called whenever the smallest pixel error so far
    improves, for a live view; cancelled() is polled every step. Everything returned is
    finite: an encoder or generator that answers NaN or infinity, or a reader or classifier
    that answers no ten finite probabilities, raises `ModelRunError` (one sentence) instead.
    """
    started = time.perf_counter()
    target = np.asarray(image, np.float32)
    if target.shape != (28, 28):
        raise ValueError(f"image must have shape (28, 28), got {target.shape}")
    if not np.isfinite(target).all():
        raise ValueError("image must be finite")
    z_all, w_all = encoder.encode(target[None])  # finite, or ModelRunError
    z0, w0 = z_all[0], (None if w_all is None else w_all[0])
    recon0 = generator.generate_background(z0[None], None if w0 is None else w0[None])[0]
    error_before = float(pixel_errors(recon0[None], target)[0])
    if not np.isfinite(error_before):
        raise ModelRunError(generator.path, "drew NaN or infinite values for the latent the "
                                            "encoder found, so no digit was found")
    if refine_ms <= 0 or max_steps == 0:
        return Inversion(z=np.asarray(z0, np.float32), class_weights=w0, reconstruction=recon0,
                         error_before=error_before, error=error_before, steps=0,
                         seconds=time.perf_counter() - started)

    input_probs = None if classifier is None else read_input(classifier, target, reader)
    clusters = bool(getattr(generator, "clusters", False))
    starts = [None] if w0 is None else _start_weights(w0, input_probs, clusters, hypotheses)
    # Each hypothesis: z, logits (None: class weights held), weights, recon, error, sigmas.
    hyps = []
    for i, w in enumerate(starts):
        hw = None if w is None else _softmax(np.log(np.maximum(w, 1e-6))[None])[0] if i == 0 else \
            np.asarray(w, np.float32)
        recon = recon0 if i == 0 else generator.generate_background(z0[None], hw[None])[0]
        err = float(np.nan_to_num(pixel_errors(recon[None], target), nan=np.inf)[0])
        hyps.append({"z": z0, "logits": None if (w is None or i > 0) else np.log(np.maximum(w, 1e-6)),
                     "w": w0 if i == 0 else hw, "recon": recon, "error": err,
                     "sigma_z": SIGMA_Z, "sigma_l": SIGMA_LOGITS})
    first = _read_penalty(classifier, np.stack([h["recon"] for h in hyps]), input_probs)
    for h, pen in zip(hyps, first):
        h["score"] = h["error"] + READ_WEIGHT * float(pen)
    rng = np.random.default_rng(seed)
    deadline = started + max(0.0, refine_ms) / 1000.0
    best_seen = min(h["error"] for h in hyps)
    steps = 0
    while time.perf_counter() < deadline and (max_steps is None or steps < max_steps):
        if cancelled is not None and cancelled():
            break
        steps += 1
        if steps == PRUNE_STEPS + 1 and len(hyps) > 1:
            hyps = [hyps[_best(hyps)]]
        each = population if len(hyps) == 1 else max(2, population // 2)
        zs, ws = [], []
        for h in hyps:
            zs.append(h["z"][None] + h["sigma_z"] * rng.standard_normal((each, h["z"].size)))
            if h["logits"] is not None:
                moves = h["sigma_l"] * rng.standard_normal((each, h["logits"].size))
                moves[::2] = 0.0  # half the candidates keep the digit and move only the style
                ws.append(_softmax(h["logits"][None] + moves))
            elif h["w"] is not None:
                ws.append(np.repeat(np.asarray(h["w"], np.float32)[None], each, axis=0))
        zs = np.concatenate(zs).astype(np.float32)
        images = generator.generate_background(zs, np.concatenate(ws) if ws else None)
        # A candidate drawn with NaN never wins (NaN < best is False, but so is every
        # comparison after it): its error is infinite.
        errors = np.nan_to_num(pixel_errors(images, target), nan=np.inf)
        picks = [j * each + int(np.argmin(errors[j * each:(j + 1) * each])) for j in range(len(hyps))]
        # Judged as the hypotheses are: a candidate that draws another digit does not win.
        penalty = _read_penalty(classifier, images[picks], input_probs)
        for j, (h, k) in enumerate(zip(hyps, picks)):
            score = float(errors[k]) + READ_WEIGHT * float(penalty[j])
            if score < h["score"]:
                h["error"], h["score"], h["z"], h["recon"] = float(errors[k]), score, zs[k], images[k]
                if h["logits"] is not None:
                    h["w"] = ws[j][k - j * each]
                    h["logits"] = np.log(np.maximum(h["w"], 1e-6)).astype(np.float64)
                h["sigma_z"] = min(h["sigma_z"] * GROW, SIGMA_MAX)
                h["sigma_l"] = min(h["sigma_l"] * GROW, SIGMA_MAX)
                if h["error"] < best_seen:
                    best_seen = h["error"]
                    if on_improve is not None:
                        on_improve(steps, h["z"].copy(), None if h["w"] is None else
                                   np.asarray(h["w"], np.float32).copy(), best_seen)
            else:
                h["sigma_z"] = max(h["sigma_z"] * SHRINK, SIGMA_MIN)
                h["sigma_l"] = max(h["sigma_l"] * SHRINK, SIGMA_MIN)
    h = hyps[_best(hyps)]
    w = h["w"]
    return Inversion(z=np.asarray(h["z"], np.float32),
                     class_weights=None if w is None else np.asarray(w, np.float32),
                     reconstruction=np.asarray(h["recon"], np.float32), error_before=error_before,
                     error=h["error"], steps=steps, seconds=time.perf_counter() - started)


def _best(hyps: list[dict]) -> int:
    """Index of the hypothesis with the smallest error plus read penalty."""
    return int(np.argmin([h["score"] for h in hyps]))
