"""Label-free classes for self-conditioned GANs: k-means clusters of the training images.

A GAN trained without labels tends to drop or over-draw whole digits. Self-conditioning
(Liu et al. 2020, "Diverse Image Generation via Self-Conditioned GANs") gives the
conditional machinery back without human labels: the training images are clustered,
and the GAN is conditioned on the cluster instead of the digit. No label is ever read:
`kmeans` sees pixels only.

The clustering is PCA (fitted on a fixed subset) to `PCA_DIMS` dimensions, then k-means++
and Lloyd iterations, all seeded, so a resumed run recomputes the same clusters. With
`space="deskewed"` the images are first straightened by their second moments (the
classical deskew of MNIST kNN classifiers; no label involved): a slanted 1 and an upright
1 then fall into one cluster instead of two, and each cluster holds fewer kinds of digit.
The GAN still trains on the images as they are; only the cluster assignment changes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from digit_contract import run_folder

PCA_DIMS = 50
PCA_FIT_SAMPLES = 10_000
ITERATIONS = 30
CLUSTERS_FILE = run_folder.CLUSTERS


@dataclass(frozen=True)
class Clustering:
    k: int
    priors: list[float]  # share of training images in each cluster
    inertia: float  # mean squared distance to the centroid, in PCA space

    def save(self, run_dir: Path) -> None:
        from training.checkpoint import atomic_write_bytes

        text = json.dumps(asdict(self), indent=2).encode()
        atomic_write_bytes(Path(run_dir) / CLUSTERS_FILE, lambda f: f.write(text))

    @classmethod
    def load(cls, run_dir: Path) -> "Clustering":
        from training.metadata import ExportError

        try:
            data = json.loads((Path(run_dir) / CLUSTERS_FILE).read_bytes().decode("utf-8"))
            out = cls(int(data["k"]), [float(p) for p in data["priors"]], float(data["inertia"]))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ExportError(f"{run_dir}/{CLUSTERS_FILE}: cannot read the run's clusters ({e})") from None
        if len(out.priors) != out.k or not np.isclose(sum(out.priors), 1.0, atol=1e-3) or min(out.priors) <= 0:
            raise ExportError(f"{run_dir}/{CLUSTERS_FILE}: cluster priors must be {out.k} positive shares summing to 1")
        return out


def kmeans(images: np.ndarray, k: int, seed: int, space: str = "pixels") -> tuple[np.ndarray, Clustering]:
    """images (n, 28, 28) uint8 -> (each image's cluster, (n,) int32, and the clustering)."""
    from training.config import CLUSTER_SPACES

    if space not in CLUSTER_SPACES:
        raise ValueError(f"cluster space must be one of {CLUSTER_SPACES}, not {space!r}")
    d2 = _fit(deskew(images) if space == "deskewed" else images, k, seed)
    assign = d2.argmin(1)
    priors = kmeans_priors(d2)  # no cluster may have zero mass at export
    inertia = float(d2[np.arange(len(d2)), assign].mean())
    return assign.astype(np.int32), Clustering(k, [float(p) for p in priors], inertia)


def deskew(images: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """(n, 28, 28) uint8 -> (n, 28, 28) float32 in [0, 255]: each image's centre of mass
    moved to the centre and the image sheared about it so that its ink's row/column
    covariance is zero (bilinear resampling). A blank image stays blank.
    """
    n, h, w = images.shape
    rows, cols = np.mgrid[:h, :w].astype(np.float32)
    out = np.empty((n, h, w), np.float32)
    for start in range(0, n, chunk):
        im = images[start:start + chunk].astype(np.float32)
        mass = np.maximum(im.sum((1, 2)), 1e-6)
        r0 = (im * rows).sum((1, 2)) / mass
        c0 = (im * cols).sum((1, 2)) / mass
        var_r = (im * (rows - r0[:, None, None]) ** 2).sum((1, 2)) / mass
        cov = (im * (rows - r0[:, None, None]) * (cols - c0[:, None, None])).sum((1, 2)) / mass
        alpha = np.where(var_r > 1e-6, cov / np.maximum(var_r, 1e-6), 0.0)
        # Output pixel (r, c) samples the input at (r', c') = (r - cr + r0, c + alpha·(r - cr) - cc + c0).
        cr, cc = (h - 1) / 2, (w - 1) / 2
        src_r = rows[None] - cr + r0[:, None, None]
        src_c = cols[None] - cc + c0[:, None, None] + alpha[:, None, None] * (rows[None] - cr)
        out[start:start + chunk] = _bilinear(im, src_r, src_c)
    return out


def _bilinear(im: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Sample each image of `im` (m, h, w) at (r, c) (m, h, w); outside the image is 0."""
    m, h, w = im.shape
    r0, c0 = np.floor(r), np.floor(c)
    fr, fc = r - r0, c - c0
    r0, c0 = r0.astype(np.int64), c0.astype(np.int64)
    idx = np.arange(m)[:, None, None]
    out = np.zeros_like(r)
    for dr, wr in ((0, 1 - fr), (1, fr)):
        for dc, wc in ((0, 1 - fc), (1, fc)):
            rr, cc = r0 + dr, c0 + dc
            inside = (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
            vals = im[idx, np.clip(rr, 0, h - 1), np.clip(cc, 0, w - 1)]
            out += np.where(inside, vals, 0.0) * wr * wc
    return out


def kmeans_priors(d2: np.ndarray) -> np.ndarray:
    """Each cluster's share of the images, every count plus one."""
    counts = np.bincount(d2.argmin(1), minlength=d2.shape[1]).astype(np.float64) + 1
    return counts / counts.sum()


def _fit(images: np.ndarray, k: int, seed: int) -> np.ndarray:
    """PCA then seeded k-means++ and Lloyd: the squared distance of each image to each centroid (n, k)."""
    rng = np.random.default_rng(seed)
    x = images.reshape(len(images), -1).astype(np.float32) / 255.0
    fit = x[rng.choice(len(x), min(PCA_FIT_SAMPLES, len(x)), replace=False)]
    mean = fit.mean(0)
    _, _, vt = np.linalg.svd(fit - mean, full_matrices=False)
    y = (x - mean) @ vt[:PCA_DIMS].T  # (n, PCA_DIMS)

    centroids = y[[rng.integers(len(y))]]
    for _ in range(1, k):  # k-means++: spread the starting centroids out
        d2 = np.maximum(_sq_dist(y, centroids).min(1), 0.0).astype(np.float64)
        # Fewer distinct images than clusters leave every distance 0: any image will do.
        pick = rng.choice(len(y), p=d2 / d2.sum()) if d2.sum() > 0 else rng.integers(len(y))
        centroids = np.vstack([centroids, y[pick]])
    for _ in range(ITERATIONS):
        assign = _sq_dist(y, centroids).argmin(1)
        for c in range(k):
            members = y[assign == c]
            if len(members):  # an emptied cluster keeps its centroid
                centroids[c] = members.mean(0)
    return _sq_dist(y, centroids)


def _sq_dist(y: np.ndarray, c: np.ndarray) -> np.ndarray:
    return np.maximum((y * y).sum(1)[:, None] - 2 * y @ c.T + (c * c).sum(1)[None, :], 0.0)


def latent_offsets(priors, samples: int = 200_000, iterations: int = 60, seed: int = 0) -> np.ndarray:
    """Offsets b with P(argmax_c (z_c + b_c) = c) = priors[c] for z ~ N(0, I): (k,) float32.

    The export picks a cluster softly from z[:k]; with these offsets the cluster a sample
    mostly belongs to occurs as often as it does in the training data, whatever the
    temperature. Fitted by Monte Carlo with a fixed seed (deterministic exports).
    """
    p = np.asarray(priors, np.float64)
    z = np.random.default_rng(seed).standard_normal((samples, len(p)))
    b = np.zeros(len(p))
    for _ in range(iterations):
        shares = np.bincount(np.argmax(z + b, 1), minlength=len(p)) / samples
        b += 0.5 * (np.log(p) - np.log(np.maximum(shares, 1.0 / samples)))
        b -= b.mean()
    return b.astype(np.float32)
