"""`Bookmarks`: latents the user keeps to come back to, a short list in the `Studio`,
edited (and undone) like the keyframes.

Each bookmark is a `Keyframe` of the frame that was on screen, named after its seed
("seed 42") or numbered ("latent 3"); like keyframes, bookmarks keep their class weights
whatever model is loaded (class_fit.py).
"""

from __future__ import annotations

from ..morph.keyframes import Keyframe

MAX_BOOKMARKS = 24  # a small list that fits the tab without scrolling far


def bookmark_name(existing: tuple[Keyframe, ...], seed: int | None) -> str:
    """"seed 42" for a seeded latent, else "latent 3"; numbered so names stay distinct."""
    base = f"seed {seed}" if seed is not None else f"latent {len(existing) + 1}"
    names = {k.name for k in existing}
    name, i = base, 2
    while name in names:
        name, i = f"{base} ({i})", i + 1
    return name


class Bookmarks:
    """`items`: the bookmarks in the order they were kept (at most `MAX_BOOKMARKS`)."""

    def __init__(self) -> None:
        self.items: tuple[Keyframe, ...] = ()

    @property
    def full(self) -> bool:
        return len(self.items) >= MAX_BOOKMARKS

    def name_for(self, seed: int | None) -> str:
        """The name a new bookmark of `seed` (None: not a seeded latent) gets."""
        return bookmark_name(self.items, seed)

    def add(self, mark: Keyframe) -> bool:
        """Keep `mark` last; False (nothing kept) when the list is full."""
        if self.full:
            return False
        self.items += (mark,)
        return True

    def remove(self, index: int) -> None:
        self.items = self.items[:index] + self.items[index + 1:]
