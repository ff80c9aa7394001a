"""How a latent file (files.py) fits the model loaded now: which of its frames that model
can draw, said in one phrase (`misfit`), and which class weights the current latent takes
from it (`current_weights`).

A file keeps working with any model of its latent size: its keyframes keep their weights
(class_fit.py) and are drawn again when a model of their kind returns; only the current
latent falls back to the class already chosen when the file's is not this model's.
"""

from __future__ import annotations

import numpy as np

from ..explore import class_fit
from ..explore.weights import class_noun
from .latent_files import LatentFile


def current_weights(data: LatentFile, generator, fill: np.ndarray | None
                    ) -> np.ndarray | None:
    """The class weights the file's current latent brings, when `generator` draws them
    (None: keep the class chosen, `fill`; always None for an unconditional model)."""
    current = class_fit.tagged(data.current, generator, fill)
    if generator.conditional and class_fit.drawable(current, generator):
        return current.class_weights
    return None


def misfit(data: LatentFile, generator, fill: np.ndarray | None) -> str:
    """"" when `generator` draws every frame of `data`, else one phrase saying which it
    cannot (weightless frames take `fill`, the class chosen). An unconditional model
    ignores weights: it draws everything."""
    if generator is None or not generator.conditional:
        return ""
    gen = generator
    current = class_fit.tagged(data.current, gen, fill)
    keys = [class_fit.tagged(k, gen, fill) for k in data.keyframes]
    unfit_keys = [k for k in keys if not class_fit.drawable(k, gen)]
    unfit = unfit_keys + ([current] if not class_fit.drawable(current, gen) else [])
    if not unfit:
        return ""
    n, noun = gen.num_classes, class_noun(gen.clusters)
    widths = sorted({len(k.class_weights) for k in unfit if len(k.class_weights) != n})
    if widths:
        held = " or ".join(str(w) for w in widths)
        why = f"its class weights hold {held} values but {gen.path.name} has {n} {noun}s"
    else:
        why = f"its class weights are not of {gen.path.name}'s {noun}s"
    then = []
    if not class_fit.drawable(current, gen):
        then.append(f"the latent draws the current {noun}")
    if unfit_keys:
        then.append(f"{len(unfit_keys)} keyframe(s) are kept but {class_fit.NOT_DRAWABLE}")
    return f"{why}, so {' and '.join(then)}"
