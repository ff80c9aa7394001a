"""Class weights: the point on the simplex a conditional generator is fed (contract v2).

The classes are the ten digits, or, for a self-conditioned generator, its k clusters
(`ModelInfo.clusters`); the words for them come from here (`class_name`, `describe`).
A one-hot row draws a pure digit (or cluster); any other non-negative row summing to 1
draws a blend, which the generator itself draws (its embedding is `class_weights @ E`).
Everything that builds, checks or describes weights lives here, so the generator, the
latent state, the file reader and the views agree on one rule.
"""

from __future__ import annotations

import numpy as np

# Rows off by float rounding (a lerp of two rows in float32, a JSON round trip) are
# renormalised; anything further off is a caller's mistake and is refused.
SUM_TOLERANCE = 1e-3
# Weights below this are not named: "digit 7" for a found digit with 0.04 % of each other.
# The caption, the lit button and the mixer all use it, so they never disagree.
NAMED = 0.005


def one_hot(digit: int, num_classes: int) -> np.ndarray:
    """(num_classes,) float32 with 1 at `digit`."""
    if not 0 <= int(digit) < num_classes:
        raise ValueError(f"digit must be in 0..{num_classes - 1}, got {digit}")
    w = np.zeros(num_classes, np.float32)
    w[int(digit)] = 1.0
    return w


def mix(a: int, b: int, share_b: float, num_classes: int) -> np.ndarray:
    """(num_classes,) float32: (1 - share_b) of digit a and share_b of digit b."""
    share_b = float(np.clip(share_b, 0.0, 1.0))
    return ((1.0 - share_b) * one_hot(a, num_classes)
            + share_b * one_hot(b, num_classes)).astype(np.float32)


def check(weights, num_classes: int, rows: int | None = None) -> np.ndarray:
    """Validate and normalise class weights; returns float32 (rows, num_classes).

    weights : (num_classes,) (broadcast to `rows`) or (rows, num_classes). Raises
    ValueError unless every value is finite and non-negative and every row sums to 1
    within SUM_TOLERANCE.
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 1:
        w = w[None, :]
    if w.ndim != 2 or w.shape[1] != num_classes:
        raise ValueError(f"class_weights must have shape (n, {num_classes}), got {w.shape}")
    if rows is not None:
        if w.shape[0] == 1:
            w = np.broadcast_to(w, (rows, num_classes))
        elif w.shape[0] != rows:
            raise ValueError(f"class_weights has {w.shape[0]} rows for {rows} latents")
    if not np.isfinite(w).all():
        raise ValueError("class_weights must be finite")
    if (w < 0).any():
        raise ValueError("class_weights must be non-negative")
    sums = w.sum(axis=1)
    if w.size and (np.abs(sums - 1.0) > SUM_TOLERANCE).any():
        raise ValueError(f"each row of class_weights must sum to 1, not {sums.min():.4g}"
                         + ("" if sums.min() == sums.max() else f"..{sums.max():.4g}"))
    return np.ascontiguousarray(w / sums[:, None], dtype=np.float32)


def dominant(weights: np.ndarray) -> int:
    """The digit with the largest weight (the lowest such digit on a tie)."""
    return int(np.argmax(weights))


def named(weights: np.ndarray) -> list[int]:
    """The classes a caption names (weight above NAMED), largest first (lowest on a tie)."""
    w = np.asarray(weights, np.float64)
    return sorted((int(k) for k in np.flatnonzero(w > NAMED)), key=lambda k: (-w[k], k))


def mixer_view(weights: np.ndarray) -> tuple[int | None, int, int | None, float]:
    """How the digit controls show a row: (pure, a, b, share_b).

    `pure` is the one class named (its button is lit), else None. The mixer holds the two
    largest named classes, a < b, and b's share of the two; for a single class, (k, None,
    0.0): the caller keeps its B. Three or more classes show their two largest.
    """
    used = named(weights) or [int(np.argmax(weights))]
    if len(used) == 1:
        return used[0], used[0], None, 0.0
    w = np.asarray(weights, np.float64)
    a, b = sorted(used[:2])
    return None, a, b, float(w[b] / (w[a] + w[b]))


def class_noun(clusters: bool) -> str:
    """What one class is called in the UI: "cluster" for a model whose classes are
    clusters (never "digit": which digit a cluster shows is the classifier's verdict), else
    "digit"."""
    return "cluster" if clusters else "digit"


def class_name(k: int, clusters: bool = False) -> str:
    """"digit 3" or "cluster 13"."""
    return f"{class_noun(clusters)} {k}"


def describe(weights: np.ndarray, clusters: bool = False) -> str:
    """Plain words for a row: "digit 3", or "70 % 3 + 30 % 8" for a blend; for a cluster
    model "cluster 13", or "70 % cluster 3 + 30 % cluster 8" (a bare number would read as
    a digit)."""
    w = np.asarray(weights, np.float64)
    used = named(w)
    if len(used) == 1:
        return class_name(used[0], clusters)
    prefix = "cluster " if clusters else ""
    return " + ".join(f"{round(100 * w[k])} % {prefix}{k}" for k in used)
