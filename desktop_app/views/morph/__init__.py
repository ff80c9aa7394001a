"""Path and morph: keyframes, the t slider, playback and animated exports."""
