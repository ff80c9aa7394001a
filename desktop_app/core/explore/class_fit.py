"""Which model can draw a keyframe or bookmark, and the words for what it holds.

A keyframe keeps the class weights it was made with, whatever model is loaded later: a
cluster model does not turn four digit keyframes into "cluster 2" four times, and when a
digit model returns they draw their digits again. A row of weights means something only
to models with the same kind of class ("digits" or "clusters") and the same count:

* an unconditional model draws any keyframe from its z alone (the weights are kept);
* a conditional model draws a keyframe whose weights are its own kind and width (a
  keyframe whose kind is not recorded, from an older file, is judged by width);
* any other keyframe is shown, named and kept, but is "not drawable by this model": the
  path and the strip go through the drawable ones only.

Two cluster models with the same k count as the same kind here: which cluster is which
is not recorded in a latent file.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..models.contract import NUM_DIGITS
from ..morph.keyframes import Keyframe
from .weights import describe

NOT_DRAWABLE = "not drawable by this model"


def kind_of(generator) -> str | None:
    """"digits" or "clusters" for a conditional generator; None for an unconditional one."""
    if generator is None or not generator.conditional:
        return None
    return "clusters" if generator.clusters else "digits"


def drawable(key: Keyframe, generator) -> bool:
    """True when `generator` can draw `key` as it was made (see the module docstring)."""
    kind = kind_of(generator)
    if kind is None:
        return True
    weights = key.class_weights
    return (weights is not None and len(weights) == generator.num_classes
            and (key.classes is None or key.classes == kind))


def tagged(key: Keyframe, generator, fill: np.ndarray | None) -> Keyframe:
    """`key` with its kind recorded when the model tells it; a keyframe without weights
    (made with an unconditional model) takes `fill`, the current class, on a conditional
    one (it had no class to keep)."""
    kind = kind_of(generator)
    if kind is None:
        return key
    if key.class_weights is None:
        return replace(key, class_weights=None if fill is None else fill.copy(), classes=kind)
    if key.classes is None and len(key.class_weights) == generator.num_classes:
        return replace(key, classes=kind)
    return key


def is_clusters(key: Keyframe) -> bool:
    """Whether `key`'s weights are of clusters (an unrecorded kind: by width)."""
    if key.classes is not None:
        return key.classes == "clusters"
    return key.class_weights is not None and len(key.class_weights) != NUM_DIGITS


def note(key: Keyframe, generator) -> str:
    """" · digit 3", " · 70 % 3 + 30 % 8", " · cluster 2"; for a keyframe this model
    cannot draw, " · digit 3 (not drawable by this model)"; "" without weights, or on an
    unconditional model."""
    if key.class_weights is None or kind_of(generator) is None:
        return ""
    words = describe(key.class_weights, is_clusters(key))
    return f" · {words}" + ("" if drawable(key, generator) else f" ({NOT_DRAWABLE})")
