"""Find a digit: the encoder's first guess and the refinement that finds a latent for a picture."""
