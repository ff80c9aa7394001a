"""The Training panel: the form, the runner that starts `python -m training`, live curves."""
