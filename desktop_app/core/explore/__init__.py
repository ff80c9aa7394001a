"""Explore: the latent being explored, class weights, principal directions, variations, bookmarks and what each cluster draws."""
