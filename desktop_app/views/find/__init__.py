"""Find a digit: the drawing pad, the picture's preprocessing and the search, off the GUI thread."""
