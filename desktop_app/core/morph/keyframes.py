"""`Keyframe`, one stop on a path, and pure edits of a keyframe list: every function returns
a new list and leaves its input alone.

Keyframes get automatic names A, B, C, … in path order. A name the user chose is kept
through removals and reorders; automatic names are renumbered so they keep reading A, B, C.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

MAX_NAME = 40  # names are shown under 84-px thumbnails and in menus


@dataclass(frozen=True)
class Keyframe:
    """One stop on the path: a latent (latent_dim,) float32 and, for conditional models,
    class weights (num_classes,) float32 on the simplex (None for unconditional ones).

    `classes` says what the weights are weights of, "digits" or "clusters" (None: not
    known, e.g. a file from before it was recorded): with their width it decides which
    models can draw the keyframe (core/explore/class_fit.py). A keyframe keeps its weights
    whatever model is loaded.
    """

    z: np.ndarray
    class_weights: np.ndarray | None = None
    name: str = ""
    classes: str | None = None


def auto_name(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else f"K{i + 1}"


def _is_auto(name: str) -> bool:
    if len(name) == 1 and "A" <= name <= "Z":
        return True
    return name.startswith("K") and name[1:].isdigit()


def renumber(keys: Sequence[Keyframe]) -> list[Keyframe]:
    """Automatic names follow the path order; chosen names stay."""
    return [replace(k, name=auto_name(i) if _is_auto(k.name) or not k.name else k.name)
            for i, k in enumerate(keys)]


def removed(keys: Sequence[Keyframe], index: int) -> list[Keyframe]:
    return renumber([k for i, k in enumerate(keys) if i != index])


def moved(keys: Sequence[Keyframe], source: int, target: int) -> list[Keyframe]:
    """Keyframe `source` now sits at `target` (both indices in the list)."""
    keys = list(keys)
    key = keys.pop(source)
    keys.insert(max(0, min(target, len(keys))), key)
    return renumber(keys)


def renamed(keys: Sequence[Keyframe], index: int, name: str) -> list[Keyframe]:
    """A chosen name (trimmed to one short line); an empty name goes back to automatic."""
    name = " ".join(name.split())[:MAX_NAME]
    keys = list(keys)
    k = keys[index]
    keys[index] = replace(k, name=name)
    return renumber(keys)
