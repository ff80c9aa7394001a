"""What of the latent survives a model switch (`carry_latent`).

A model of the same latent size takes over the latent as it is: only the direction
sliders are cleared (another model's PC1 is another direction) and the classes follow
the new model's. A model of another size starts a new latent from the same seed, and
keeps the class chosen when both models have the same classes (count and kind).
"""

from __future__ import annotations

import numpy as np

from ..explore.latent import LatentState


def carry_latent(old: LatentState | None, generator) -> tuple[LatentState, bool, bool]:
    """(latent, kept, directions_reset) for `generator`: `old` itself when kept (same
    latent size), else a new `LatentState`; directions_reset when direction sliders that
    had moved the latent were cleared. Changes `old` in place when it is kept."""
    if old is not None and old.latent_dim == generator.latent_dim:
        reset = old.clear_directions()
        old.set_num_classes(generator.num_classes, class_priors=generator.class_priors)
        return old, True, reset
    seed = old.seed if old is not None and old.seed is not None else 0
    state = LatentState(generator.latent_dim, seed=seed, num_classes=generator.num_classes,
                        class_priors=generator.class_priors)
    if old is not None and generator.num_classes and old.num_classes == generator.num_classes \
            and (old.class_priors is None) == (generator.class_priors is None):
        state.set_class_weights(old.class_weights)  # the class chosen stays
    return state, False, old is not None and bool(np.any(old.coeffs))
