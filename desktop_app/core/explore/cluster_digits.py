"""Which digit each cluster of a label-free generator mostly draws, by the classifier.

A generator whose classes are clusters (docs/model-contract.md) knows nothing of digits:
its buttons say "cluster 13". The shipped classifier can tell what a cluster draws: draw
`SAMPLES` latents of each cluster (a fixed seed, so a model always gets the same answer),
classify them, and take the digit most of them are read as, with its share.

    digits = cluster_digits(generator, classifier)   # (k,) ClusterDigit
    digits[13]                                        # ClusterDigit(digit=7, share=0.84)

Thirty clusters of 32 samples are 960 small generator and classifier runs: well under a
second, run off the GUI thread (views/explore/cluster_digits.py) in small batches that wait for
frames to pause (`Generator.generate_background`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..models.classifier import Classifier
from ..models.generator import Generator
from .weights import one_hot

SAMPLES = 32  # per cluster: a share read to about ±9 % (one standard error at 50 %)
SAMPLE_SEED = 20_240_524  # fixed: the same model and classifier always give the same hint


class Cancelled(Exception):
    """Raised inside `cluster_digits` when `should_stop()` turned true."""


@dataclass(frozen=True)
class ClusterDigit:
    """The digit a cluster's samples are most often read as, and the share read so."""

    digit: int
    share: float

    def hint(self) -> str:
        """The few characters a cluster's button shows: "≈7"."""
        return f"≈{self.digit}"

    def sentence(self, cluster: int) -> str:
        """"Cluster 13 mostly draws 7 (84 % of 32 samples, by the classifier)"."""
        return (f"Cluster {cluster} mostly draws {self.digit} ({self.share:.0%} of "
                f"{SAMPLES} samples, by the classifier)")


def cluster_digits(generator: Generator, classifier: Classifier, samples: int = SAMPLES,
                   should_stop: Callable[[], bool] = lambda: False
                   ) -> tuple[ClusterDigit, ...]:
    """(num_classes,) the digit each cluster mostly draws, by `classifier`.

    Every cluster is drawn at the same `samples` latents z ~ N(0, I) (truncation 1), one
    cluster per batch. Raises `Cancelled` as soon as `should_stop()` is true between
    batches, and `ValueError` for a generator without classes."""
    k = generator.num_classes
    if not generator.conditional or k < 1:
        raise ValueError("only a generator with classes has clusters to name")
    rng = np.random.default_rng(SAMPLE_SEED)
    z = rng.standard_normal((samples, generator.latent_dim)).astype(np.float32)
    out = []
    for c in range(k):
        if should_stop():
            raise Cancelled
        weights = np.repeat(one_hot(c, k)[None], samples, axis=0)
        images = generator.generate_background(z, weights)
        probs = np.asarray(classifier.probs(images), np.float64)
        if probs.shape != (samples, 10) or not np.isfinite(probs).all():
            raise ValueError(f"the classifier gave probabilities of shape {probs.shape}, "
                             f"or not finite, for {samples} images")
        counts = np.bincount(np.argmax(probs, axis=1), minlength=10)
        digit = int(np.argmax(counts))
        out.append(ClusterDigit(digit, float(counts[digit] / samples)))
    return tuple(out)
