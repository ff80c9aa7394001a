"""Principal directions in latent space, GANSpace style, for any generator the contract allows.

GANSpace (Härkönen et al., 2020) finds interpretable controls by PCA of a generator's
activations. The contract exposes only the output, so this is their BigGAN recipe applied to
the image, the last activation:

1. draw N latents z ~ N(0, I) (a fixed seed, so a model always gets the same sliders) and
   render them;
2. PCA of the flattened images. Conditional models are sampled at ONE fixed row of class
   weights (the digit or blend on screen when the computation starts), so the components
   describe how z changes the style of that digit, never which digit is drawn; the steps
   live in z alone, so a slider cannot move the weights;
3. regress z on the standardised PCA coordinates by least squares: row i of the solution is
   the latent change that moves the image by one standard deviation along component i;
4. normalise each row to a unit direction u_i and measure σ_i, the spread of the sampled
   latents along u_i. A slider value of c moves z by c·σ_i·u_i: "c standard deviations".

The step directions are not forced orthogonal (GANSpace does not either): image-space
components are orthogonal, their pre-images in z need not be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..models.blas import blas_threads
from .weights import check as check_weights, one_hot

DEFAULT_COUNT = 12
SAMPLE_SEED = 20_200_406  # fixed: the same model always gets the same sliders
# Small batches: each starts only when frames pause (`Generator.generate_background`), and
# one that is running when a frame arrives shares a core with it for a few ms at most.
_BATCH = 16
_COV_ROWS = 128  # rows per block of the covariance: about 1.4 ms of one core each


class Cancelled(Exception):
    """Raised inside `compute_directions` when `should_stop()` turned true."""


@dataclass(frozen=True)
class Directions:
    """`steps[i]` : (latent_dim,) latent change for +1 std along component i (k rows).

    `explained[i]` is the share of image variance (at the fixed `class_weights`, for
    conditional models) that component i accounts for.
    """

    steps: np.ndarray
    explained: np.ndarray
    class_weights: np.ndarray | None = None  # the row every sample was drawn with

    @property
    def count(self) -> int:
        return len(self.steps)


def sample_count_for(latent_dim: int) -> int:
    """Enough samples for a stable regression (well above latent_dim), capped for speed."""
    return int(min(max(2048, 4 * latent_dim), 8192))


def compute_directions(generator, count: int = DEFAULT_COUNT, samples: int | None = None,
                       should_stop: Callable[[], bool] = lambda: False,
                       class_weights: np.ndarray | None = None) -> Directions:
    """The top `count` principal directions of `generator` (fewer if latent_dim is smaller).

    class_weights : (num_classes,) the fixed digit or blend to sample conditional models
    at (default: one-hot digit 0); ignored for unconditional ones. Runs `generate` in
    batches; `should_stop` is polled between batches so a model switch can abandon a
    stale computation (raises `Cancelled`). BLAS runs on one thread (blas.py).
    """
    weights = None
    if generator.conditional:
        k = generator.num_classes
        weights = check_weights(one_hot(0, k) if class_weights is None else class_weights,
                                k)[0]
    with blas_threads(1):
        return _compute(generator, count, samples, should_stop, weights)


def _compute(generator, count: int, samples: int | None,
             should_stop: Callable[[], bool], fixed: np.ndarray | None) -> Directions:
    d = generator.latent_dim
    n = samples or sample_count_for(d)
    rng = np.random.default_rng(SAMPLE_SEED)
    z = rng.standard_normal((n, d)).astype(np.float32)
    images = np.empty((n, 28 * 28), np.float32)
    # Background work: on the calling thread only, never on the frames' helper.
    generate = generator.generate_background
    for start in range(0, n, _BATCH):
        if should_stop():
            raise Cancelled
        stop = min(start + _BATCH, n)
        images[start:stop] = generate(z[start:stop], fixed).reshape(stop - start, -1)
    # float32 halves the peak memory (the app's budget is 200 MB); for a covariance of
    # a few thousand samples in [0, 1] its precision is ample.
    x = images
    x -= x.mean(axis=0)
    # The covariance in blocks of rows, each begun in a pause between frames: one product
    # of all rows kept a core's vector units busy for ~30 ms, and a frame drawn meanwhile
    # on the other core took twice as long (on this machine's vCPUs even when the product
    # ran at idle priority), so it waits like the generator's batches do.
    quiet = generator.wait_for_quiet
    cov = np.zeros((x.shape[1], x.shape[1]), np.float32)
    for start in range(0, n, _COV_ROWS):
        if should_stop():
            raise Cancelled
        quiet()
        rows = x[start:start + _COV_ROWS]
        cov += rows.T @ rows
    cov /= max(n - 1, 1)
    k = max(1, min(count, d))
    var, top = _top_eigen(cov, k, rng, quiet)
    k = len(var)
    coords = (x @ top) / np.sqrt(var)  # standardised PCA coordinates, (n, k)
    # Least squares z ≈ coords · W through the k×k normal equations (coords are nearly
    # uncorrelated, so this is well conditioned and avoids a LAPACK SVD of n×k).
    gram = coords.T @ coords + 1e-9 * np.eye(k)
    weights = np.linalg.solve(gram.astype(np.float64),
                              (coords.T @ z).astype(np.float64))  # (k, d)
    norms = np.linalg.norm(weights, axis=1, keepdims=True)
    units = weights / np.where(norms > 0, norms, 1.0)
    sigma = (z @ units.T.astype(np.float32)).std(axis=0, dtype=np.float64)
    explained = var / max(float(np.trace(cov)), 1e-12)
    return Directions((units * sigma[:, None]).astype(np.float32),
                      explained.astype(np.float32), fixed)


def _top_eigen(cov: np.ndarray, k: int, rng: np.random.Generator,
               quiet: Callable[[], None] = lambda: None) -> tuple[np.ndarray, np.ndarray]:
    """Top-k eigenpairs of a symmetric PSD matrix by randomized subspace iteration.

    Why not `np.linalg.eigh` of the full 784×784 matrix: with OpenBLAS threads competing
    for two busy cores it took seconds (measured 3-7 s against 0.1 s single-threaded),
    while a few matrix products on a thin block stay fast either way.
    Returns (values (k',), vectors (784, k')) with values > 0, largest first.
    """
    block = rng.standard_normal((cov.shape[0], min(cov.shape[0], 2 * k + 10)))
    y = cov @ block.astype(cov.dtype)  # float64 here would copy cov in float64 each time
    for _ in range(8):
        q, _ = np.linalg.qr(y)
        quiet()  # each product starts in a pause between frames, as the covariance's do
        y = cov @ q
    q, _ = np.linalg.qr(y)
    values, vectors = np.linalg.eigh(q.T @ cov @ q)
    order = np.argsort(values)[::-1][:k]
    values, vectors = values[order], q @ vectors[:, order]
    keep = values > 1e-12 * max(float(values[0]), 1e-30)
    if not keep.any():
        keep[0] = True
    return np.clip(values[keep], 1e-12, None), vectors[:, keep]
