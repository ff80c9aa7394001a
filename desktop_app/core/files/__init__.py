"""Files and settings: latent files, image exports, the settings file."""
