"""Explore: the latent sliders, seed, digit chooser, principal directions, bookmarks and the verdict."""
