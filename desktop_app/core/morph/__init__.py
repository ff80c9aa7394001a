"""Path and morph: keyframes, interpolation along them, and animated exports."""
